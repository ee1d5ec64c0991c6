"""When is a follow-up action overdue, and what is "today"?

An action is overdue when it is still open or in progress and its due date
(an ISO date, a day in the community's own calendar) has passed: due on the
30th, it is overdue from the 1st. Done and dropped actions never are. The
calendar day is the deployment's (``YISHI_TZ``, default Asia/Shanghai, where
these rooms are held), not the server's clock zone, so a node running in UTC
does not flag an action eight hours early or late.

Overdue is a view of the log at a date, never a logged fact: the log records
the due date and the statuses; this module decides against a given day.

When it *became* overdue (:func:`overdue_since`, what a feed announces once)
follows from the same rule and the action's history: the first moment, on or
after the start of the day after ``due``, at which its status was neither done
nor dropped. An action closed before that day and reopened later became
overdue when it was reopened; one still closed never did.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CLOSED_STATUSES = frozenset({"done", "dropped"})
DEFAULT_TZ = "Asia/Shanghai"


def zone_name(tz: str | None = None) -> str:
    """The deployment's time zone: ``tz``, else ``YISHI_TZ``, else Asia/Shanghai."""
    return tz or os.environ.get("YISHI_TZ") or DEFAULT_TZ


def is_overdue(due: str | None, status: str, today: date) -> bool:
    if not due or status in CLOSED_STATUSES:
        return False
    return date.fromisoformat(due) < today


def local_today(now_ms: int | None = None, tz: str | None = None) -> date:
    zone = ZoneInfo(zone_name(tz))
    moment = datetime.now(zone) if now_ms is None else datetime.fromtimestamp(now_ms / 1000, zone)
    return moment.date()


def utc_offset_min(now_ms: int, tz: str | None = None) -> int:
    """The deployment's offset from UTC at ``now_ms``, in minutes."""
    offset = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(zone_name(tz))).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def day_start_ms(day: date, tz: str | None = None) -> int:
    """The first millisecond of ``day`` in the deployment's zone."""
    return int(datetime.combine(day, time(), ZoneInfo(zone_name(tz))).timestamp() * 1000)


def overdue_since(
    due: str | None, changes: Iterable[tuple[int, str]], today: date, tz: str | None = None
) -> int | None:
    """When the action first became overdue (ms), if it has by the end of ``today``.

    ``changes`` are its status changes as ``(at ms, status)`` in log order; it was
    ``open`` before the first. None when it is not past due on ``today``, or was
    closed from the day after ``due`` until now.
    """
    if not due or date.fromisoformat(due) >= today:
        return None
    start = day_start_ms(date.fromisoformat(due) + timedelta(days=1), tz)
    status = "open"
    for at, new in changes:
        if at < start:
            status = new
            continue
        if status not in CLOSED_STATUSES:
            return start
        status = new
        if status not in CLOSED_STATUSES:  # reopened after its due date had passed
            return at if local_today(at, tz) <= today else None
    return start if status not in CLOSED_STATUSES else None
