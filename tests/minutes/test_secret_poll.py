"""A secret poll's individual choices appear in no export.

The strongest form we can test: two sessions identical except that the secret
ballots are handed out differently among the same voters (same totals) give
the same minutes in every format and language, apart from the log digest
(whose job is to tell the logs apart). Whatever an export says, it cannot
depend on who chose what.
"""

from __future__ import annotations

import json

import pytest
from yishi.core.reducer import replay
from yishi.minutes import FORMATS, build_minutes, log_digest, render_minutes

from .docxtext import docx_text
from .scenario import SECRET_CHOICES, deliberation

# The same totals (3 yes, 1 no, 1 abstain), every voter's choice different.
SHUFFLED = {"张三": 1, "李四": 0, "王五": 2, "赵六": 0, "孙大爷": 0}


def exports(choices: dict[str, int]) -> dict[tuple[str, str], str]:
    s = deliberation(secret_choices=choices)
    state = replay(s.room_id, s.entries)
    digest = log_digest(s.entries)
    out = {}
    for fmt in FORMATS:
        for lang in ("zh", "en"):
            body = render_minutes(state, digest=digest, fmt=fmt, lang=lang)[0]
            text = docx_text(body) if fmt == "docx" else body.decode()
            out[fmt, lang] = text.replace(digest, "<digest>")
    return out


def test_the_shuffle_keeps_the_totals_and_changes_every_ballot() -> None:
    assert sorted(SHUFFLED.values()) == sorted(SECRET_CHOICES.values())
    assert all(SHUFFLED[name] != SECRET_CHOICES[name] for name in ("张三", "李四", "王五", "赵六"))


def test_exports_do_not_depend_on_who_chose_what() -> None:
    original, shuffled = exports(SECRET_CHOICES), exports(SHUFFLED)
    for key in original:
        assert original[key] == shuffled[key], key


@pytest.mark.parametrize("choices", [SECRET_CHOICES, SHUFFLED])
def test_the_secret_poll_names_nobody(choices: dict[str, int]) -> None:
    s = deliberation(secret_choices=choices)
    state = replay(s.room_id, s.entries)
    poll = build_minutes(state, digest="0" * 64)["agenda"][0]["polls"][0]
    assert poll["secret"] is True and poll["roll_call"] is None
    text = json.dumps(poll, ensure_ascii=False)
    for name, pid in s.ids.items():
        assert name not in text and f'"{pid}"' not in text
