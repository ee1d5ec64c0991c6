"""The scorer's corpus, generated: templates × slot fillers × evasions.

Nobody can write several hundred spam messages per category by hand in an
afternoon, so the corpus is generated systematically, and says so: each
*family* is one template written for this project (the styles of SEO, adult,
gambling, loan, invoice and contact spam, and of residents' and officials'
civic sentences, paraphrased, never copied); each message fills the
template's slots from lists of fillers, then comes in one of three forms:

``zh_hans``  the Simplified text as generated;
``zh_hant``  the same converted to Traditional (the caller's converter);
``mixed``    Simplified and Traditional mixed character by character, then
             one or two evasions: spaces, symbols or emoji between
             characters, full-width letters and digits, and, for spam and
             abuse only, homophones and pinyin initials (``约炮`` → ``yp``).

Every choice is a function of a SHA-256 hash of the family, the message
number and the slot, so the corpus is the same on every run and every
machine, and this module stays pure (no randomness, no files).

The split (see :func:`split_of`) is by family: a test family's template is
never seen in training. Fillers of the *name-like* slots (those whose name
starts with ``N_``: performer names, site and app names, domains, handles)
are split too, so a test message also names sites and people never seen in
training; vocabulary slots (``免费观看``, ``百家乐``) are shared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .corpus_families import FAMILIES, FRESH

CATEGORIES = ("civic", "adult", "gambling", "loans", "invoice", "contact", "seo", "abuse")
SPLITS = ("train", "dev", "test")
FORMS = ("zh_hans", "zh_hant", "mixed")


@dataclass(frozen=True, slots=True)
class Row:
    split: str
    category: str
    form: str
    family: str
    text: str


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8],
                          "big")


def _pick(seq: Sequence[str], *key: object) -> str:
    return seq[_h(*key) % len(seq)]


# --- fillers shared by families ---------------------------------------------------------

_SURNAMES_JP = ["三上", "桥本", "深田", "波多野", "明日花", "天海", "河北", "伊藤", "葵", "相泽",
                "樱空", "神宫寺", "石川", "七泽", "枫", "白石", "小岛", "水卜", "铃村", "凉森",
                "美谷", "新井", "高桥", "山岸", "星宫", "永濑", "架乃", "藤森", "宫下", "北野"]
_GIVEN_JP = ["悠亚", "有菜", "咏美", "结衣", "绮罗罗", "翼", "彩花", "舞", "莉娜", "美波", "爱里",
             "澪", "真希", "由衣", "玲奈", "萌", "爱", "花音", "千寻", "遥", "奈奈", "纱希", "美月",
             "ゆい", "杏", "唯", "梨花", "瞳", "优", "麻衣"]
_FRUIT = ["草莓", "番茄", "蜜桃", "香蕉", "樱桃", "榴莲", "芭乐", "丝瓜", "秋葵", "向日葵", "茄子",
          "快猫", "小蝌蚪", "蘑菇", "黄瓜", "荔枝", "杏吧", "麻豆", "蜜柚", "桃花", "夜色", "午夜",
          "暗网", "红杏", "野花", "水蜜桃", "菠萝", "芒果", "火龙果", "葡萄"]
_SITE_TAIL = ["视频", "影院", "资源站", "TV", "直播", "社区", "传媒", "导航", "影视", "APP", "论坛",
              "俱乐部"]
_TLD = ["com", "net", "cc", "top", "xyz", "vip", "me", "tv", "club", "fun", "icu", "live"]
_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_DIGITS = "0123456789"
_CITIES = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆", "长沙",
           "郑州", "苏州", "东莞", "佛山", "天津", "青岛", "厦门", "合肥", "昆明"]
_EMOJI = ["🔥", "💋", "❤", "🌹", "👉", "✨", "💰", "🎁", "🍑", "🍌", "💦", "🈲", "⭐", "🧧", "👍"]
_CONTACT = ["加微信", "加V", "加薇", "私聊", "加QQ", "扫码进群", "点我头像", "看我主页", "私信我",
            "加我好友", "进群", "加飞机", "加TG", "联系客服", "戳我"]


def _code(*key: object) -> str:
    n = _h(*key)
    prefix = "".join(_LETTERS[(n >> (5 * i)) % len(_LETTERS)] for i in range(2 + n % 3)).upper()
    return f"{prefix}-{100 + (n >> 20) % 900}"


def _domain(*key: object) -> str:
    n = _h(*key)
    label = "".join(_LETTERS[(n >> (5 * i)) % len(_LETTERS)] for i in range(2 + n % 4))
    digits = "".join(_DIGITS[(n >> (4 * i + 30)) % 10] for i in range(n % 4))
    return f"{label}{digits}.{_TLD[(n >> 50) % len(_TLD)]}"


def _handle(*key: object) -> str:
    n = _h(*key)
    label = "".join(_LETTERS[(n >> (5 * i)) % len(_LETTERS)] for i in range(2 + n % 3))
    return label + str(1000 + (n >> 24) % 9000)


def _number(lo: int, hi: int, *key: object) -> str:
    return str(lo + _h(*key) % (hi - lo + 1))


SLOTS: dict[str, list[str]] = {
    "N_performer": [s + g for s in _SURNAMES_JP for g in _GIVEN_JP[::3]],
    "N_site": [f + t for f in _FRUIT for t in _SITE_TAIL[::2]],
    "N_app": [f + t for f in _FRUIT for t in ("视频", "直播", "APP", "TV")],
    "N_casino": [a + b for a in ("澳门", "威尼斯人", "新葡京", "金沙", "永利", "银河", "太阳城", "皇冠",
                                 "博彩", "亚洲", "bet365", "万博", "开云", "乐鱼", "九游")
                 for b in ("娱乐", "国际", "官网", "平台", "赌场", "体育", "娱乐城")],
    "N_city": _CITIES,
    "N_company": [a + b for a in ("鑫源", "恒通", "金诚", "宏达", "众信", "汇丰达", "瑞丰", "鼎盛",
                                  "华融", "安易", "乐享", "速融")
                  for b in ("金融", "信贷", "财税", "商务", "咨询", "科技")],
    "av_kw": ["免费在线观看", "高清无码", "在线观看", "无码中字", "免费观看", "国产自拍", "日韩精品",
              "欧美精品", "中文字幕", "无删减", "完整版", "高清在线", "每日更新", "永久免费",
              "成人视频", "午夜福利", "福利视频", "偷拍", "番号", "无码流出", "精品推荐", "破解版",
              "不用注册", "免费看片", "看片神器", "成人影片", "色情片", "黄片", "AV在线"],
    "av_title": ["家庭教师", "人妻", "出差", "温泉旅行", "邻居", "同事", "女上司", "新婚", "制服诱惑",
                 "深夜", "秘书", "搭讪", "按摩", "女大学生", "素人", "巨乳", "少妇", "诱惑"],
    "gamb_kw": ["百家乐", "真人娱乐", "体育投注", "时时彩", "六合彩", "老虎机", "电子游艺", "棋牌",
                "捕鱼", "牛牛", "斗地主赢钱", "足球竞彩", "网上赌场", "真人荷官", "北京赛车", "快三",
                "龙虎斗", "轮盘", "德州扑克", "彩票计划"],
    "gamb_promo": ["首充送{n}%", "注册送{n}元", "每日反水{d}%", "提款秒到账", "日出千万", "大额无忧",
                   "官方直营", "信誉第一", "稳赚不赔", "包赢计划", "上分下分快", "充值{n}送{n}",
                   "赔率最高", "输了包赔", "精准计划", "带你回本"],
    "loan_kw": ["无抵押贷款", "小额贷款", "网贷", "借款", "信用贷", "大额贷款", "急用钱", "学生贷",
                "身份证就能借", "秒批秒到", "不看征信", "黑户也能借", "征信花了也能下", "信用卡代还",
                "套现", "口子", "新口子", "额度{n}万", "当天放款", "低息贷款"],
    "loan_promo": ["无需抵押", "秒批", "当天到账", "不查征信", "利息低至{d}厘", "手续简单",
                   "只需身份证", "无前期费用", "黑白户均可", "随借随还", "上征信也能做", "快速下款"],
    "inv_kw": ["代开发票", "增值税专用发票", "增值税普通发票", "各类发票", "真票", "可验证发票",
               "普票专票", "餐饮发票", "住宿发票", "运输发票", "建筑发票", "机打发票", "税票",
               "开票", "电子发票代开"],
    "inv_promo": ["点数优惠", "可查验", "网上可查", "先验后付", "税点低", "全国可开", "假一赔十",
                  "票据齐全", "长期合作", "当天寄出", "顺丰包邮", "保真"],
    "contact": _CONTACT,
    "bait": ["福利", "资源", "好东西", "惊喜", "私房照", "视频", "妹子", "寂寞交友", "同城约",
             "兼职", "内部消息", "赚钱项目", "秘密", "高清资源", "写真", "小姐姐", "上门服务"],
    "seo_kw": ["SEO优化", "快速排名", "包收录", "蜘蛛池", "外链代发", "泛目录", "站群", "百度快照",
               "关键词排名", "权重提升", "首页排名", "寄生虫程序", "黑帽SEO", "快排", "刷流量",
               "反链", "友情链接出售", "秒收录", "霸屏", "引流"],
    "seo_tail": ["最新地址", "永久域名", "发布页", "备用网址", "收藏本站", "防走失", "地址发布",
                 "官方入口", "最新入口", "回家的路", "导航页", "免翻墙"],
    "insult": ["傻逼", "脑残", "狗东西", "人渣", "王八蛋", "废物", "畜生", "贱人", "蠢货", "垃圾",
               "智障", "杂种", "狗杂种", "败类", "白痴", "猪脑子", "贱货", "狗腿子", "不要脸的东西",
               "死肥猪", "臭婊子", "废柴", "弱智", "神经病"],
    "aim": ["你这个", "你们这群", "物业这帮", "楼上那个", "你就是个", "一群", "你们都是", "这帮",
            "你个", "那个"],
    "threat": ["弄死你", "打断你的腿", "让你好看", "找人收拾你", "烧了你家", "你死定了",
               "让你全家不得好死", "砍死你", "让你横着出去", "废了你"],
    # civic
    "bldg": ["3号楼", "5栋", "12号楼", "二单元", "7栋", "18号楼", "A座", "老楼", "东区", "西区4栋"],
    "place": ["小区", "社区", "楼下", "我们院", "南门", "北门", "广场", "地下车库", "楼道", "花园"],
    "issue": ["加装电梯", "停车位", "物业费", "垃圾分类", "噪音", "绿化", "路灯", "消防通道",
              "电动车充电", "快递柜", "维修基金", "公共收益", "广场舞", "宠物粪便", "外来车辆",
              "高空抛物", "楼道堆物", "二次供水", "监控", "门禁"],
    "org": ["居委会", "业委会", "物业", "街道", "社区党委", "网格员", "楼长", "议事会", "居民代表",
            "社区工作站"],
    "time": ["上周", "这两天", "每天晚上", "周末", "早上七点", "半夜十二点", "一个多月", "三天",
             "去年", "今年"],
    "feel": ["真的很着急", "太不方便了", "希望尽快解决", "大家意见很大", "能不能给个说法",
             "我觉得不合理", "这样下去不行", "老人孩子都受影响", "请大家理性讨论", "我有不同看法"],
    "people": ["老人", "孩子", "租户", "上班族", "残疾人", "孕妇", "低楼层住户", "高楼层住户",
               "新搬来的邻居", "老住户"],
    "stance": ["同意", "反对", "支持", "有保留意见", "弃权", "希望再讨论"],
    "gov_subj": ["基层协商", "民主协商", "居民议事会", "协商议事", "社区治理", "基层民主",
                 "群众自治", "议事协商", "全过程人民民主", "共建共治共享"],
    "gov_verb": ["健全", "完善", "推进", "拓展", "规范", "创新", "深化", "加强"],
    "gov_obj": ["议事规则", "协商程序", "参与渠道", "议题征集机制", "结果公开制度", "监督评议",
                "民意表达渠道", "矛盾调解机制", "协商成果落实", "居民公约"],
}


def _fill(template: str, family: str, i: int, side: str) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        key = (family, i, name, m.start())
        if name == "n":
            return _number(2, 999, *key)
        if name == "d":
            return _number(1, 9, *key)
        if name == "code":
            return _code(*key)
        if name == "domain":
            d = _domain(*key)
            return d if (_h(d) % 2 == 0) == (side == "test") else _domain(*key, "x")
        if name == "handle":
            return _handle(*key)
        if name == "qq":
            return _number(10_000_000, 3_999_999_999, *key)
        if name == "emoji":
            return _pick(_EMOJI, *key)
        values = SLOTS[name]
        if name.startswith("N_"):
            mine = [v for v in values if (_h(name, v) % 3 == 0) == (side == "test")]
            values = mine or values
        value = _pick(values, *key)
        return _PLACEHOLDER.sub(one, value) if "{" in value else value

    return _PLACEHOLDER.sub(one, template)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# --- families: corpus_families.py, one list of templates each -----------------------------

# Evasions of the ``mixed`` form.
_HOMOPHONES = {"色": "涩", "黄": "簧", "赌": "睹", "博": "搏", "彩": "采", "贷": "袋", "款": "欵",
               "票": "漂", "约": "曰", "炮": "泡", "微": "薇", "信": "芯", "视": "観", "频": "频",
               "看": "瞰", "费": "废", "钱": "前", "借": "借", "发": "髮", "娱": "虞", "乐": "楽",
               "码": "玛", "片": "骗", "妹": "昧", "加": "+", "群": "羣", "站": "战", "网": "罔",
               "裸": "倮", "奸": "姦", "逼": "比", "傻": "沙", "死": "屎", "滚": "衮"}
_INITIALS = {"约炮": "yp", "百家乐": "bjl", "微信": "wx", "色情": "sq", "网站": "wz", "发票": "fp",
             "贷款": "dk", "视频": "sp", "裸聊": "lL", "福利": "fl", "资源": "zy", "黄片": "hp",
             "赌场": "dc", "傻逼": "sb", "脑残": "nc", "你妈": "nm", "彩票": "cp", "无码": "wm",
             "观看": "gk", "代开": "dk", "口子": "kz", "排名": "pm", "收录": "sl"}
_SEPARATORS = [" ", "*", ".", "-", "_", "/", "|", "~", "·", "。"]


def _between(text: str, sep: Callable[[int], str]) -> str:
    return "".join(c + (sep(k) if k < len(text) - 1 and not c.isspace() else "")
                   for k, c in enumerate(text))


def evade(text: str, key: str, *, spam: bool, to_traditional: Callable[[str], str]) -> str:
    """The ``mixed`` form: scripts mixed per character, then one or two evasions."""
    trad = to_traditional(text)
    mixed = "".join(t if _h(key, "mix", k) % 2 else s for k, (s, t) in enumerate(zip(text, trad))) \
        if len(trad) == len(text) else trad
    choices = ["spaces", "symbols", "emoji", "fullwidth"]
    if spam:
        choices += ["homophones", "initials", "homophones", "initials"]
    n = _h(key, "n")
    picked = {choices[n % len(choices)], choices[(n >> 8) % len(choices)]}
    out = mixed
    if "initials" in picked:
        for word, initials in _INITIALS.items():
            if word in out and _h(key, word) % 3:
                out = out.replace(word, initials)
    if "homophones" in picked:
        out = "".join(_HOMOPHONES.get(c, c) if _h(key, "hom", k) % 2 else c
                      for k, c in enumerate(out))
    if "fullwidth" in picked:
        out = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in out)
    if "spaces" in picked:
        out = _between(out, lambda k: " ")
    elif "symbols" in picked:
        sep = _pick(_SEPARATORS, key, "sep")
        out = _between(out, lambda k: sep)
    elif "emoji" in picked:
        out = _between(out, lambda k: _pick(_EMOJI, key, "e", k) if _h(key, "ee", k) % 3 == 0
                       else "")
    return out


def split_of(family: str, category: str) -> str:
    """``train``, ``dev`` or ``test`` for a whole family.

    Round 1 (``FAMILIES``): within a category, families are ranked by the
    SHA-256 of their name; ranks 2, 10, 18... are ``dev`` (thresholds are chosen
    there), the rest ``train``. Ranks 0, 4, 8... were round 1's test split;
    spent by its one run, they train now. Round 2 (``FRESH``, names
    ``category/fresh<n>``): every family is ``test``.
    """
    if "/fresh" in family:
        return "test"
    ranked = sorted(range(len(FAMILIES[category])), key=lambda i: _h("rank", category, i))
    rank = ranked.index(int(family.rsplit("/", 1)[1]))
    return "dev" if rank % 8 == 2 else "train"


PER_FAMILY = {"civic": 30, "adult": 36, "gambling": 42, "loans": 42, "invoice": 45,
              "contact": 36, "seo": 39, "abuse": 39}
FRESH_PER_FAMILY = 60


def generate(to_traditional: Callable[[str], str]) -> list[Row]:
    """Every message of the corpus, in a fixed order; duplicates dropped."""
    rows: list[Row] = []
    seen: set[str] = set()
    families = [(category, f"{category}/{number}", template)
                for category in CATEGORIES for number, template in enumerate(FAMILIES[category])]
    families += [(category, f"{category}/fresh{number}", template)
                 for category in CATEGORIES for number, template in enumerate(FRESH[category])]
    for category, family, template in families:
        split = split_of(family, category)
        side = "test" if split == "test" else "train"
        for i in range(FRESH_PER_FAMILY if split == "test" else PER_FAMILY[category]):
            simplified = _fill(template, family, i, side)
            form = FORMS[i % 3]
            key = f"{family}/{i}"
            if form == "zh_hans":
                text = simplified
            elif form == "zh_hant":
                text = to_traditional(simplified)
            else:
                text = evade(simplified, key, spam=category != "civic",
                             to_traditional=to_traditional)
            if text in seen:
                continue
            seen.add(text)
            rows.append(Row(split=split, category=category, form=form, family=family,
                            text=text))
    return rows
