"""Secrets out of what is printed or logged: a store's URL without its credentials.

A Redis URL may carry a password twice over, as user-info (``redis://:PW@host``,
``redis://user:PW@host``) and as a query option (``?password=PW``), and redis-py
takes either. :func:`redact_url` drops the user-info whole (a user name says who
may log in) and masks every credential option, so the banner, a log line or an
error message can name the store without handing out the key to it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode

MASK = "***"
SECRET_OPTIONS = frozenset({"password", "username", "user", "auth"})


def redact_url(url: str) -> str:
    """``url`` with its user-info and credential options replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    rest, qmark, query = rest.partition("?")
    # The authority ends at the first "/"; a password may itself hold "/" or "@",
    # so the user-info is everything before the last "@" of the authority's end.
    authority, slash, path = _split_authority(rest)
    if "@" in authority:
        authority = f"{MASK}@{authority.rsplit('@', 1)[1]}"
    if qmark:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if k.lower() in SECRET_OPTIONS else v) for k, v in pairs], safe="*"
        )
    return f"{scheme}{sep}{authority}{slash}{path}{qmark}{query}"


def redact_text(text: str, url: str | None) -> str:
    """``text`` (an error message, say) with ``url`` and its credentials taken out."""
    if not url:
        return text
    text = text.replace(url, redact_url(url))
    for secret in _credentials(url):
        text = text.replace(secret, MASK)
    return text


def _split_authority(rest: str) -> tuple[str, str, str]:
    at = rest.rfind("@")
    slash = rest.find("/", at + 1 if at >= 0 else 0)
    if slash < 0:
        return rest, "", ""
    return rest[:slash], "/", rest[slash + 1 :]


def _credentials(url: str) -> list[str]:
    """The secrets ``url`` holds (longest first, so none is left half-masked)."""
    rest = url.partition("://")[2] or url
    rest, _, query = rest.partition("?")
    authority = _split_authority(rest)[0]
    found: list[str] = []
    if "@" in authority:
        userinfo = authority.rsplit("@", 1)[0]
        found += [part for part in userinfo.split(":", 1) if part]
    found += [v for k, v in parse_qsl(query) if k.lower() in SECRET_OPTIONS and v]
    found += [unquote(s) for s in found]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)
