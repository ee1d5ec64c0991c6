"""The oracle for who may see an event, written from docs/protocol.md's words rather
than from the code's: the hub, the replay ring and the core's ``audience_of`` and
``heard_by`` are each held against it."""

from __future__ import annotations

from yishi.core.types import AudienceKind, Event, Role
from yishi.core.views import Viewer


def may_see(event: Event, viewer: Viewer) -> bool:
    """Public events reach everyone; moderator events, the moderators; a personal event,
    its person and the moderators."""
    audience = event.audience
    if viewer.role is Role.MODERATOR or audience.kind is AudienceKind.PUBLIC:
        return True
    return audience.kind is AudienceKind.PERSON and audience.participant_id == (
        viewer.participant_id
    )
