"""Moderation over the wire: masked text never reaches another client or the log,
held messages reach moderators only until approved, a flood is refused."""

from __future__ import annotations

import sqlite3

from roomclient import Json, has
from roomharness import Room

PHONE = "13812345678"
SPAM = "免 费 视 频 在 线 观 看，加微信 abc12345"


def stored_log(room: Room) -> bytes:
    """Every byte the SQLite log holds (entries, snapshots) plus its WAL."""
    data = room.server.data_dir
    chunks = []
    for path in sorted(data.rglob("*")):
        if path.is_file():
            chunks.append(path.read_bytes())
    db = next(data.rglob("*.db"))
    with sqlite3.connect(db) as conn:  # the WAL may not be checkpointed yet
        chunks += [bytes(row[0]) for row in conn.execute("SELECT body FROM entries")]
    return b"".join(chunks)


async def test_personal_data_is_masked_before_anyone_or_the_log_sees_it(room: Room) -> None:
    mod = await room.moderator()
    _, speaker = await room.resident("老王")
    _, neighbour = await room.resident("小李", "msgpack")
    sent = await speaker.ok("chat.send", text=f"有事打我电话 {PHONE}，谢谢")
    assert sent["status"] == "masked"
    for client in (mod, speaker, neighbour):
        posted = await client.wait_event("chat.posted", has(message_id=sent["message_id"]))
        assert posted["data"]["text"] == "有事打我电话 138****5678，谢谢"
    assert PHONE.encode() not in stored_log(room)


async def test_held_spam_reaches_moderators_only_until_approved(room: Room) -> None:
    mod = await room.moderator()
    _, sender = await room.resident("推广员")
    _, other = await room.resident("居民")
    clerk_person = await room.staff("clerk", "书记员")
    clerk = await room.connect(clerk_person.token, label="clerk")
    sent = await sender.ok("chat.send", text=SPAM)
    assert sent["status"] == "held"
    held = await mod.wait_event("chat.held", has(message_id=sent["message_id"]))
    assert "spam" in held["data"]["reasons"] or "contact" in held["data"]["reasons"]
    # A civil message sent after it reaches everyone; the held one reached nobody else.
    civil = await sender.ok("chat.send", text="我反对这个方案，费用太高了")
    assert civil["status"] == "visible"
    for client in (other, clerk):
        await client.wait_event("chat.posted", has(message_id=civil["message_id"]))
        assert client.find("chat.held") == []
        assert client.find("chat.posted", has(message_id=sent["message_id"])) == []
    await mod.ok("chat.approve", message_id=sent["message_id"])
    await other.wait_event("chat.posted", has(message_id=sent["message_id"]))


async def test_rejected_statement_changes_nothing(room: Room) -> None:
    mod = await room.moderator()
    _, speaker = await room.resident("发言人")
    await mod.ok("session.start")
    await speaker.ok("hand.raise", stance="support")
    await mod.ok("turn.next")
    await speaker.wait_event("turn.started")  # what turn.next announced, seen before we post
    refused = await speaker.fail("statement.post", "rejected", text=SPAM)
    assert refused.caused() == []
    ok = await speaker.ok("statement.post", text="停车费能不能免费一小时？")
    assert await mod.wait_event("statement.posted", has(statement_id=ok["statement_id"]))


async def test_a_chat_flood_is_refused_and_nothing_else_happens(room: Room) -> None:
    mod = await room.moderator()
    await mod.ok("settings.update", chat_rate=3)
    _, sender = await room.resident("刷屏")
    replies = [await sender.call("chat.send", text=f"第{i}条意见，大家看看") for i in range(6)]
    assert [r.ok for r in replies[:3]] == [True, True, True]
    refused = [r for r in replies[3:] if not r.ok]
    assert refused and all(r.code == "rate_limited" and r.caused() == [] for r in refused)
    # The moderator's socket hears the accepted ones in its own time: wait for the last.
    last = [r.result["message_id"] for r in replies if r.ok][-1]

    def shown() -> list[Json]:
        return [e for e in mod.events if e["type"] in ("chat.posted", "chat.held")]

    await mod._wait_for(
        lambda: any(e["data"]["message_id"] == last for e in shown()),
        15,
        "the last accepted message",
    )
    assert len(shown()) == sum(r.ok for r in replies)


async def test_resident_id_and_bank_card_numbers_are_masked_like_phones(room: Room) -> None:
    mod = await room.moderator()
    _, speaker = await room.resident("老王")
    _, neighbour = await room.resident("小李", "msgpack")
    for text, shown in (
        (
            "身份证号110101199003078881，帮我查一下补贴",
            "身份证号110***********8881，帮我查一下补贴",
        ),
        ("身份证 110101 19900307 109x 丢了", "身份证 110*** ******** 109x 丢了"),
        ("卡号 6222 0212 3456 7890 128 请退款", "卡号 **** **** **** ***0 128 请退款"),
    ):
        sent = await speaker.ok("chat.send", text=text)
        for client in (mod, speaker, neighbour):
            posted = await client.wait_event("chat.posted", has(message_id=sent["message_id"]))
            assert posted["data"]["text"] == shown, posted
    log = stored_log(room)
    assert b"110101199003078881" not in log and b"6222021234567890128" not in log
