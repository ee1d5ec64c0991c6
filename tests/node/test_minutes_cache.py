"""Minutes downloads reuse the digest chain and the rendered body: two downloads at
the same seq read the log once, and a later one reads only what was appended since."""

from __future__ import annotations

import pytest
from yishi.backends.memory import MemoryBackend
from yishi.core.types import CommandError, Entry, ErrorCode
from yishi.host.minutes_cache import MinutesCache
from yishi.minutes import log_digest


class CountingReads(MemoryBackend):
    """A real memory backend that counts the entries read from it."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: 1_000)
        self.read_entries = 0

    async def read(self, room_id: str, *, after: int = 0, limit: int = 10_000) -> list[Entry]:
        page = await super().read(room_id, after=after, limit=limit)
        self.read_entries += len(page)
        return page


async def test_the_chain_is_read_once_and_extended_by_the_tail() -> None:
    backend = CountingReads()
    await backend.start()
    for i in range(30):
        await backend.append("r", "chat.send", actor="p", args={"text": f"m{i}", "b": b"\x00"})
    log = await backend.read("r")
    backend.read_entries = 0
    cache = MinutesCache()

    assert await cache.digest(backend, "r", 20) == log_digest(log[:20])
    assert backend.read_entries == 20
    assert await cache.digest(backend, "r", 20) == log_digest(log[:20])
    assert backend.read_entries == 20  # the second download read nothing
    assert await cache.digest(backend, "r", 30) == log_digest(log)
    assert backend.read_entries == 30  # only the ten after
    assert await cache.digest(backend, "r", 5) == log_digest(log[:5])  # an older prefix
    assert await cache.digest(backend, "r", 0) == log_digest([])
    with pytest.raises(CommandError) as shorter:
        await cache.digest(backend, "r", 31)
    assert shorter.value.code is ErrorCode.UNAVAILABLE
    await backend.close()


def test_a_body_is_rendered_once_per_seq_format_and_language() -> None:
    cache = MinutesCache(bodies=3)
    renders: list[str] = []

    def render(tag: str) -> tuple[bytes, str]:
        renders.append(tag)
        return tag.encode(), "text/plain"

    assert cache.rendered("r", 7, "d", "md", "zh", lambda: render("a")) == (b"a", "text/plain")
    assert cache.rendered("r", 7, "d", "md", "zh", lambda: render("b")) == (b"a", "text/plain")
    assert cache.rendered("r", 7, "d", "md", "en", lambda: render("c"))[0] == b"c"
    assert cache.rendered("r", 8, "e", "md", "zh", lambda: render("d"))[0] == b"d"
    # The room moved on: what was rendered at seq 7 is gone.
    assert cache.rendered("r", 7, "d", "md", "zh", lambda: render("e"))[0] == b"e"
    assert renders == ["a", "c", "d", "e"]
