"""When is a follow-up action overdue, and what is "today"?

An action is overdue when it is still open or in progress and its due date
(an ISO date, a day in the community's own calendar) has passed: due on the
30th, it is overdue from the 1st. Done and dropped actions never are. The
calendar day is the deployment's (``YISHI_TZ``, default Asia/Shanghai, where
these rooms are held), not the server's clock zone, so a node running in UTC
does not flag an action eight hours early or late.

Overdue is a view of the log at a date, never a logged fact: the log records
the due date and the statuses; this module decides against a given day.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

CLOSED_STATUSES = frozenset({"done", "dropped"})
DEFAULT_TZ = "Asia/Shanghai"


def is_overdue(due: str | None, status: str, today: date) -> bool:
    if not due or status in CLOSED_STATUSES:
        return False
    return date.fromisoformat(due) < today


def local_today(now_ms: int | None = None, tz: str | None = None) -> date:
    zone = ZoneInfo(tz or os.environ.get("YISHI_TZ") or DEFAULT_TZ)
    moment = datetime.now(zone) if now_ms is None else datetime.fromtimestamp(now_ms / 1000, zone)
    return moment.date()
