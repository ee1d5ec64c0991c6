"""A community's state: its staff, its topics, and the indexes its list is read by.

Topic ids are ``t1, t2, ...`` in submission order and staff ids ``s1, s2, ...``:
numbered by the state, so every node that applies the same log gives the same
ids. The indexes (by state, category and month) are kept by :func:`index` and
:func:`unindex` whenever a topic's state changes, so a filtered list reads a
few sets instead of every topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The states a topic can be in (rules.py has the graph).
HELD, REJECTED, SUBMITTED, ACCEPTED, MERGED, DECLINED = (
    "held",
    "rejected",
    "submitted",
    "accepted",
    "merged",
    "declined",
)
SCHEDULED, DELIBERATED, IN_PROGRESS, SOLVED, NOT_SOLVED = (
    "scheduled",
    "deliberated",
    "in_progress",
    "solved",
    "not_solved",
)
STATES = (
    HELD,
    REJECTED,
    SUBMITTED,
    ACCEPTED,
    MERGED,
    DECLINED,
    SCHEDULED,
    DELIBERATED,
    IN_PROGRESS,
    SOLVED,
    NOT_SOLVED,
)
HIDDEN = frozenset({HELD, REJECTED})  # never shown publicly, never counted
RATINGS = ("satisfied", "partly", "not")
STAFF_ROLES = ("moderator", "clerk", "office")
DEFAULT_CATEGORIES = ("加装电梯", "停车", "垃圾分类", "环境卫生", "安全", "其他")
DAY_MS = 86_400_000
# The community's rules, as the version it was created under set them (its
# ``community.create`` carries it; a log without one is version 1). Version 1: a
# device's co-sign or rating counted in the public figures, its author's too.
# Version 2 (rules.py, "Who counts"): only a household's (its code bound to a
# phone, or a clerk's entry) counts; a device alone is anonymous support, shown
# apart; an author cannot co-sign their own topic. Bump when a rule changes in a
# way that would replay an old log differently.
RULES_VERSION = 2


@dataclass(slots=True)
class Staff:
    staff_id: str
    role: str  # moderator | clerk | office
    name: str
    token_version: int = 0


@dataclass(slots=True)
class Household:
    """A household's printed code (rules 2): only its keyed hash is kept, and the keyed
    hash of the one device it is bound to (the first that entered it)."""

    household_id: str
    label: str  # staff's note of the door ("5号楼2单元301"): staff only, never public
    code: str  # keyed hash of the code
    issued_at: int
    device: str | None = None
    resets: int = 0


@dataclass(slots=True)
class Step:
    """One line of a topic's timeline: a state reached, by whom, why."""

    at: int
    state: str
    role: str  # resident | clerk | moderator | office
    name: str
    reason: str | None = None
    room_id: str | None = None
    report: str | None = None
    into: str | None = None


@dataclass(slots=True)
class LinkedAction:
    """A room's action as copied into the community's log (owner, due, status then)."""

    action_id: str
    title: str
    owner: str
    due: str
    status: str


@dataclass(slots=True)
class Session:
    """A room held on a topic (one issue, one session; follow-ups are more sessions)."""

    room_id: str
    title: str
    at: int
    when: str | None = None
    place: str | None = None
    held: bool = False  # marked deliberated: the meeting took place (figures count these)
    decisions: list[str] = field(default_factory=list)
    actions: list[LinkedAction] = field(default_factory=list)


@dataclass(slots=True)
class Topic:
    topic_id: str
    number: int
    title: str
    description: str
    category: str
    place: str | None
    submitted_at: int
    month: str  # YYYY-MM of submission, in the community's calendar
    state: str
    by_clerk: bool = False
    household: str | None = None
    device: str | None = None  # the submitter's keyed device hash
    author_household: str | None = None  # the household that device held then (rules 2)
    contact: str | None = None  # what moderation masked in her texts: staff only, never public
    # Counted supporters: household ids (rules 1: device hashes), merged ones too.
    cosigners: set[str] = field(default_factory=set)
    ratings: dict[str, str] = field(default_factory=dict)  # counted supporter -> rating
    # Rules 2: a device without a household code is anonymous support, never counted.
    anonymous: set[str] = field(default_factory=set)  # device hashes
    anonymous_ratings: dict[str, str] = field(default_factory=dict)  # device hash -> rating
    clerk_cosigns: set[str] = field(default_factory=set)  # households a clerk entered
    clerk_ratings: set[str] = field(default_factory=set)
    merged_into: str | None = None
    merged: list[str] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    timeline: list[Step] = field(default_factory=list)
    ever: set[str] = field(default_factory=set)  # every state the topic has reached
    solved_at: int | None = None
    held_reasons: list[str] = field(default_factory=list)
    search: str = ""  # title and description, case-folded, for ?q=


@dataclass(slots=True)
class CommunityState:
    community_id: str
    name: str = ""
    description: str = ""
    categories: list[str] = field(default_factory=list)
    created_at: int = 0
    utc_offset_min: int = 0  # the community's calendar (months, days)
    rules_version: int = 1
    entry_seq: int = 0
    last_at: int = 0
    staff: dict[str, Staff] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)
    household_codes: dict[str, str] = field(default_factory=dict)  # code hash -> household
    household_devices: dict[str, str] = field(default_factory=dict)  # device hash -> household
    by_state: dict[str, set[str]] = field(default_factory=dict)
    by_category: dict[str, set[str]] = field(default_factory=dict)
    by_month: dict[str, set[str]] = field(default_factory=dict)
    changes: list[tuple[str, int]] = field(default_factory=list)  # (topic id, step index)
    faults: list[tuple[int, str]] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.created_at > 0 or bool(self.staff)


def index(state: CommunityState, topic: Topic) -> None:
    state.by_state.setdefault(topic.state, set()).add(topic.topic_id)


def unindex(state: CommunityState, topic: Topic) -> None:
    state.by_state.get(topic.state, set()).discard(topic.topic_id)


def month_of(at_ms: int, utc_offset_min: int) -> str:
    """``YYYY-MM`` of ``at_ms`` in a calendar ``utc_offset_min`` ahead of UTC.

    Pure arithmetic on days since 1970-01-01 (civil-from-days), no clock or zone
    database read.
    """
    days = (at_ms + utc_offset_min * 60_000) // DAY_MS
    year, month, _ = civil_from_days(days)
    return f"{year:04d}-{month:02d}"


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of the ``days``-th day after 1970-01-01 (proleptic Gregorian)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day
