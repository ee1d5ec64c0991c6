"""The join limiter's rules on a clock the test moves (server/ratelimit.py): a limit of
N failures a minute holds however slowly the N came, and lets go a minute later."""

from __future__ import annotations

from yishi.ratelimit import JoinLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


def test_an_address_that_failed_slowly_is_still_held_to_its_minute() -> None:
    """A bucket refilled while the failures were made: 60 wrong codes at one a
    second left the address free to go on at one a second for ever."""
    clock = Clock()
    limiter = JoinLimiter(clock=clock)
    for i in range(JoinLimiter.FAILURES_PER_ADDRESS):
        assert limiter.admit("10.0.0.1") is None
        limiter.failed(f"room{i % 3}", "10.0.0.1", f"guess{i:04d}")
        clock.now += 700
    assert limiter.admit("10.0.0.1") is not None
    assert limiter.admit("10.0.0.2") is None  # another address is not held
    clock.now += JoinLimiter.WINDOW_MS
    assert limiter.admit("10.0.0.1") is None


def test_a_guessed_room_holds_its_guessers_not_the_hall() -> None:
    clock = Clock()
    limiter = JoinLimiter(clock=clock)
    guessers = [f"10.2.0.{i}" for i in range(JoinLimiter.FAILURES_PER_ROOM)]
    for i, address in enumerate(guessers):
        assert limiter.check("R", address, f"guess{i:04d}") is None
        limiter.failed("R", address, f"guess{i:04d}")
        clock.now += 500
    assert limiter.check("R", guessers[0], "again000") is not None
    assert limiter.check("R", "192.0.2.7", "k7m2p9qy") is None  # a newcomer is checked
    assert limiter.check("S", guessers[0], "k7m2p9qy") is None  # another room is not held
    clock.now += JoinLimiter.WINDOW_MS
    assert limiter.check("R", guessers[0], "again000") is None


def test_the_same_typo_again_counts_once() -> None:
    clock = Clock()
    limiter = JoinLimiter(clock=clock)
    for _ in range(3 * JoinLimiter.FAILURES_PER_ADDRESS):
        assert limiter.admit("10.0.0.1") is None
        limiter.failed("R", "10.0.0.1", "k7m2p9qy")


def test_a_held_personal_code_is_refused_after_its_refusals() -> None:
    clock = Clock()
    limiter = JoinLimiter(clock=clock)
    for _ in range(JoinLimiter.REFUSALS_PER_CODE):
        assert limiter.check("R", "10.0.0.1", "CODE") is None
        limiter.refused("R", "10.0.0.1", "CODE")
        clock.now += 3000
    assert limiter.check("R", "10.0.0.1", "CODE") is not None
    assert limiter.check("R", "10.0.0.1", "OTHER") is None
