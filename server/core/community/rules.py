"""The rules of a community's topics: the state graph, who may move a topic, and the
handlers that apply each entry.

The graph (``to``: from which states, by whom):

* ``release`` held → submitted, ``reject`` held → rejected: a moderator's
  review of what moderation was unsure about.
* ``accepted`` from submitted; ``merged`` (``into`` another public topic) and
  ``declined`` (a public ``reason`` required) from submitted or accepted:
  moderators (triage).
* ``scheduled`` from accepted, and again from deliberated, in_progress or
  not_solved (a follow-up session): moderators; the server creates or links the
  room and puts its id in the entry.
* ``deliberated`` from scheduled: moderators; the entry carries the room's
  decisions. ``in_progress`` from deliberated or in_progress (a new report):
  moderators and offices; the entry carries the room's actions.
* ``solved`` and ``not_solved`` from deliberated or in_progress: offices, with
  their ``report`` (required).

Every change records its actor (role and name), its reason if given, and its
time (the entry's ``at``) in the topic's timeline.

Residents have no account: they submit, co-sign and rate with a device, of
which the log keeps a keyed hash. Co-signs are taken while the topic is open
(submitted to in_progress), ratings once it is solved or not solved. Clerks
enter topics for households that cannot use a phone (``household`` required,
no device); the topic is marked.

Who counts (rules 2; support.py applies them). A co-sign count is a public
figure staff act on, so it counts people, never device strings (which anyone
can mint by the dozen):

* Moderators issue **household codes** (``household.issue``): one random code
  per label, printed on a slip for the door; the log keeps a keyed hash of each.
  A resident enters hers once on her phone (``household.claim``): the first
  device binds it; another device is refused until a moderator frees it
  (``household.reset``), and a device holds one household's code at most.
* A co-sign or rating from a device bound to a household is **the household's**
  and counts once per household, whichever device (a reset one included). A
  clerk may enter one in person for a household (``household`` named, no
  device; marked). The household's own and the clerk's are one.
* A device without a household code gives **anonymous support**: recorded once
  per device, shown apart, never in a figure. Its anonymous co-sign or rating
  becomes the household's if the device later co-signs or rates with a code.
* A topic's author cannot co-sign it: not from the device that submitted it,
  nor as the household that device held then.
* Merged topics: the target takes the merged topic's supporters, counted and
  anonymous, each once.

Under rules 1 (communities created before) a device's co-sign and rating
counted as themselves, an author's too, and households are not issued: their
logs replay as they were.

Order of the checks: the topic exists (held and rejected ones do not, for
residents), the sender's role, the topic's state, then the arguments the
target needs. A refused entry changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..types import CommandError, Entry, ErrorCode, Json
from . import args as a
from .graph import GRAPH
from .state import (
    ACCEPTED,
    DEFAULT_CATEGORIES,
    DELIBERATED,
    HIDDEN,
    IN_PROGRESS,
    MERGED,
    NOT_SOLVED,
    SCHEDULED,
    SOLVED,
    SUBMITTED,
    CommunityState,
    LinkedAction,
    Session,
    Staff,
    Step,
    Topic,
    index,
    month_of,
    unindex,
)

MODERATOR = frozenset({"moderator"})
OFFICE = frozenset({"office"})
CLERK = frozenset({"clerk"})


COSIGNABLE = frozenset({SUBMITTED, ACCEPTED, SCHEDULED, DELIBERATED, IN_PROGRESS})
RATEABLE = frozenset({SOLVED, NOT_SOLVED})
MERGE_TARGETS = frozenset(
    {SUBMITTED, ACCEPTED, SCHEDULED, DELIBERATED, IN_PROGRESS, SOLVED, NOT_SOLVED}
)

Handler = Callable[[CommunityState, Entry, Any], Json]


def refuse(code: ErrorCode, message: str) -> CommandError:
    return CommandError(code, message)


def conflict(message: str) -> CommandError:
    return CommandError(ErrorCode.CONFLICT, message)


# -- who is sending ------------------------------------------------------------------


def staff_of(state: CommunityState, entry: Entry, roles: frozenset[str], what: str) -> Staff:
    """The staff member who sent ``entry``, if one of ``roles``; raises otherwise."""
    staff = state.staff.get(entry.actor or "")
    if staff is None:
        raise refuse(ErrorCode.UNAUTHORIZED, f"{what} needs a staff token")
    if staff.role not in roles:
        raise refuse(
            ErrorCode.FORBIDDEN,
            f"{what} is for {' and '.join(sorted(roles))} staff, not {staff.role}",
        )
    return staff


def public_topic(state: CommunityState, topic_id: str) -> Topic:
    topic = state.topics.get(topic_id)
    if topic is None or topic.state in HIDDEN:
        raise refuse(ErrorCode.NOT_FOUND, "no such topic")
    return topic


def staff_topic(state: CommunityState, topic_id: str) -> Topic:
    topic = state.topics.get(topic_id)
    if topic is None:
        raise refuse(ErrorCode.NOT_FOUND, "no such topic")
    return topic


def _move(state: CommunityState, topic: Topic, new: str, step: Step) -> None:
    unindex(state, topic)
    topic.state = new
    topic.ever.add(new)
    index(state, topic)
    topic.timeline.append(step)
    state.changes.append((topic.topic_id, len(topic.timeline) - 1))


# -- the community and its staff -----------------------------------------------------


def community_create(state: CommunityState, entry: Entry, args: a.CommunityCreate) -> Json:
    if state.created:
        raise conflict("the community already exists")
    state.name = args.name
    state.description = args.description or ""
    cats = list(dict.fromkeys(args.categories or DEFAULT_CATEGORIES))
    state.categories = cats
    state.created_at = entry.at
    state.utc_offset_min = args.utc_offset_min
    state.rules_version = args.rules_version
    for category in cats:
        state.by_category.setdefault(category, set())
    staff = Staff("s1", "moderator", args.founder or "社区")
    state.staff[staff.staff_id] = staff
    return {"staff_id": staff.staff_id, "token_version": 0}


def staff_add(state: CommunityState, entry: Entry, args: a.StaffAdd) -> Json:
    staff_of(state, entry, MODERATOR, "adding staff")
    staff = Staff(f"s{len(state.staff) + 1}", args.role, args.name)
    state.staff[staff.staff_id] = staff
    return {"staff_id": staff.staff_id, "role": staff.role, "token_version": 0}


def staff_revoke(state: CommunityState, entry: Entry, args: a.StaffRevoke) -> Json:
    """A moderator withdraws a staff link (a leaked one, someone who left): its token
    version moves on, so every token issued for it stops working on every node."""
    me = staff_of(state, entry, MODERATOR, "revoking staff")
    target = state.staff.get(args.staff_id)
    if target is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no staff {args.staff_id}")
    if target.staff_id == me.staff_id:
        raise conflict("a moderator cannot revoke their own link; ask another moderator")
    target.token_version += 1
    return {"staff_id": target.staff_id, "token_version": target.token_version}


# -- residents: submit (co-signs and ratings: support.py) --------------------------------


def submit_check(state: CommunityState, entry: Entry, args: a.TopicSubmit) -> Staff | None:
    """Who may submit and with what: a resident with a device, or a clerk for a
    household; a category of the community's. The clerk, if it is one."""
    clerk: Staff | None = None
    if entry.actor is not None:
        clerk = staff_of(state, entry, CLERK, "entering a topic for a household")
        if not args.household:
            raise refuse(ErrorCode.BAD_COMMAND, "household is required for a clerk's entry")
        if args.device is not None:
            raise refuse(ErrorCode.BAD_COMMAND, "a clerk's entry has no device")
    else:
        if args.device is None:
            raise refuse(ErrorCode.BAD_COMMAND, "device is required")
        if args.household is not None:
            raise refuse(ErrorCode.FORBIDDEN, "only a clerk enters a topic for a household")
    if args.category is not None and args.category not in state.categories:
        raise refuse(
            ErrorCode.BAD_COMMAND, f"category must be one of {', '.join(state.categories)}"
        )
    return clerk


def topic_submit(state: CommunityState, entry: Entry, args: a.TopicSubmit) -> Json:
    clerk = submit_check(state, entry, args)
    category = args.category or ("其他" if "其他" in state.categories else state.categories[-1])
    number = len(state.topics) + 1
    topic = Topic(
        topic_id=f"t{number}",
        number=number,
        title=args.title,
        description=args.description,
        category=category,
        place=args.place,
        submitted_at=entry.at,
        month=month_of(entry.at, state.utc_offset_min),
        state=args.status,
        by_clerk=clerk is not None,
        household=args.household,
        device=args.device,
        author_household=state.household_devices.get(args.device or ""),
        contact=args.contact,
        ever={args.status},
        held_reasons=list(args.reasons or ()),
        search=f"{args.title}\n{args.description}".casefold(),
    )
    topic.timeline.append(
        Step(entry.at, args.status, "clerk" if clerk else "resident", clerk.name if clerk else "")
    )
    state.topics[topic.topic_id] = topic
    index(state, topic)
    state.by_category.setdefault(category, set()).add(topic.topic_id)
    state.by_month.setdefault(topic.month, set()).add(topic.topic_id)
    state.changes.append((topic.topic_id, 0))
    return {"topic_id": topic.topic_id, "state": topic.state}


# -- staff: transitions ---------------------------------------------------------------


def transition_check(state: CommunityState, entry: Entry, args: a.TopicTransition) -> Staff:
    """Everything :func:`topic_transition` refuses, in order; changes nothing."""
    staff = state.staff.get(entry.actor or "")
    if staff is None:
        raise refuse(ErrorCode.UNAUTHORIZED, "a transition needs a staff token")
    topic = staff_topic(state, args.topic_id)
    move = GRAPH[args.to]
    if staff.role not in move.roles:
        raise refuse(
            ErrorCode.FORBIDDEN,
            f"{args.to} is for {' and '.join(sorted(move.roles))} staff, not {staff.role}",
        )
    if topic.state not in move.sources:
        raise conflict(f"a {topic.state} topic cannot become {args.to}")
    if args.to == "declined" and not args.reason:
        raise refuse(ErrorCode.BAD_COMMAND, "a declined topic needs a public reason")
    if args.to in ("solved", "not_solved") and not args.report:
        raise refuse(ErrorCode.BAD_COMMAND, "the office's report is required")
    if args.to == "merged":
        _merge_check(state, topic, args.into)
    if args.to == "scheduled":
        if not args.room_id:
            raise refuse(ErrorCode.BAD_COMMAND, "room_id is required")
        if any(s.room_id == args.room_id for s in topic.sessions):
            raise conflict("that room is already linked to this topic")
    return staff


def _merge_check(state: CommunityState, topic: Topic, into: str | None) -> None:
    if not into:
        raise refuse(ErrorCode.BAD_COMMAND, "into (the topic to merge into) is required")
    if into == topic.topic_id:
        raise conflict("a topic cannot be merged into itself")
    target = state.topics.get(into)
    if target is None or target.state in HIDDEN:
        raise refuse(ErrorCode.NOT_FOUND, f"no such topic {into}")
    if target.state == MERGED:
        raise conflict(f"{into} was merged into {target.merged_into}; merge into that one")
    if target.state not in MERGE_TARGETS:
        raise conflict(f"a topic cannot be merged into a {target.state} one")


def topic_transition(state: CommunityState, entry: Entry, args: a.TopicTransition) -> Json:
    staff = transition_check(state, entry, args)
    topic = state.topics[args.topic_id]
    move = GRAPH[args.to]
    step = Step(entry.at, move.state, staff.role, staff.name, reason=args.reason)
    result: Json = {"topic_id": topic.topic_id, "state": move.state}
    if args.to == "merged":
        assert args.into is not None
        target = state.topics[args.into]
        topic.merged_into = target.topic_id
        target.merged.append(topic.topic_id)
        # Each supporter once: a household (rules 1: a device) on both counts once.
        target.cosigners |= topic.cosigners
        target.clerk_cosigns |= topic.clerk_cosigns
        target.anonymous |= topic.anonymous
        step.into = target.topic_id
    elif args.to == "scheduled":
        assert args.room_id is not None
        topic.sessions.append(
            Session(
                args.room_id,
                args.room_title or topic.title,
                entry.at,
                when=args.when,
                place=args.place,
            )
        )
        step.room_id = args.room_id
        result["room_id"] = args.room_id
    elif args.to == "deliberated":
        topic.sessions[-1].decisions = list(args.decisions or ())
        topic.sessions[-1].held = True
        step.room_id = topic.sessions[-1].room_id
    elif args.to in ("in_progress", "solved", "not_solved"):
        latest = topic.sessions[-1] if topic.sessions else None
        if latest is not None and args.actions is not None:
            latest.actions = [LinkedAction(**action) for action in args.actions]
        step.report = args.report
        if latest is not None:
            step.room_id = latest.room_id
        if args.to == "solved":
            topic.solved_at = entry.at
    _move(state, topic, move.state, step)
    return result
