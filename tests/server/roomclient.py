"""A black-box client for the Yishi wire contract (PROTOCOL.md), for tests.

Written from the contract alone: it imports nothing from ``yishi``. One
:class:`Client` is one WebSocket to ``/ws/{room_id}`` speaking ``yishi.v1.json``
(text JSON) or ``yishi.v1.msgpack`` (binary MessagePack). A reader task decodes
every frame, files replies by ``re`` and records every event with its ``seq`` and
the order in which frames arrived, so tests can check "events before the reply"
and "no reordering, no duplicate". Every wait has a timeout.

:class:`Api` is the HTTP side (httpx).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Json = dict[str, Any]

PROTOCOLS = {"json": "yishi.v1.json", "msgpack": "yishi.v1.msgpack"}
DEFAULT_TIMEOUT = 15.0  # generous: a loaded machine is slow, and only a failing test waits it out

# Event types the contract sends to everyone in the room (chat.held and hidden
# tallies go to moderators only, so they are left out of cross-client comparisons).
# The events every client in a room sees. `participant.*` are not among them: a
# resident's own joining and presence reach that resident and the moderators only
# (docs/protocol.md); only staff and attendees in the hall are announced to all.
PUBLIC_EVENT_TYPES = frozenset(
    {
        "session.started",
        "session.ended",
        "agenda.changed",
        "queue.changed",
        "turn.started",
        "turn.extended",
        "turn.ended",
        "statement.posted",
        "poll.opened",
        "poll.closed",
        "chat.posted",
        "chat.removed",
        "minutes.noted",
        "decision.recorded",
        "action.added",
        "action.updated",
        "chat.pinned",
        "minutes.published",
        "settings.changed",
    }
)

# The contract's "fitting status" for each error code.
HTTP_STATUS = {
    "bad_frame": 400,
    "bad_command": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
}


@dataclass
class Reply:
    """One reply envelope, plus the events the connection saw while waiting for it."""

    id: int | None
    raw: Json
    events: list[Json] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.raw.get("ok") is True

    @property
    def result(self) -> Any:
        return self.raw.get("result")

    @property
    def code(self) -> str | None:
        error = self.raw.get("error")
        return error.get("code") if isinstance(error, dict) else None

    def caused(self) -> list[Json]:
        """Events seen meanwhile, minus presence (which others' sockets cause)."""
        return [e for e in self.events if not e["type"].startswith("participant.")]


class Closed(AssertionError):
    """The socket closed while a test waited on it."""


class Client:
    """One WebSocket connection to a room. Create with :meth:`open`."""

    _ids = itertools.count(1)

    def __init__(self, ws: ClientConnection, proto: str, label: str) -> None:
        self.ws = ws
        self.proto = proto  # "json" or "msgpack": what the server negotiated
        self.label = label
        self.events: list[Json] = []
        self.audio: list[list[Any]] = []  # relayed audio frames, as they came
        self.replies: dict[int, Reply] = {}
        self._events_before: dict[int, int] = {}  # reply id -> events filed before it
        self.orphans: list[Json] = []  # replies whose `re` we never sent (bad frames)
        self.frames: list[tuple[str, Any]] = []  # ("event", seq) | ("reply", re), arrival order
        self.problems: list[str] = []  # wrong frame kinds, undecodable server frames
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.welcome: Json | None = None
        self.you: Json | None = None
        self._cond = asyncio.Condition()
        self._reader = asyncio.create_task(self._read(), name=f"reader {label}")

    # -- connecting ---------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        ws_base: str,
        room_id: str,
        proto: str | None = "json",
        *,
        label: str = "",
        sock: Any = None,
    ) -> Client:
        """Connect to ``/ws/{room_id}``; ``proto=None`` offers no sub-protocol."""
        offered = [PROTOCOLS[proto]] if proto else None
        ws = await connect(
            f"{ws_base}/ws/{room_id}",
            subprotocols=offered,  # type: ignore[arg-type]
            compression=None,  # frame sizes in tests are the bytes on the wire
            max_size=16 * 2**20,
            proxy=None,
            open_timeout=DEFAULT_TIMEOUT,
            close_timeout=2,
            # No keepalive of the test's own: on a starved machine the pong waits behind
            # thousands of frames this process has not read yet, and the library closed
            # the socket with 1011 mid-test. The server's keepalive is what is tested.
            ping_interval=None,
            sock=sock,
        )
        negotiated = ws.subprotocol
        if proto is not None:
            assert negotiated == PROTOCOLS[proto], f"asked {proto}, server chose {negotiated}"
            kind = proto
        else:
            assert negotiated in (None, PROTOCOLS["json"]), negotiated
            kind = "json"
        return cls(ws, kind, label or f"{kind}#{next(cls._ids)}")

    # -- reading ------------------------------------------------------------------

    def _decode(self, frame: str | bytes) -> Any:
        if self.proto == "json":
            if not isinstance(frame, str):
                self.problems.append("binary frame on a JSON socket")
                return json.loads(frame)
            return json.loads(frame)
        if not isinstance(frame, bytes):
            self.problems.append("text frame on a msgpack socket")
            return json.loads(frame)
        return msgpack.unpackb(frame, raw=False, strict_map_key=False)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                try:
                    message = self._decode(frame)
                except Exception as exc:
                    self.problems.append(f"undecodable server frame: {exc!r}")
                    continue
                async with self._cond:
                    self._file(message)
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason or ""
            async with self._cond:
                self._cond.notify_all()

    def _file(self, message: Any) -> None:
        if isinstance(message, list) and message[:1] == ["audio"] and self.proto == "msgpack":
            self.audio.append(message)
        elif not isinstance(message, dict):
            self.problems.append(f"non-object frame: {message!r}")
        elif "re" in message:
            re = message["re"]
            self.frames.append(("reply", re))
            if isinstance(re, int) and not isinstance(re, bool) and re not in self.replies:
                self.replies[re] = Reply(re, message)
                self._events_before[re] = len(self.events)
            else:
                self.orphans.append(message)
        elif "seq" in message and "type" in message:
            self.frames.append(("event", message["seq"]))
            self.events.append(message)
        else:
            self.problems.append(f"unknown frame: {message!r}")

    @property
    def closed(self) -> bool:
        return self._reader.done()

    async def _wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        async def waiter() -> Any:
            async with self._cond:
                while True:
                    value = predicate()
                    if value:
                        return value
                    if self._reader.done():
                        raise Closed(
                            f"{self.label}: socket closed ({self.close_code} "
                            f"{self.close_reason!r}) while waiting for {what}"
                        )
                    await self._cond.wait()

        try:
            return await asyncio.wait_for(waiter(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.label}: timed out after {timeout}s waiting for {what}"
            ) from None

    # -- sending ------------------------------------------------------------------

    def encode(self, message: Json) -> str | bytes:
        if self.proto == "json":
            return json.dumps(message, ensure_ascii=False)
        return cast(bytes, msgpack.packb(message, use_bin_type=True))

    async def send_audio(self, turn: str, seq: int, data: bytes, *, ts: int = 0) -> None:
        """One audio frame, ``["audio", turn, seq, ts, data]`` (docs/protocol.md)."""
        await self.send_raw(msgpack.packb(["audio", turn, seq, ts, data], use_bin_type=True))

    async def wait_audio(self, count: int, *, timeout: float = DEFAULT_TIMEOUT) -> list[list[Any]]:
        """Wait until ``count`` relayed audio frames have come; they are returned."""
        await self._wait_for(lambda: len(self.audio) >= count, timeout, f"{count} audio frames")
        return self.audio[:count]

    async def wait_heard(
        self,
        done: Callable[[list[list[Any]]], bool],
        what: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Wait until the relayed audio frames so far satisfy ``done``."""
        await self._wait_for(lambda: done(self.audio), timeout, what)

    async def send_raw(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def send(
        self, cmd: str, args: Json | None = None, *, nonce: str | None = None, id: int | None = None
    ) -> int:
        """Send one command without waiting; returns its id."""
        cid = next(self._ids) if id is None else id
        message: Json = {"id": cid, "cmd": cmd, "args": args if args is not None else {}}
        if nonce is not None:
            message["nonce"] = nonce
        await self.ws.send(self.encode(message))
        return cid

    async def reply(self, cid: int, *, timeout: float = DEFAULT_TIMEOUT, start: int = 0) -> Reply:
        """Wait for the reply to command ``cid``; attaches the events seen since ``start``."""
        reply: Reply = await self._wait_for(
            lambda: self.replies.get(cid), timeout, f"reply to {cid}"
        )
        # Counted as the reply was filed, not found again in the frames: a burst of
        # thousands of commands would scan every frame once per reply, holding up the
        # reader (and the pongs it owes the server) for seconds.
        reply.events = self.events[start : self._events_before[cid]]
        return reply

    async def request(
        self,
        cmd: str,
        args: Json | None = None,
        *,
        nonce: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Reply:
        start = len(self.events)
        cid = await self.send(cmd, args, nonce=nonce)
        return await self.reply(cid, timeout=timeout, start=start)

    async def call(
        self,
        cmd: str,
        /,
        *,
        _nonce: str | None = None,
        _timeout: float = DEFAULT_TIMEOUT,
        **args: Any,
    ) -> Reply:
        return await self.request(cmd, args, nonce=_nonce, timeout=_timeout)

    async def ok(self, cmd: str, /, **args: Any) -> Any:
        """Call and assert success; returns ``result``."""
        reply = await self.call(cmd, **args)
        assert reply.ok, f"{self.label}: {cmd} {args} failed: {reply.raw}"
        return reply.result

    async def fail(self, cmd: str, code: str, /, **args: Any) -> Reply:
        """Call and assert the error ``code``; returns the reply."""
        reply = await self.call(cmd, **args)
        assert not reply.ok and reply.code == code, (
            f"{self.label}: {cmd} {args}: expected {code}, got {reply.raw}"
        )
        assert isinstance(reply.raw["error"].get("message"), str)
        return reply

    async def hello(
        self,
        token: str,
        since: int | None = None,
        *,
        epoch: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Reply:
        args: Json = {"token": token}
        if since is not None:
            args["since"] = since
        if epoch is not None:
            args["epoch"] = epoch
        reply = await self.request("hello", args, timeout=timeout)
        if reply.ok:
            self.welcome = reply.result
            self.you = reply.result["you"]
        return reply

    # -- events -------------------------------------------------------------------

    def mark(self) -> int:
        """An index into :attr:`events`; pass as ``start`` to look only at newer events."""
        return len(self.events)

    def find(
        self, type: str, predicate: Callable[[Json], bool] | None = None, *, start: int = 0
    ) -> list[Json]:
        return [
            e
            for e in self.events[start:]
            if e["type"] == type and (predicate is None or predicate(e["data"]))
        ]

    async def wait_event(
        self,
        type: str,
        predicate: Callable[[Json], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        start: int = 0,
    ) -> Json:
        """The first event of ``type`` (at index >= ``start``) whose data matches."""

        def found() -> Json | None:
            hits = self.find(type, predicate, start=start)
            return hits[0] if hits else None

        return cast(Json, await self._wait_for(found, timeout, f"event {type}"))

    def participant(self, participant_id: str) -> Json | None:
        """The latest view of a participant: the welcome snapshot, then participant.* events."""
        latest: Json | None = None
        state = (self.welcome or {}).get("state") or {}
        for p in state.get("participants") or []:
            if p.get("participant_id") == participant_id:
                latest = p
        for e in self.events:
            if e["type"].startswith("participant.") and (
                e["data"].get("participant_id") == participant_id
            ):
                latest = e["data"]
        return latest

    async def wait_participant(
        self,
        participant_id: str,
        predicate: Callable[[Json], bool],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Json:
        """Wait until this client's view of a participant satisfies ``predicate``."""

        def check() -> Json | None:
            p = self.participant(participant_id)
            return p if p is not None and predicate(p) else None

        return cast(Json, await self._wait_for(check, timeout, f"participant {participant_id}"))

    async def wait_seq(self, seq: int, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until an event numbered ``seq`` or later has arrived."""
        await self._wait_for(
            lambda: bool(self.events) and self.events[-1]["seq"] >= seq, timeout, f"seq {seq}"
        )

    def seqs(
        self, types: Iterable[str] = PUBLIC_EVENT_TYPES, *, after: int = 0, upto: int | None = None
    ) -> list[tuple[int, str]]:
        wanted = set(types)
        return [
            (e["seq"], e["type"])
            for e in self.events
            if e["type"] in wanted and e["seq"] > after and (upto is None or e["seq"] <= upto)
        ]

    def order_problems(self) -> list[str]:
        """Contract: strictly increasing seq on one connection (no reorder, no duplicate)."""
        out = list(self.problems)
        for a, b in itertools.pairwise(self.events):
            if b["seq"] <= a["seq"]:
                out.append(f"{self.label}: seq {b['seq']} ({b['type']}) after {a['seq']}")
        return out

    # -- closing ------------------------------------------------------------------

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        """Wait for the server to close the socket; returns the close code."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.label}: still open after {timeout}s") from None
        return self.close_code

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 3)
        if not self._reader.done():
            self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader


@dataclass(frozen=True)
class Person:
    """Someone holding a token for a room."""

    participant_id: str
    token: str
    name: str
    role: str


class Api:
    """The HTTP API, from the contract's table."""

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10, trust_env=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    @staticmethod
    def bearer(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def create_room_raw(self, body: Json, token: str | None = "") -> httpx.Response:
        return await self.http.post(
            "/api/rooms", json=body, headers=self.bearer(self.admin_token if token == "" else token)
        )

    async def create_room(self, title: str = "加装电梯议事会", **body: Any) -> Json:
        response = await self.create_room_raw({"title": title, **body})
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return cast(Json, response.json())

    async def invites(self, room_id: str, mod_token: str, count: int) -> list[str]:
        response = await self.http.post(
            f"/api/rooms/{room_id}/invites", json={"count": count}, headers=self.bearer(mod_token)
        )
        assert response.status_code in (200, 201), (response.status_code, response.text)
        codes: list[str] = response.json()["codes"]
        assert len(codes) == count
        return codes

    async def join_raw(self, room_id: str, body: Json) -> httpx.Response:
        return await self.http.post(f"/api/rooms/{room_id}/join", json=body)

    async def join(
        self,
        room_id: str,
        invite: str,
        name: str,
        *,
        observer: bool = False,
        device: str = "this-test-clients-device",
    ) -> Person:
        body: Json = {"invite": invite, "name": name, "device": device}
        if observer:
            body["observer"] = True
        response = await self.join_raw(room_id, body)
        assert response.status_code in (200, 201), (response.status_code, response.text)
        data = response.json()
        role = "observer" if observer else "participant"
        return Person(data["participant_id"], data["token"], name, role)

    async def staff(self, room_id: str, mod_token: str, role: str, name: str) -> Person:
        response = await self.http.post(
            f"/api/rooms/{room_id}/staff",
            json={"role": role, "name": name},
            headers=self.bearer(mod_token),
        )
        assert response.status_code in (200, 201), (response.status_code, response.text)
        data = response.json()
        return Person(data["participant_id"], data["token"], name, role)

    async def revoke(self, room_id: str, token: str | None, participant_id: str) -> httpx.Response:
        return await self.http.delete(
            f"/api/rooms/{room_id}/tokens/{participant_id}", headers=self.bearer(token)
        )

    async def summary(self, room_id: str) -> httpx.Response:
        return await self.http.get(f"/api/rooms/{room_id}")

    async def qr(self, room_id: str, token: str | None = None) -> httpx.Response:
        return await self.http.get(f"/api/rooms/{room_id}/qr.svg", headers=self.bearer(token))

    async def minutes(
        self, room_id: str, token: str | None = None, fmt: str = "json"
    ) -> httpx.Response:
        return await self.http.get(
            f"/api/rooms/{room_id}/minutes", params={"format": fmt}, headers=self.bearer(token)
        )


def assert_http_error(response: httpx.Response, *allowed: tuple[int, str]) -> str:
    """Assert an error body ``{"error": {"code", "message"}}`` with one allowed (status, code)."""
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code}: not JSON: {response.text[:200]!r}") from None
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    code: str = body["error"].get("code")
    message = body["error"].get("message")
    assert isinstance(message, str), body
    assert (response.status_code, code) in allowed, (
        f"got {response.status_code} {code!r}, expected one of {allowed}: {body}"
    )
    assert HTTP_STATUS[code] == response.status_code
    return code


# -- speaking-queue helpers shared by the test modules -------------------------------

SIDES = ("support", "oppose", "neutral")


def zero_balance() -> Json:
    return {side: {"turns": 0, "ms": 0} for side in SIDES}


def balanced_side(balance: Json, waiting: Iterable[str], last_spoke: dict[str, int]) -> str:
    """The contract's `balanced` rule: least time; then fewer turns; then the side
    that spoke least recently (never = least); then support, oppose, neutral."""
    return min(
        waiting,
        key=lambda s: (
            balance[s]["ms"],
            balance[s]["turns"],
            last_spoke.get(s, -1),
            SIDES.index(s),
        ),
    )


async def start_turn(mod: Client, expected_pid: str | None = None) -> Json:
    """`turn.next` from a moderator; returns the turn.started data."""
    start = mod.mark()
    result = await mod.ok("turn.next")
    started = await mod.wait_event(
        "turn.started", lambda d: d["turn_id"] == result["turn_id"], start=start
    )
    data: Json = started["data"]
    if expected_pid is not None:
        assert data["participant_id"] == expected_pid, (
            f"turn.next picked {data['name']} ({data['stance']}), expected {expected_pid}"
        )
    return data


async def yield_turn(mod: Client, speaker: Client, turn: Json) -> Json:
    """The floor holder yields; returns the turn.ended data (as the moderator saw it)."""
    start = mod.mark()
    assert await speaker.ok("turn.yield") == {}
    ended = await mod.wait_event(
        "turn.ended", lambda d: d["turn_id"] == turn["turn_id"], start=start
    )
    assert ended["data"]["reason"] == "yielded", ended
    return cast(Json, ended["data"])


async def speak(mod: Client, speaker: Client, expected_pid: str) -> Json:
    """One whole turn: turn.next picks ``expected_pid``, who yields. Returns turn.ended."""
    turn = await start_turn(mod, expected_pid)
    return await yield_turn(mod, speaker, turn)


def has(**fields: Any) -> Callable[[Json], bool]:
    """A predicate on event data: every given key has the given value."""
    return lambda data: all(data.get(k) == v for k, v in fields.items())


def last_queue(client: Client) -> Json:
    hits = client.find("queue.changed")
    assert hits, f"{client.label} saw no queue.changed"
    return cast(Json, hits[-1]["data"])


def pids(entries: list[Json]) -> list[str]:
    return [e["participant_id"] for e in entries]
