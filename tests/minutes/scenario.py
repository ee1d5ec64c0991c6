"""The scripted session the golden files are made from: two agenda items, every
kind of turn ending, a secret and a named poll, decisions, actions with a
follow-up after the session, notes, pinned and approved chat, a resident in the
hall, one who never came, and texts that try to break out of their format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .script import Script

NASTY = "我支持加装电梯。<script>alert('x')</script> | **不要** # 标题\n- 第二行 [链接](http://evil.example/) & 完"


def procedure_polls(s: Script) -> None:
    """Rules 6: a named ranked poll that carries after a transfer, and a secret score
    poll short of its quorum (five residents are present: four online, one in the hall)."""
    ranked = s.do(
        "王主任",
        "poll.open",
        question="电梯选哪种型号？",
        kind="ranked",
        options=["甲型", "乙型", "丙型"],
        quorum=4,
        threshold="simple",
    )["poll_id"]
    for name, ranking in (("张三", [0, 1]), ("李四", [1]), ("王五", [2, 1]), ("赵六", [0])):
        s.wait(5)
        s.do(name, "poll.vote", poll_id=ranked, choices=ranking)
    s.do("李记录", "poll.vote", poll_id=ranked, choices=[1, 0], on_behalf_of=s.ids["孙大爷"])
    s.wait(10)
    s.do("王主任", "poll.close", poll_id=ranked)
    scored = s.do(
        "王主任",
        "poll.open",
        question="请为各项配套打分",
        kind="score",
        options=["无障碍坡道", "楼道照明"],
        max_score=5,
        quorum=6,
        secret=True,
    )["poll_id"]
    for name, scores in (("张三", [5, 3]), ("李四", [2, 4]), ("赵六", [4, 4])):
        s.wait(5)
        s.do(name, "poll.vote", poll_id=scored, scores=scores)
    s.wait(10)
    s.do("王主任", "poll.close", poll_id=scored)


# Who chose what in the secret poll (option indexes of 赞成/反对/弃权).
SECRET_CHOICES = {"张三": 0, "李四": 1, "王五": 0, "赵六": 2, "孙大爷": 0}


def deliberation(
    *,
    secret_choices: Mapping[str, int] = SECRET_CHOICES,
    stop_after_first_item: bool = False,
    after_end: Callable[[Script], None] | None = None,
    after_follow_up: Callable[[Script], None] | None = None,
) -> Script:
    s = Script()
    s.create(
        title="3号楼加装电梯议事会",
        topic="3号楼是否加装电梯，费用如何分摊",
        agenda=["加装电梯方案", "费用分摊"],
        moderator="王主任",
        settings={"turn_seconds": 120},
    )
    s.join("李记录", role="clerk", by="王主任")
    s.join("街道城建科", role="office", by="王主任")
    for name in ("张三", "李四", "王五", "赵六"):
        s.join(name)
    s.join("记者小刘", role="observer")
    s.join("钱七")  # registered, never connects
    for name in ("王主任", "李记录", "张三", "李四", "王五", "赵六", "记者小刘"):
        s.wait(3)
        s.online(name)
    s.in_hall("孙大爷", by="李记录")

    s.wait(60)
    s.do("王主任", "session.start")
    s.wait(5)
    s.do("张三", "hand.raise", stance="support", note="说说老人上下楼的困难")
    s.wait(2)
    s.do("李四", "hand.raise", stance="oppose")
    s.wait(2)
    s.do("李记录", "hand.raise", stance="neutral", on_behalf_of=s.ids["孙大爷"])

    # Turn 1: support, yielded after 90 s, with a statement that tries to be markup.
    s.wait(5)
    s.do("王主任", "turn.next")
    s.wait(30)
    s.do("张三", "statement.post", text=NASTY)
    s.wait(60)
    s.do("张三", "turn.yield")

    # Turn 2: oppose, extended by 30 s, then expires exactly at its deadline.
    s.wait(4)
    s.do("王主任", "turn.next")
    s.wait(20)
    s.do("李四", "statement.post", text="一楼住户采光会受影响，我反对现方案。")
    s.wait(80)
    s.do("王主任", "turn.extend", seconds=30)
    s.wait(70)  # 170 s after the start: past the 150 s deadline
    s.do("李四", "chat.send", {"status": "held"}, text="噪音怎么解决？")

    # Turn 3: neutral, the hall attendee; the clerk records the statement.
    s.do("王主任", "turn.next")
    s.wait(15)
    s.do("李记录", "statement.post", text="我腿脚不好，盼着电梯，但担心费用。")
    s.wait(100)
    s.do("王主任", "turn.end")

    # Turn 4: a moderator override; the speaker drops off and loses the floor.
    s.wait(3)
    s.do("王主任", "turn.grant", participant_id=s.ids["王五"], stance="support")
    s.wait(50)
    s.do("王五", "statement.post", text="我同意张三的意见。")
    s.wait(10)
    s.online("王五", False)
    s.wait(25)  # 20 s of absence ends the turn at 80 s
    s.online("王五", True)

    held = next(m.message_id for m in s.state.chat.values() if m.status == "held")
    s.do("王主任", "chat.approve", message_id=held)
    pinned = s.chat("赵六", "请问施工期大概多长？")
    s.chat("张三", "大家冷静讨论。")
    s.chat("赵六", "加微信领红包", status="held")  # never approved: stays out of the minutes
    s.do("王主任", "chat.pin", message_id=pinned)
    s.do("李记录", "minutes.note", text="现场居民普遍关心施工噪音。")

    s.wait(10)
    poll = s.do(
        "王主任", "poll.open", question="是否同意加装电梯？", kind="yes_no_abstain", secret=True
    )["poll_id"]
    for name, choice in secret_choices.items():
        s.wait(4)
        if name == "孙大爷":
            s.do("李记录", "poll.vote", poll_id=poll, choices=[choice], on_behalf_of=s.ids[name])
        else:
            s.do(name, "poll.vote", poll_id=poll, choices=[choice])
    s.wait(10)
    s.do("王主任", "poll.close", poll_id=poll)
    s.do("王主任", "decision.record", text="同意加装电梯，进入费用分摊讨论。", poll_id=poll)
    if stop_after_first_item:
        return s

    s.wait(30)
    s.do("王主任", "agenda.goto", index=1)
    s.wait(5)
    s.do("赵六", "hand.raise", stance="oppose")
    s.do("王主任", "turn.next")
    s.wait(45)
    s.do("赵六", "statement.post", text="平均分摊对低楼层不公平。")
    s.wait(55)
    s.do("王主任", "turn.end")
    s.wait(5)
    s.online("记者小刘", False)
    named = s.do(
        "王主任",
        "poll.open",
        question="费用如何分摊？",
        kind="single",
        options=["按楼层系数分摊", "平均分摊"],
    )["poll_id"]
    for name, choice in (("张三", 0), ("李四", 1), ("赵六", 0)):
        s.wait(5)
        s.do(name, "poll.vote", poll_id=named, choices=[choice])
    s.wait(20)
    s.do("王主任", "poll.close", poll_id=named)
    s.do("王主任", "decision.record", text="按楼层系数分摊费用。", poll_id=named)
    procedure_polls(s)
    s.do(
        "王主任",
        "action.add",
        title="委托设计单位出具加装方案",
        owner="街道城建科",
        due="2025-12-31",
    )
    s.do("王主任", "action.add", title="逐户征求书面意见", owner="李记录", due="2025-12-10")
    s.wait(60)
    s.do("王主任", "session.end")
    if after_end is not None:  # rules 6: the minutes approved (tests/minutes/approving.py)
        after_end(s)

    # Follow-up, the next morning: the office reports progress; the clerk adds a note.
    s.wait(14 * 3600)
    s.online("街道城建科")
    action = next(iter(s.state.actions))
    s.do(
        "街道城建科",
        "action.update",
        action_id=action,
        status="in_progress",
        note="已联系设计院，预计两周内出图。",
    )
    s.do("李记录", "minutes.note", text="会后补充：设计院联系人已告知各楼长。")
    if after_follow_up is not None:
        after_follow_up(s)
    return s
