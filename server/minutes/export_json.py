"""The one byte form of a JSON export of the minutes, written and verified alike.

The server writes an export as UTF-8 JSON, indented by two spaces, keys in the
model's order, non-ASCII characters as themselves, ending in a newline.
``--verify`` accepts only that form (:func:`parse_export_json`): a file with a
key given twice (``{"title": "伪造的标题", ...}`` put in front of the real one),
or re-encoded by another program, could read differently in another JSON
reader than in ours, so it is refused before anything is compared.
"""

from __future__ import annotations

import json
from typing import Any


class NotCanonical(ValueError):
    """The bytes are not an export as the server writes one."""


def export_json(model: Any) -> bytes:
    """``model`` as the bytes of a JSON export."""
    return (json.dumps(model, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def parse_export_json(data: bytes) -> Any:
    """The value of an export's bytes; raises :class:`NotCanonical` (or ``ValueError``
    for text that is not JSON) when they are not exactly what :func:`export_json`
    writes for that value."""
    value = json.loads(
        data.decode("utf-8"), object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant
    )
    if export_json(value) != data:
        raise NotCanonical(
            "the file is not in the form the server writes an export in "
            "(re-encoded or edited by hand): download it again"
        )
    return value


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise NotCanonical(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise NotCanonical(f"{name} is not JSON")
