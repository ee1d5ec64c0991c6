"""Co-signs and ratings, and the household codes that make them count.

rules.py states the rules ("Who counts"); this module applies them. Every check
runs in rules.py's order (the topic exists, the sender's role, the topic's state,
then the arguments) and changes nothing; each handler calls its check, then
applies. What the check decides about the sender is a :class:`Supporter`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import CommandError, Entry, ErrorCode, Json
from . import args as a
from .rules import CLERK, COSIGNABLE, MODERATOR, RATEABLE, conflict, public_topic, refuse, staff_of
from .state import HIDDEN, MERGED, CommunityState, Household, Topic

HOUSEHOLD_RULES = 2  # the rules version households came in with (state.RULES_VERSION)


@dataclass(frozen=True, slots=True)
class Supporter:
    """Who a co-sign or a rating is from, as the rules count it."""

    key: str  # a household id; a device hash when anonymous (or under rules 1)
    counted: bool  # in the public figures
    clerk: bool  # entered by a clerk, in person
    device: str | None  # the resident's device hash (none for a clerk's entry)


def supporter(
    state: CommunityState, entry: Entry, household: str | None, device: str | None, what: str
) -> Supporter:
    """The sender of a co-sign or rating: a clerk for a household, a device bound to a
    household, or (rules 2) an anonymous device. Raises ``CommandError``."""
    if entry.actor is not None:
        staff_of(state, entry, CLERK, f"entering a {what} for a household")
        if state.rules_version < HOUSEHOLD_RULES:
            raise conflict("this community has no household codes (created before them)")
        if household is None:
            raise refuse(ErrorCode.BAD_COMMAND, "household is required for a clerk's entry")
        if device is not None:
            raise refuse(ErrorCode.BAD_COMMAND, "a clerk's entry has no device")
        if household not in state.households:
            raise refuse(ErrorCode.NOT_FOUND, f"no household {household}")
        return Supporter(household, counted=True, clerk=True, device=None)
    if household is not None:
        raise refuse(
            ErrorCode.FORBIDDEN,
            "only a clerk names a household; residents enter "
            "their household code once on their phone",
        )
    if device is None:
        raise refuse(ErrorCode.BAD_COMMAND, "device is required")
    if state.rules_version < HOUSEHOLD_RULES:
        return Supporter(device, counted=True, clerk=False, device=device)
    bound = state.household_devices.get(device)
    if bound is not None:
        return Supporter(bound, counted=True, clerk=False, device=device)
    return Supporter(device, counted=False, clerk=False, device=device)


def _authored(state: CommunityState, topic: Topic, who: Supporter) -> bool:
    if state.rules_version < HOUSEHOLD_RULES:
        return False
    return (who.device is not None and who.device == topic.device) or (
        who.counted and who.key == topic.author_household
    )


def _already(who: Supporter, what: str) -> CommandError:
    by = "by this household" if who.key != who.device else "from this device"
    return conflict(f"already {what} {by}")


# -- co-signs ---------------------------------------------------------------------------


def cosign_check(state: CommunityState, entry: Entry, args: a.TopicCosign) -> Supporter:
    topic = public_topic(state, args.topic_id)
    who = supporter(state, entry, args.household, args.device, "co-sign")
    if topic.state == MERGED:
        raise conflict(f"this topic was merged into {topic.merged_into}; co-sign that one")
    if topic.state not in COSIGNABLE:
        raise conflict(f"a {topic.state} topic takes no more co-signs")
    if _authored(state, topic, who):
        raise refuse(ErrorCode.FORBIDDEN, "the author of a topic cannot co-sign it")
    if who.key in (topic.cosigners if who.counted else topic.anonymous):
        raise _already(who, "co-signed")
    return who


def topic_cosign(state: CommunityState, entry: Entry, args: a.TopicCosign) -> Json:
    who = cosign_check(state, entry, args)
    topic = state.topics[args.topic_id]
    if not who.counted:
        topic.anonymous.add(who.key)
    else:
        topic.cosigners.add(who.key)
        if who.clerk:
            topic.clerk_cosigns.add(who.key)
        if who.device is not None:  # her anonymous co-sign, if any, is now the household's
            topic.anonymous.discard(who.device)
    return {
        "cosigns": len(topic.cosigners),
        "anonymous_cosigns": len(topic.anonymous),
        "counted": who.counted,
    }


# -- ratings ----------------------------------------------------------------------------


def rate_check(state: CommunityState, entry: Entry, args: a.TopicRate) -> Supporter:
    topic = public_topic(state, args.topic_id)
    who = supporter(state, entry, args.household, args.device, "rating")
    if topic.state not in RATEABLE:
        raise conflict("a topic is rated once it is solved or not solved")
    if who.key in (topic.ratings if who.counted else topic.anonymous_ratings):
        raise _already(who, "rated")
    return who


def topic_rate(state: CommunityState, entry: Entry, args: a.TopicRate) -> Json:
    who = rate_check(state, entry, args)
    topic = state.topics[args.topic_id]
    if not who.counted:
        topic.anonymous_ratings[who.key] = args.rating
    else:
        topic.ratings[who.key] = args.rating
        if who.clerk:
            topic.clerk_ratings.add(who.key)
        if who.device is not None:
            topic.anonymous_ratings.pop(who.device, None)
    return {
        "ratings": rating_counts(topic.ratings),
        "anonymous_ratings": rating_counts(topic.anonymous_ratings),
        "counted": who.counted,
    }


def rating_counts(ratings: dict[str, str]) -> dict[str, int]:
    counts = {"satisfied": 0, "partly": 0, "not": 0}
    for rating in ratings.values():
        counts[rating] += 1
    return counts


# -- household codes --------------------------------------------------------------------


def issue_check(state: CommunityState, entry: Entry, args: a.HouseholdIssue) -> None:
    """A moderator; the codes are new."""
    staff_of(state, entry, MODERATOR, "issuing household codes")
    if any(code in state.household_codes for code in args.codes or ()):
        raise conflict("a code was issued before; issue the batch again")


def household_issue(state: CommunityState, entry: Entry, args: a.HouseholdIssue) -> Json:
    issue_check(state, entry, args)
    codes = args.codes or []
    if len(codes) != len(args.labels) or len(set(codes)) != len(codes):
        raise ValueError("one distinct code per label")  # the server's mistake: a fault
    issued = []
    for label, code in zip(args.labels, codes, strict=True):
        household = Household(f"h{len(state.households) + 1}", label, code, entry.at)
        state.households[household.household_id] = household
        state.household_codes[code] = household.household_id
        issued.append(household.household_id)
    return {"households": issued}


def claim_check(state: CommunityState, entry: Entry, args: a.HouseholdClaim) -> Household:
    """The household whose code this is, free or bound to this device; raises
    ``unauthorized`` (no such code: a wrong guess), ``forbidden`` (bound to another
    device) or ``conflict`` (this device holds another household's code)."""
    household_id = state.household_codes.get(args.code)
    if household_id is None:
        raise refuse(ErrorCode.UNAUTHORIZED, "unknown household code")
    household = state.households[household_id]
    if household.device is not None and household.device != args.device:
        raise refuse(
            ErrorCode.FORBIDDEN,
            "this household code is in use on another phone; community staff can free it",
        )
    held = state.household_devices.get(args.device)
    if held is not None and held != household_id:
        raise conflict("this phone already holds another household's code")
    return household


def household_claim(state: CommunityState, entry: Entry, args: a.HouseholdClaim) -> Json:
    household = claim_check(state, entry, args)
    household.device = args.device
    state.household_devices[args.device] = household.household_id
    return household_wire(household)


def household_reset(state: CommunityState, entry: Entry, args: a.HouseholdReset) -> Json:
    """A moderator frees a household's code from its device (a new phone): the next
    device to enter it binds it. Its co-signs and ratings stay the household's."""
    staff_of(state, entry, MODERATOR, "freeing a household code")
    household = state.households.get(args.household_id)
    if household is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no household {args.household_id}")
    if household.device is not None:
        state.household_devices.pop(household.device, None)
    household.device = None
    household.resets += 1
    return {"household_id": household.household_id, "resets": household.resets}


def household_wire(household: Household) -> Json:
    return {"household_id": household.household_id, "label": household.label}


def staff_households(state: CommunityState) -> list[Json]:
    """The households as staff see them (never their codes: only hashes are kept)."""
    return [
        {
            **household_wire(h),
            "bound": h.device is not None,
            "resets": h.resets,
            "issued_at": h.issued_at,
        }
        for h in state.households.values()
    ]


def device_support(state: CommunityState, device: str) -> Json:
    """What this device (or its household) gave, for its page after a reload: its
    household, the topics it co-signed and its ratings, counted or anonymous."""
    household_id = state.household_devices.get(device)
    keys = {device} | ({household_id} if household_id else set())
    cosigned, rated = [], {}
    for topic in state.topics.values():
        if topic.state in HIDDEN:
            continue
        if keys & topic.cosigners or device in topic.anonymous:
            cosigned.append(topic.topic_id)
        rating = next(
            (topic.ratings[k] for k in keys if k in topic.ratings), None
        ) or topic.anonymous_ratings.get(device)
        if rating is not None:
            rated[topic.topic_id] = rating
    household = state.households[household_id] if household_id else None
    return {
        "household": household_wire(household) if household else None,
        "cosigned": cosigned,
        "rated": rated,
    }
