"""The words of the minutes, per language, and how times and durations read.

The strings live in ``templates/catalog.{lang}.json`` (one key set for every
language; a test holds them to that), with the glossary's terms (glossary.py:
stances, roles), loaded once per process. Times are
shown at the fixed offset the model states (``UTC_OFFSET_MINUTES``), never in
the machine's own zone, so one log renders the same everywhere.
"""

from __future__ import annotations

import datetime
import functools
import json
from importlib import resources
from typing import Any

from .glossary import terms
from .model import UTC_OFFSET_MINUTES

LANGS = ("zh", "en")
ZONE = datetime.timezone(datetime.timedelta(minutes=UTC_OFFSET_MINUTES))


@functools.cache
def strings(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` (``ValueError`` for a language we do not have)."""
    if lang not in LANGS:
        raise ValueError(f"no minutes catalogue for {lang!r}; have {', '.join(LANGS)}")
    text = (
        resources.files("yishi.minutes")
        .joinpath(f"templates/catalog.{lang}.json")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, str] = json.loads(text)
    # Stances and roles are the glossary's words; a phrase of the catalogue's own that
    # holds a term ("无记名投票：只公布总数") is held to it by a test.
    return {**terms(lang), **loaded}


class Catalog:
    """Strings and formats of one language, with the session's date for short stamps."""

    def __init__(self, lang: str, *, session_date: str) -> None:
        self.lang = lang
        self._strings = strings(lang)
        self._session_date = session_date

    def __call__(self, key: str, **values: Any) -> str:
        return self._strings[key].format(**values)

    def has(self, key: str) -> bool:
        return key in self._strings

    def join(self, names: list[str]) -> str:
        shown = [self.name(n) for n in names]
        return self._strings["list_sep"].join(shown) if shown else self._strings["none"]

    def name(self, name: str) -> str:
        """A person's name as shown: a name the server gave (主持人, 会场大屏, the
        glossary's ``default.*``) in this catalogue's language; any other as typed."""
        for key in ("default.moderator", "default.screen"):
            if name == terms("zh")[key]:
                term = self._strings[key]
                return term[:1].upper() + term[1:]
        return name

    @staticmethod
    def _moment(ms: int) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(ms / 1000, tz=ZONE)

    def date(self, ms: int) -> str:
        day = self._moment(ms)
        months = self._strings["months"].split()
        month = months[day.month - 1] if months else str(day.month)
        return self("date", y=day.year, m=day.month, d=day.day, month=month)

    def clock(self, ms: int) -> str:
        return self._moment(ms).strftime("%H:%M:%S")

    def stamp(self, ms: int) -> str:
        """The time of day, with the date in front when it is not the session's day."""
        moment = self._moment(ms)
        if moment.date().isoformat() == self._session_date:
            return moment.strftime("%H:%M:%S")
        return f"{self.date(ms)} {moment.strftime('%H:%M')}"

    def duration(self, ms: int) -> str:
        seconds = (ms + 500) // 1000
        if seconds < 60:
            return self("duration.s", s=seconds)
        if seconds < 3600:
            return self("duration.ms", m=seconds // 60, s=seconds % 60)
        minutes = (seconds + 30) // 60
        return self("duration.hm", h=minutes // 60, m=minutes % 60)
