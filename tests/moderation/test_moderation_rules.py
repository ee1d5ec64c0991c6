"""The pipeline's rules, message by message: masks, kinds, actions, evasions."""

from __future__ import annotations

import pytest
from yishi.moderation import Action, Pipeline, Reason


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我电话13812345678，晚上打", "我电话138****5678，晚上打"),
        ("手机 138 1234 5678", "手机 138 **** 5678"),
        ("手机 138-1234-5678。", "手机 138-****-5678。"),
        ("+86 13812345678", "+86 138****5678"),
        ("电话：１３８１２３４５６７８", "电话：１３８＊＊＊＊５６７８".replace("＊", "*")),
        ("号码 一三八一二三四五六七八", "号码 一三八****五六七八"),
        ("1 3 8 1 2 3 4 5 6 7 8", "1 3 8 * * * * 5 6 7 8"),
        ("138\u200b1234\u200b5678", "138\u200b****\u200b5678"),
        ("身份证110105199003071239", "身份证110***********1239"),
        ("ID 31011519580513124X ok", "ID 310***********124X ok"),
        ("卡号 6222 5411 1069 2425", "卡号 **** **** **** 2425"),
        ("mail zhangwei1980@163.com please", "mail z***********@163.com please"),
        ("邮箱 Li.Hua@Example.org", "邮箱 L*****@Example.org"),
    ],
)
def test_personal_data_is_masked_and_nothing_else_changes(
    pipeline: Pipeline, text: str, masked: str
) -> None:
    verdict = pipeline.check(text, kind="chat")
    assert verdict.action is Action.MASK
    assert verdict.reasons == (Reason.PERSONAL_DATA,)
    assert verdict.text == masked


@pytest.mark.parametrize(
    "text",
    [
        "身份证号110105199003071234",  # wrong check digit
        "卡号 6222541110692426",  # fails Luhn
        "工单号20241126000187",  # 14 digits
        "订单 213812345678",  # a phone number inside a longer run of digits
        "座机 0571-88812345",
        "报修单编号 310115197606104392",
        "本次议事会编号：2024-1126-03",
    ],
)
def test_random_digits_are_left_alone(pipeline: Pipeline, text: str) -> None:
    verdict = pipeline.check(text, kind="chat")
    assert verdict.action is Action.ALLOW
    assert verdict.text is text


@pytest.mark.parametrize(
    "text",
    [
        "社区提供免费体检",
        "停车费能不能免费一小时",
        "我反对这个方案",
        "垃圾分类的桶放在3号楼门口",
        "下水道又堵死了",
        "我们去死角看看有没有积水",
        "你这个说法站不住脚，数据是哪里来的？",
        "别装傻，逼我们签字也没用",
        "群里有人发澳门赌场的广告，已经举报了",
        "反诈民警提醒：刷单返利都是诈骗",
        "A片区的住户明天停水",
        "社區提供免費健檢",
        "管委會都很盡責",
        "Free parking for the first hour would help.",
        "This policy will kill the small shops.",
        "I feel like an idiot for missing the deadline.",
        "It's a stupid rule and should go.",
        "SB 79 could change our zoning",
        "政府的通知在 www.gov.cn 上",
    ],
)
def test_civic_talk_passes_untouched(pipeline: Pipeline, text: str) -> None:
    verdict = pipeline.check(text, kind="chat")
    assert verdict.action is Action.ALLOW, verdict.matched
    assert verdict.text is text
    assert verdict.reasons == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("免 费 视 频 在 线 观 看", Reason.SPAM),
        ("免\u200b费\u200b视\u200b频\u200b在\u200b线\u200b观\u200b看", Reason.SPAM),
        ("澳門線上賭場，註冊即送", Reason.SPAM),
        ("ｆｒｅｅ ｐｏｒｎ ｖｉｄｅｏｓ", Reason.SPAM),
        ("F R E E  P O R N", Reason.SPAM),
        ("百家乐!!!真人荷官", Reason.SPAM),
        ("加微信 abc8899 看福利", Reason.CONTACT),
        ("加 Q 2847561923", Reason.CONTACT),
        ("网址 ab88。top", Reason.CONTACT),
        ("www点ab88点net", Reason.CONTACT),
        ("check t.me/moonpump", Reason.CONTACT),
        ("傻 逼", Reason.ABUSE),
        ("傻*逼物业", Reason.ABUSE),
        ("你们这群废物", Reason.ABUSE),
        ("廢 物", Reason.ABUSE),
        ("我要弄死你", Reason.ABUSE),
        ("你个sb", Reason.ABUSE),
        ("You're an id1ot", Reason.ABUSE),
        ("fu ck off", Reason.ABUSE),
        ("I know where you live", Reason.ABUSE),
        ("уou аre pathetic", Reason.ABUSE),  # Cyrillic у and а
    ],
)
def test_spam_and_abuse_are_caught_through_evasions(
    pipeline: Pipeline, text: str, reason: Reason
) -> None:
    verdict = pipeline.check(text, kind="chat")
    assert verdict.action is Action.HOLD
    assert reason in verdict.reasons


def test_spam_follows_the_room_setting_and_abuse_is_held(pipeline: Pipeline) -> None:
    assert pipeline.check("百家乐", spam_action="hold").action is Action.HOLD
    assert pipeline.check("百家乐", spam_action="reject").action is Action.REJECT
    assert pipeline.check("傻逼", spam_action="reject").action is Action.HOLD
    assert pipeline.check("傻逼", abuse_action="reject").action is Action.REJECT


@pytest.mark.parametrize("kind", ["statement", "name", "note"])
def test_only_chat_is_held(pipeline: Pipeline, kind: str) -> None:
    assert pipeline.check("百家乐", kind=kind).action is Action.REJECT  # type: ignore[arg-type]
    assert pipeline.check("傻逼", kind=kind).action is Action.REJECT  # type: ignore[arg-type]
    masked = pipeline.check("王阿姨13812345678", kind=kind)  # type: ignore[arg-type]
    assert (masked.action, masked.text) == (Action.MASK, "王阿姨138****5678")
    assert pipeline.check("王阿姨", kind=kind).action is Action.ALLOW  # type: ignore[arg-type]


def test_a_record_is_masked_never_held_or_refused(pipeline: Pipeline) -> None:
    """Rule 7: staff's records are read for personal data only."""
    for text in ("百家乐", "傻逼", "加微信 abc123 领红包 http://spam.example"):
        verdict = pipeline.check(text, kind="record", spam_action="reject", abuse_action="reject")
        assert (verdict.action, verdict.text, verdict.reasons) == (Action.ALLOW, text, ())
    masked = pipeline.check("联系王阿姨 13812345678 或 zhang@example.com", kind="record")
    assert masked.action is Action.MASK
    assert masked.text == "联系王阿姨 138****5678 或 z****@example.com"
    assert masked.reasons == (Reason.PERSONAL_DATA,)
    assert masked.matched == ("personal:phone", "personal:email")


def test_held_text_is_masked_too(pipeline: Pipeline) -> None:
    verdict = pipeline.check("代开发票 13812345678 王经理", kind="chat")
    assert verdict.action is Action.HOLD
    assert verdict.text == "代开发票 138****5678 王经理"
    assert set(verdict.reasons) == {Reason.SPAM, Reason.PERSONAL_DATA}
    assert not any("13812345678" in m for m in verdict.matched)


def test_bad_arguments_are_the_callers_bug(pipeline: Pipeline) -> None:
    with pytest.raises(ValueError):
        pipeline.check("hi", kind="poll")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pipeline.check("hi", spam_action="drop")  # type: ignore[arg-type]
    from yishi.moderation import History

    with pytest.raises(ValueError):
        pipeline.check("hi", history=History())


def test_empty_text_is_allowed(pipeline: Pipeline) -> None:
    text = ""
    assert pipeline.check(text).text is text
