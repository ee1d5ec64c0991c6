"""Repeats and bursts, with time passed in as now_ms."""

from __future__ import annotations

from yishi.moderation import Action, History, Pipeline, Reason

T0 = 1_764_158_400_000


def test_the_third_copy_within_ten_minutes_is_a_repeat(pipeline: Pipeline) -> None:
    history = History()
    text = "请大家关注一下停车的问题"
    for i in range(2):
        verdict = pipeline.check(text, history=history, now_ms=T0 + i * 60_000)
        assert verdict.action is Action.ALLOW
    verdict = pipeline.check(text, history=history, now_ms=T0 + 120_000)
    assert verdict.action is Action.HOLD and verdict.reasons == (Reason.REPEAT,)
    rejected = pipeline.check(text, spam_action="reject", history=history, now_ms=T0 + 180_000)
    assert rejected.action is Action.REJECT


def test_a_bot_varying_digits_and_spacing_still_repeats(pipeline: Pipeline) -> None:
    history = History()
    for i, text in enumerate(
        ["关注公众号领取资料 1", "关注 公众号 领取资料 2!!", "关注公众号领取资料3"]
    ):
        verdict = pipeline.check(text, history=history, now_ms=T0 + i * 30_000)
    assert Reason.REPEAT in verdict.reasons


def test_repeats_are_forgotten_after_the_window(pipeline: Pipeline) -> None:
    history = History()
    text = "请大家关注一下停车的问题"
    for i in range(3):
        verdict = pipeline.check(text, history=history, now_ms=T0 + i * 400_000)
    assert verdict.action is Action.ALLOW


def test_short_agreements_never_repeat(pipeline: Pipeline) -> None:
    history = History()
    for i in range(6):
        verdict = pipeline.check("同意！", history=history, now_ms=T0 + i * 20_000 + i * i * 350)
        assert verdict.action is Action.ALLOW


def test_five_messages_in_five_seconds_is_a_burst(pipeline: Pipeline) -> None:
    history = History()
    verdicts = [
        pipeline.check(f"第{i}条：大家好", history=history, now_ms=T0 + i * 900) for i in range(5)
    ]
    assert [v.action for v in verdicts[:4]] == [Action.ALLOW] * 4
    assert verdicts[4].reasons == (Reason.BURST,)


def test_a_metronome_is_a_burst(pipeline: Pipeline) -> None:
    history = History()
    texts = ["早上好", "今天开会吗", "几点开始", "在哪里", "谢谢"]
    verdicts = [
        pipeline.check(t, history=history, now_ms=T0 + i * 7_000 + (i % 2) * 10)
        for i, t in enumerate(texts)
    ]
    assert verdicts[-1].reasons == (Reason.BURST,)


def test_a_person_typing_is_no_burst(pipeline: Pipeline) -> None:
    history = History()
    gaps = [3_100, 8_700, 2_400, 15_000, 6_600, 4_200, 9_900]
    now = T0
    for gap in gaps:
        now += gap
        assert pipeline.check("我补充一点意见", history=history, now_ms=now).action in (
            Action.ALLOW,
            Action.HOLD,
        )
    assert (
        Reason.BURST not in pipeline.check("再说一句", history=history, now_ms=now + 5_000).reasons
    )


def test_history_is_only_for_chat(pipeline: Pipeline) -> None:
    history = History()
    for i in range(10):
        assert (
            pipeline.check("王阿姨", kind="name", history=history, now_ms=T0 + i).action
            is Action.ALLOW
        )
    assert len(history) == 0


def test_history_stays_bounded(pipeline: Pipeline) -> None:
    history = History()
    for i in range(500):
        pipeline.check(f"消息{i}号，内容不同{i * 7}", history=history, now_ms=T0 + i * 61_000)
    assert len(history) <= 32
