"""The room's state: plain mutable records, changed only by the reducer.

Everything a room knows lives here, including the records the minutes are made
from (every turn, statement, ballot count, decision and action), so that the
minutes are a fold over the same log the room applied. Nothing here reads a
clock: every time stamp is an ``Entry.at`` copied in by the reducer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .types import STAFF_ROLES, Json, Role
from .versions import DEFAULT_SETTINGS, RULES, RULES_VERSION, Rules

STANCES = ("support", "oppose", "neutral")


@dataclass(slots=True)
class Participant:
    participant_id: str
    name: str
    role: Role
    joined_at: int
    in_hall: bool = False
    nodes: set[str] = field(default_factory=set)
    muted_until: int | None = None
    removed: bool = False
    token_version: int = 0
    # Since when a floor holder has had no socket anywhere (for the 20 s rule).
    offline_since: int | None = None
    # (online_at, offline_at | None) spans, for the attendance record.
    presence: list[list[int | None]] = field(default_factory=list)
    # Rules 4: the keyed hash of the device a personal code is bound to (never the
    # device's secret itself); None until claimed, and again after a reset.
    device: str | None = None

    @property
    def online(self) -> bool:
        return bool(self.nodes)

    @property
    def present(self) -> bool:
        return (self.online or self.in_hall) and not self.removed

    @property
    def announced(self) -> bool:
        """Whether everyone hears of this person: staff and attendees in the hall.

        A resident's comings and goings are theirs and the moderators'. (In a room
        of thousands, telling every phone about every other phone's presence is
        also the one cost that grows with the square of the room.)
        """
        return self.role in STAFF_ROLES or self.in_hall

    def to_wire(self) -> Json:
        return {
            "participant_id": self.participant_id,
            "name": self.name,
            "role": self.role.value,
            "online": self.online,
            "in_hall": self.in_hall,
            "muted_until": self.muted_until,
            "removed": self.removed,
        }


@dataclass(slots=True)
class QueueEntry:
    participant_id: str
    stance: str
    raised_at: int
    order: int  # the log seq of the raise: breaks ties in log order
    note: str | None = None
    by: str | None = None  # who raised it for an attendee in the hall


@dataclass(slots=True)
class SideTally:
    turns: int = 0
    ms: int = 0
    last_ended_at: int | None = None

    def to_wire(self) -> Json:
        return {"turns": self.turns, "ms": self.ms}


@dataclass(slots=True)
class Statement:
    statement_id: str
    turn_id: str
    participant_id: str
    text: str
    at: int
    by: str  # who posted it (the speaker, or a clerk for an attendee in the hall)

    def to_wire(self) -> Json:
        return {
            "statement_id": self.statement_id,
            "turn_id": self.turn_id,
            "participant_id": self.participant_id,
            "text": self.text,
            "at": self.at,
        }

    def to_wire_named(self) -> Json:
        """With who posted it (rules 3 on): a clerk's words for an attendee say so."""
        return {**self.to_wire(), "by": self.by}


@dataclass(slots=True)
class Turn:
    turn_id: str
    item_id: str
    participant_id: str
    name: str
    stance: str
    started_at: int
    ends_at: int
    override: bool
    ended_at: int | None = None
    reason: str | None = None
    duration_ms: int | None = None
    extended_ms: int = 0
    statements: list[Statement] = field(default_factory=list)
    # Rules 5: the room recorded audio at some time during this turn, and the
    # recordings were not erased since (its frames may be in the side store).
    recorded: bool = False

    def to_wire(self) -> Json:
        return {
            "turn_id": self.turn_id,
            "participant_id": self.participant_id,
            "name": self.name,
            "stance": self.stance,
            "started_at": self.started_at,
            "ends_at": self.ends_at,
            "override": self.override,
            "item_id": self.item_id,
        }


@dataclass(slots=True)
class AgendaItem:
    item_id: str
    title: str
    # Waiting hands, keyed by participant, in raise order.
    queue: dict[str, QueueEntry] = field(default_factory=dict)
    balance: dict[str, SideTally] = field(default_factory=lambda: {s: SideTally() for s in STANCES})
    person_turns: dict[str, int] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    # For the `alternate` policy.
    last_side: str | None = None  # support or oppose, the last such turn
    sided_since_neutral: int = 0

    def has_records(self) -> bool:
        return bool(self.turns or self.queue)


@dataclass(slots=True)
class Poll:
    poll_id: str
    item_id: str
    question: str
    options: list[str]
    kind: str
    max_choices: int
    secret: bool
    live_results: bool
    opened_at: int
    opened_by: str
    eligible_ids: set[str]
    status: str = "open"
    closed_at: int | None = None
    ballots: dict[str, tuple[int, ...]] = field(default_factory=dict)
    counts: list[int] = field(default_factory=list)
    # Live tallies are coalesced: at most one every TALLY_INTERVAL_MS.
    last_tally_at: int | None = None
    tally_dirty: bool = False
    # Turnout (how many voted of how many may) is public for every poll, secret ones
    # included: it moves with each ballot, coalesced the same way, and says no choice.
    last_turnout_at: int | None = None
    turnout_dirty: bool = False
    # Sealed ballots (rules 4, secret polls): ``ballots`` maps each voter to ()
    # and ``sealed`` to their sealed choice, which only the server can open with
    # the key ``key_id`` names (kept outside the log). ``cast`` counts ballots
    # cast, revotes included; ``released`` is the live tally last released (at
    # ``released_cast`` ballots); ``counted`` is set by the count after the close,
    # which also records the choices in shuffled order and forgets ``sealed``.
    key_id: str | None = None
    sealed: dict[str, str] = field(default_factory=dict)
    cast: int = 0
    released: Json | None = None
    released_cast: int = 0
    counted: bool = False
    lost: bool = False  # the key was gone before the count: counts unknown
    recount: list[list[int]] = field(default_factory=list)
    # Rules 6 (polls.py, tally.py): a score poll's top score; the rules the poll decides
    # by; the eligible participants present at its close (the quorum's count); and,
    # once its counts are final, what was decided: ``outcome`` and ``decided_by`` when
    # it set a rule, ``winner`` and ``rounds`` for a ranked poll, ``means`` for a score.
    max_score: int | None = None
    quorum: int | None = None
    threshold: str | None = None
    threshold_base: str | None = None
    present: int | None = None
    decided: Json | None = None

    @property
    def sealed_ballots(self) -> bool:
        return self.key_id is not None

    @property
    def voters(self) -> int:
        return len(self.ballots)

    @property
    def eligible(self) -> int:
        return len(self.eligible_ids | set(self.ballots))

    @property
    def uncounted(self) -> bool:
        """Closed, sealed, and the count not yet in the log."""
        return self.sealed_ballots and self.status == "closed" and not self.counted

    def to_wire(self) -> Json:
        return {
            "poll_id": self.poll_id,
            "question": self.question,
            "options": list(self.options),
            "kind": self.kind,
            "max_choices": self.max_choices,
            "secret": self.secret,
            "live_results": self.live_results,
            "status": self.status,
            "item_id": self.item_id,
            **self.procedure(),
        }

    def procedure(self) -> Json:
        """The rules 6 fields the poll set (none for a poll of older rules)."""
        out: Json = {}
        if self.max_score is not None:
            out["max_score"] = self.max_score
        if self.quorum is not None:
            out["quorum"] = self.quorum
        if self.threshold is not None:
            out["threshold"] = self.threshold
            out["threshold_base"] = self.threshold_base
        return out

    def tally(self) -> Json:
        """The exact tally (sealed: once counted); see ``shown_tally`` for what is shown."""
        tally: Json = {
            "poll_id": self.poll_id,
            "counts": None if self.lost else list(self.counts),
            "voters": self.voters,
            "eligible": self.eligible,
        }
        if self.decided is not None:
            tally.update(self.decided)
        return tally

    def turnout(self) -> Json:
        """How many have voted and how many may: public, exact, and never a choice."""
        return {"poll_id": self.poll_id, "voters": self.voters, "eligible": self.eligible}

    def shown_tally(self) -> Json:
        """The tally as the room may see it now: a secret poll's live counts are the
        last batch released, with the eligibility at opening (the same in events and
        in snapshots), until the count; a named poll's are exact."""
        if self.sealed_ballots and not self.counted:
            released = self.released or {"counts": [0] * len(self.options), "voters": 0}
            return {
                "poll_id": self.poll_id,
                "counts": list(released["counts"]),
                "voters": released["voters"],
                "eligible": len(self.eligible_ids),
            }
        tally = self.tally()
        if self.secret and self.status == "open":
            tally["eligible"] = len(self.eligible_ids)
        return tally


@dataclass(slots=True)
class ChatMessage:
    message_id: str
    participant_id: str
    name: str
    text: str
    at: int
    status: str  # visible | masked | held | removed
    reasons: tuple[str, ...] = ()
    approved: bool = False
    # A held message's evidence ("score:adult 0.97 [番号 +1.6, ...]", "spam:百家乐"):
    # for the moderators' review only; empty in rooms whose log predates it.
    why: tuple[str, ...] = ()
    pinned: bool = False

    @property
    def public(self) -> bool:
        return self.status in ("visible", "masked")

    def to_review(self) -> Json:
        """What the moderators see of a held message: why it was held, and (where the
        log says) the evidence; a log from before ``why`` replays to what it sent."""
        out = {**self.to_wire(), "reasons": list(self.reasons)}
        if self.why:
            out["why"] = list(self.why)
        return out

    def to_wire(self) -> Json:
        return {
            "message_id": self.message_id,
            "participant_id": self.participant_id,
            "name": self.name,
            "text": self.text,
            "at": self.at,
            "status": self.status,
        }


@dataclass(slots=True)
class Decision:
    decision_id: str
    text: str
    poll_id: str | None
    item_id: str
    at: int

    def to_wire(self) -> Json:
        return {
            "decision_id": self.decision_id,
            "text": self.text,
            "poll_id": self.poll_id,
            "item_id": self.item_id,
            "at": self.at,
        }


@dataclass(slots=True)
class Action:
    action_id: str
    title: str
    owner: str
    due: str
    item_id: str
    at: int
    status: str = "open"
    updates: list[Json] = field(default_factory=list)

    def to_wire(self) -> Json:
        return {
            "action_id": self.action_id,
            "title": self.title,
            "owner": self.owner,
            "due": self.due,
            "status": self.status,
            "item_id": self.item_id,
            "at": self.at,
            "updates": [dict(u) for u in self.updates],
        }


@dataclass(slots=True)
class Note:
    note_id: str
    text: str
    by: str
    at: int
    item_id: str

    def to_wire(self) -> Json:
        return {
            "note_id": self.note_id,
            "text": self.text,
            "by": self.by,
            "at": self.at,
            "item_id": self.item_id,
        }


@dataclass(slots=True)
class ChatBucket:
    tokens: float
    at: int


@dataclass(slots=True)
class RoomState:
    room_id: str
    title: str = ""
    topic: str = ""
    created_at: int = 0
    rules_version: int = RULES_VERSION
    status: str = "pending"  # pending | live | ended
    started_at: int | None = None
    ended_at: int | None = None
    settings: Json = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    agenda: list[AgendaItem] = field(default_factory=list)
    current: int = 0
    participants: dict[str, Participant] = field(default_factory=dict)
    turn: Turn | None = None
    polls: dict[str, Poll] = field(default_factory=dict)
    chat: dict[str, ChatMessage] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    actions: dict[str, Action] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    invite_code: str = ""
    personal_codes: dict[str, str] = field(default_factory=dict)  # code -> participant id
    # Rules 4: personal codes a moderator reset, in order: {participant_id, name, by, at}.
    code_resets: list[Json] = field(default_factory=list)
    minutes_published: bool = False
    minutes_url: str | None = None
    # Entries the reducer could not apply (a bug, or a corrupt log): (seq, kind).
    faults: list[tuple[int, str]] = field(default_factory=list)
    entry_seq: int = 0  # the last log entry applied
    event_seq: int = 0  # the last event number given
    last_at: int = 0
    queue_announced_at: int | None = None  # the last queue.changed
    queue_due: bool = False  # hands moved since, inside the coalescing window
    # (participant id, nonce) -> (at, wire reply body), oldest first.
    nonces: OrderedDict[tuple[str, str], tuple[int, Json]] = field(default_factory=OrderedDict)
    chat_buckets: dict[str, ChatBucket] = field(default_factory=dict)
    # Indexes, so a welcome costs the same in a room of 50 or 50,000 (ordered sets).
    announced_ids: dict[str, None] = field(default_factory=dict)  # people everyone hears of
    pinned_ids: dict[str, None] = field(default_factory=dict)  # pinned chat, in pin order
    # Rules 5: recordings (core/recordings.py). ``chair_recorded``: the room recorded at
    # some time since the last erasure (the chair's voice outside turns may be kept);
    # ``recordings_erased``: when each erasure was logged.
    recordings_published: bool = False
    chair_recorded: bool = False
    recordings_erased: list[int] = field(default_factory=list)
    # -- rules 6: minutes approved and signed (core/approval.py) --------------------------
    # ``ended_seq``: the log entry that ended the session (an approval covers at least
    # the entries up to it). ``approval_pending``: an approval waiting for its second
    # signatory ({entries, digest, by, cosigner, at}). ``approvals``: complete ones, in
    # order, each {statement, signature, public_key} exactly as signed. ``amendments``:
    # corrections appended after the first approval ({amendment_id, text, by, at}).
    ended_seq: int | None = None
    approval_pending: Json | None = None
    approvals: list[Json] = field(default_factory=list)
    amendments: list[Json] = field(default_factory=list)

    def add_participant(self, person: Participant) -> None:
        self.participants[person.participant_id] = person
        if person.announced:  # role and in_hall never change: neither does this
            self.announced_ids[person.participant_id] = None

    @property
    def rules(self) -> Rules:
        return RULES[self.rules_version]

    @property
    def item(self) -> AgendaItem:
        return self.agenda[self.current]

    def item_by_id(self, item_id: str) -> AgendaItem | None:
        return next((i for i in self.agenda if i.item_id == item_id), None)
