"""The arguments of a community's log entries, checked as the room's are (schema.py).

Texts are stripped and bounded; the limits are the contract's (title 60,
description 1000, place 100). Fields marked ``server`` are set by the server at
the edge (a device's keyed hash, the moderation verdict, the calendar, a room's
decisions and actions): a client cannot send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..schema import ServerValue, arg, bad, bounded, integer, list_of, one_of, opt
from ..types import Json
from .graph import TARGETS
from .state import RATINGS, RULES_VERSION, STAFF_ROLES

TITLE, DESCRIPTION, PLACE, NAME, REASON, REPORT, CATEGORY = 60, 1000, 100, 40, 500, 2000, 20
MAX_CATEGORIES = 20
MAX_LINKED = 200  # decisions or actions copied from one room
MAX_HOUSEHOLDS = 200  # codes issued at once (a few sheets of slips)


def short_string(what: str, limit: int) -> Any:
    """A check: a non-empty string of at most ``limit`` characters (an id, a hash)."""

    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            raise bad(f"{name} must be {what}")
        return value

    return check


device_hash = short_string("a device hash", 64)
code_hash = short_string("a code hash", 64)
topic_ref = short_string("a topic id", 16)
household_ref = short_string("a household id", 16)
room_ref = short_string("a room id", 64)


def linked_action(name: str, value: Any) -> Json:
    if not isinstance(value, dict):
        raise bad(f"{name} must be an action")
    keys = ("action_id", "title", "owner", "due", "status")
    if set(value) != set(keys) or not all(isinstance(value[k], str) for k in keys):
        raise bad(f"{name} must have {', '.join(keys)}")
    return {k: value[k] for k in keys}


def reasons(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 100 for v in value):
        raise bad(f"{name} must be a list of short strings")
    return list(value[:20])


@dataclass(frozen=True, slots=True)
class CommunityCreate:
    name: str = arg(bounded(NAME * 2))
    description: str | None = opt(bounded(DESCRIPTION, allow_empty=True))
    categories: list[str] | None = opt(list_of(bounded(CATEGORY), low=1, high=MAX_CATEGORIES))
    founder: str | None = opt(bounded(NAME))
    utc_offset_min: int = opt(integer(-14 * 60, 14 * 60), server=ServerValue.FROM_NODE, default=0)
    rules_version: int = opt(
        integer(1, RULES_VERSION), server=ServerValue.RULES_VERSION, default=1
    )  # absent: written before rules 2


@dataclass(frozen=True, slots=True)
class StaffAdd:
    role: str = arg(one_of(*STAFF_ROLES))
    name: str = arg(bounded(NAME))


@dataclass(frozen=True, slots=True)
class StaffRevoke:
    staff_id: str = arg(topic_ref)


@dataclass(frozen=True, slots=True)
class TopicSubmit:
    title: str = arg(bounded(TITLE))
    description: str = arg(bounded(DESCRIPTION))
    category: str | None = opt(bounded(CATEGORY))
    place: str | None = opt(bounded(PLACE))
    household: str | None = opt(bounded(PLACE))  # a clerk's entry: who it is for
    device: str | None = opt(device_hash, server=ServerValue.DEVICE)
    status: str = opt(one_of("submitted", "held"), server=ServerValue.VERDICT, default="submitted")
    reasons: list[str] | None = opt(reasons, server=ServerValue.VERDICT)
    # What moderation masked in the texts, unmasked, for staff to reach her (never public).
    contact: str | None = opt(bounded(REASON), server=ServerValue.VERDICT)


@dataclass(frozen=True, slots=True)
class TopicCosign:
    topic_id: str = arg(topic_ref)
    household: str | None = opt(household_ref)  # a clerk's entry: which household, in person
    device: str | None = opt(device_hash, server=ServerValue.DEVICE)  # a resident's


@dataclass(frozen=True, slots=True)
class TopicRate:
    topic_id: str = arg(topic_ref)
    rating: str = arg(one_of(*RATINGS))
    household: str | None = opt(household_ref)
    device: str | None = opt(device_hash, server=ServerValue.DEVICE)


@dataclass(frozen=True, slots=True)
class HouseholdIssue:
    labels: list[str] = arg(list_of(bounded(PLACE), low=1, high=MAX_HOUSEHOLDS))
    # The keyed hashes of the random codes, one per label (the codes never enter the log).
    codes: list[str] | None = opt(
        list_of(code_hash, low=1, high=MAX_HOUSEHOLDS), server=ServerValue.INVITE_CODES
    )


@dataclass(frozen=True, slots=True)
class HouseholdClaim:
    code: str = arg(code_hash, server=ServerValue.INVITE_CODES)
    device: str = arg(device_hash, server=ServerValue.DEVICE)


@dataclass(frozen=True, slots=True)
class HouseholdReset:
    household_id: str = arg(household_ref)


@dataclass(frozen=True, slots=True)
class TopicTransition:
    topic_id: str = arg(topic_ref)
    to: str = arg(one_of(*TARGETS))
    reason: str | None = opt(bounded(REASON))
    into: str | None = opt(topic_ref)
    room_id: str | None = opt(room_ref)
    when: str | None = opt(bounded(40))
    place: str | None = opt(bounded(PLACE))
    report: str | None = opt(bounded(REPORT))
    # Set by the server from the room (scheduled: its title; deliberated: its
    # decisions; in_progress, solved, not_solved: its actions as they stand).
    room_title: str | None = opt(bounded(200), server=ServerValue.FROM_NODE)
    decisions: list[str] | None = opt(
        list_of(bounded(2000), low=0, high=MAX_LINKED), server=ServerValue.FROM_NODE
    )
    actions: list[Json] | None = opt(
        list_of(linked_action, low=0, high=MAX_LINKED), server=ServerValue.FROM_NODE
    )
