"""Static checks of the browser client against the contract (no browser needed):
the client's copy of the error codes matches the server's enum, both string
catalogues have the same keys, every key the pages use exists, and no page
script grows past what one reader can hold (issue 25).
"""

from __future__ import annotations

import re
from pathlib import Path

from yishi.core.types import ErrorCode

STATIC = Path(__file__).resolve().parents[2] / "static"
KEY = re.compile(r'^\s*"([\w.]+)":', re.M)
# A page script longer than this is split by panel (moderator.js once held 1,300
# lines and a 220-line wire()): the bundles are made, the vendored files are not ours.
MAX_SCRIPT_LINES = 600


def catalogue(lang: str) -> set[str]:
    return set(KEY.findall((STATIC / "i18n" / f"{lang}.js").read_text(encoding="utf-8")))


def test_error_codes_match_the_server() -> None:
    source = (STATIC / "js" / "errors.js").read_text(encoding="utf-8")
    block = source.split("ERROR_CODES = Object.freeze([", 1)[1].split("]", 1)[0]
    assert re.findall(r'"(\w+)"', block) == [code.value for code in ErrorCode]


def test_catalogues_have_the_same_keys() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert zh - en == set() and en - zh == set(), (sorted(zh - en), sorted(en - zh))


def test_every_key_used_exists() -> None:
    keys = catalogue("zh")
    used: set[str] = set()
    for path in [*(STATIC / "js").glob("*.js"), *STATIC.glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"([\w.]+)"', text))
        used |= set(re.findall(r'data-i18n="([\w.]+)"', text))
        used |= {
            k
            for attr in re.findall(r'data-i18n-attr="([^"]+)"', text)
            for k in re.findall(r":\s*([\w.]+)", attr)
        }
    assert sorted(used - keys) == []


def test_no_page_script_is_longer_than_600_lines() -> None:
    scripts = [p for p in (STATIC / "js").glob("*.js") if not p.name.endswith(".bundle.js")]
    assert len(scripts) > 10, scripts  # the glob found the scripts
    long = {
        p.name: n
        for p in scripts
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_SCRIPT_LINES
    }
    assert long == {}, f"split these by panel: {long}"
