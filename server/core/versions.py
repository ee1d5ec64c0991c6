"""The versions of the room's rules: what each changed, and the settings a room
starts with under each. A room keeps the version it was created under, so an old
log replays as it was applied; the newest is ``RULES_VERSION``."""

from __future__ import annotations

from dataclasses import dataclass

from .types import Json

DEFAULT_SETTINGS: Json = {
    "turn_seconds": 120,
    "policy": "balanced",
    "revote": False,
    "chat_mode": "open",
    "spam_action": "hold",
    "chat_rate": 10,
    "invite_mode": "open",
    "lang": "zh",
    # Rules 5: keep each turn's audio (server/host/recordings.py); off unless the room says so.
    "record_audio": False,
    # Rules 6: seconds before a turn's end at which every page shows a warning (and the
    # speaker's page and the hall screen may chime); [] for none.
    "cue_seconds": [30, 10],
}


@dataclass(frozen=True, slots=True)
class Rules:
    """The reducer's rules that changed over time, as one version set them.

    A room is created under the newest version (its ``room.create`` entry
    carries it), and keeps that version's rules for the rest of its log, so an
    old log replays to exactly the events its clients saw.
    """

    # 2: hand.raise/hand.lower announce the waiting list at most once per window.
    coalesce_hands: bool
    # 3: only attendees seated in the hall can be acted for (by a moderator too),
    # and what is done on someone's behalf names who did it (``by``).
    hall_only_proxies: bool
    # 4: a secret poll's ballots are sealed (the log holds who voted, and the
    # choice under a key kept outside it); its tallies come in entries the server
    # appends: live ones in batches, the final one after the close (polls.py).
    # Settings that change a poll's meaning wait until no poll is open, and a
    # personal invite code binds to the first device that claims it (system.py).
    sealed_ballots: bool = False
    # 5: a room may record its turns' audio (the setting ``record_audio``, off by
    # default, so a new setting appears in its settings), and a moderator publishes
    # or erases the recordings (``recordings.publish``, ``recordings.erase``).
    recordings: bool = False
    # 6: the hall and the procedure (issue 16): the setting ``cue_seconds`` (time cues
    # before a turn ends), ranked and score polls, quorum and thresholds, and minutes
    # approved and signed.
    procedure: bool = False
    # 7: every poll's turnout (how many voted, of how many may) is announced to
    # everyone as ballots come (``poll.turnout``, coalesced like tallies), secret
    # polls' included: the count of ballots is public, only the choices are not.
    turnout: bool = False
    # 7 too: a waiting resident who has left (no socket, not in the hall) is marked
    # ``away`` in the waiting list, which is announced again when she leaves or comes
    # back: the room and the chair must not call on someone whose phone is closed.
    away_marks: bool = False


RULES = {
    1: Rules(coalesce_hands=False, hall_only_proxies=False),
    2: Rules(coalesce_hands=True, hall_only_proxies=False),
    3: Rules(coalesce_hands=True, hall_only_proxies=True),
    4: Rules(coalesce_hands=True, hall_only_proxies=True, sealed_ballots=True),
    5: Rules(coalesce_hands=True, hall_only_proxies=True, sealed_ballots=True, recordings=True),
    6: Rules(
        coalesce_hands=True,
        hall_only_proxies=True,
        sealed_ballots=True,
        recordings=True,
        procedure=True,
    ),
    7: Rules(
        coalesce_hands=True,
        hall_only_proxies=True,
        sealed_ballots=True,
        recordings=True,
        procedure=True,
        turnout=True,
        away_marks=True,
    ),
}
# Bump (and add a golden log under tests/core/golden/) when a rule changes in a
# way that would replay an old log differently.
RULES_VERSION = 7


def default_settings(rules: Rules) -> Json:
    """The settings a room starts with under ``rules`` (older rules lack newer ones)."""
    settings = dict(DEFAULT_SETTINGS)
    if not rules.recordings:
        del settings["record_audio"]
    if not rules.procedure:
        del settings["cue_seconds"]
    return settings
