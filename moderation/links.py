"""Links and contact handles: the ways spam asks to be followed elsewhere.

Rules:

* A link is a URL (``http://``, ``https://``, ``ftp://``, ``www.``) or a bare
  domain ending in a known top-level domain ("bit.ly/x", "ab88.top"), also
  when the dot is spelled out: "ab88 dot com", "www点ab88点net", "ab88。top".
  A top-level domain that is also a common word ("me", "in", "to"...) counts
  only with a plain dot, and only after a label of two characters or more or
  before a "/" ("t.me/x"), so "block 3.In fact" is not a link.
* A link to an allowed domain, or to any of its subdomains, is no link:
  ``allowed_domains.txt`` ("gov.cn" allows "www.beijing.gov.cn").
* The domain of an e-mail address is no link (the address is personal data).
* A contact handle is a contact keyword ("微信", "vx", "QQ", "telegram"...)
  followed, after at most a few filler characters (":", "号", "是"...), by
  a handle of five or more letters and digits with at least three digits
  or both letters and digits ("abc8899", "2847561923"). "微信群" and
  "微信同号" are not handles. Keywords are also read in the ``compact`` view,
  so "微 信" and "薇❤信" count.
"""

from __future__ import annotations

import re

from .normalise import Views
from .terms import trie_pattern

_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_DOT = (
    r"(?:\.|。|点|\s[.。]\s|\s?(?:dot|点)\s?|\(\s?(?:\.|dot)\s?\)"
    r"|\[\s?(?:\.|dot)\s?\])"
)
_DOT_RE = re.compile(_DOT)
_URL = re.compile(r"(?:(?:https?|ftp)://|www" + _DOT + r")([^\s/?#\\\"'<>，。]+)")
_HANDLE = r"@?([a-z0-9][a-z0-9_\-]{3,29})(?![a-z0-9_])"


class LinkFinder:
    """Finds links (other than to allowed domains) and contact handles."""

    def __init__(
        self,
        *,
        tlds: tuple[str, ...],
        word_tlds: tuple[str, ...],
        allowed_domains: tuple[str, ...],
        contact_keywords: tuple[str, ...],
        contact_fillers: str,
    ) -> None:
        all_tlds = sorted({t.lower() for t in tlds + word_tlds}, key=lambda t: (-len(t), t))
        self._word_tlds = frozenset(t.lower() for t in word_tlds)
        self._domain = re.compile(
            rf"(?<![a-z0-9@._\-])((?:{_LABEL}{_DOT})+)({'|'.join(all_tlds)})(?![a-z0-9\-])"
        )
        self._allowed = tuple(allowed_domains)
        # A Latin keyword must not touch other letters ("v" is no keyword in "vip");
        # one trie-shaped pattern keeps the scan fast, the edges are checked after.
        self._contact = re.compile(
            rf"({trie_pattern(set(contact_keywords))})(?:{contact_fillers}){{0,6}}{_HANDLE}"
        )

    def _allowed_host(self, host: str) -> bool:
        host = host.strip(".").lower()
        return any(host == d or host.endswith("." + d) for d in self._allowed)

    def find(self, views: Views) -> list[str]:
        """Labels of what was found: ``link:HOST`` and ``contact:KEYWORD``."""
        text = views.joined
        found: list[str] = []
        for m in _URL.finditer(text):
            prefix = text[m.start() : m.start(1)]
            host = m.group(1).split(":")[0]
            if prefix.startswith("www"):
                host = "www." + host
            host = _DOT_RE.sub(".", host)
            if not self._allowed_host(host):
                found.append(f"link:{host}")
        for m in self._domain.finditer(text):
            labels, tld = m.group(1), m.group(2)
            if tld in self._word_tlds:
                plain = re.fullmatch(rf"(?:{_LABEL}\.)+", labels) is not None
                follows = text[m.end() : m.end() + 1]
                if not plain or (len(labels) < 3 and follows != "/"):
                    continue
            host = _DOT_RE.sub(".", labels) + tld
            if (
                not self._allowed_host(host)
                and f"link:{host}" not in found
                and not any(f.startswith("link:") and f.endswith(host) for f in found)
            ):
                found.append(f"link:{host}")
        # Contacts also on the compact view: "微 信", "薇❤信".
        for view in (text, views.compact):
            for m in self._contact.finditer(view):
                keyword = m.group(1)
                before = view[m.start() - 1] if m.start() else " "
                after = view[m.end(1)] if m.end(1) < len(view) else " "
                if (keyword[0].isascii() and before.isascii() and before.isalnum()) or (
                    keyword[-1].isascii()
                    and keyword[-1].isalpha()
                    and after.isascii()
                    and after.isalpha()
                ):
                    continue
                handle = m.group(2)
                digits = sum(c.isdigit() for c in handle)
                letters = sum(c.isalpha() for c in handle)
                label = f"contact:{m.group(1)}"
                if (
                    sum(c.isalnum() for c in handle) >= 5
                    and label not in found
                    and (digits >= 3 or (digits and letters))
                ):
                    found.append(label)
        return found
