"""Chat: rate limits, mutes, chat modes and the moderators' review queue.

Rules:

* The server runs every text through the moderation pipeline before the
  command is appended; the entry carries the verdict (``visible``, ``masked``
  or ``held``) and the text to keep (already masked: the unmasked text is
  stored nowhere). Rejected texts never reach the log.
* ``chat_mode``: ``open``; ``premoderated`` holds every resident message;
  ``closed`` lets only staff speak. A muted participant cannot chat.
* ``chat_rate`` messages a minute per resident (a token bucket holding one
  minute's worth; 0 = unlimited). Moderators' and clerks' messages are
  announcements: neither limited nor held.
* Held messages reach moderators only (``chat.held``) until ``chat.approve``
  publishes them (``chat.posted``); ``chat.remove`` takes any message away;
  ``chat.pin`` marks a visible message for the minutes.
"""

from __future__ import annotations

from .args import ChatSend, MessageRef
from .context import Context
from .state import ChatBucket, ChatMessage
from .types import CommandError, ErrorCode, Json, Role, person


def _tokens(ctx: Context, participant_id: str, rate: int) -> float:
    """The tokens in the sender's bucket at the entry's time (refilled, not taken)."""
    bucket = ctx.state.chat_buckets.get(participant_id) or ChatBucket(tokens=float(rate), at=ctx.at)
    return min(float(rate), bucket.tokens + (ctx.at - bucket.at) * rate / 60_000)


def chat_send_check(ctx: Context, args: ChatSend) -> None:
    """a resident who is muted, while chat is closed, or over the chat rate"""
    sender = ctx.actor()
    if sender.role is not Role.PARTICIPANT:
        return
    if sender.muted_until is not None and sender.muted_until > ctx.at:
        raise CommandError(ErrorCode.FORBIDDEN, "you are muted")
    if ctx.state.settings["chat_mode"] == "closed":
        raise CommandError(ErrorCode.FORBIDDEN, "chat is closed to residents")
    rate = ctx.state.settings["chat_rate"]
    if rate and _tokens(ctx, sender.participant_id, rate) < 1:
        raise CommandError(ErrorCode.RATE_LIMITED, f"at most {rate} messages a minute")


def chat_send(ctx: Context, args: ChatSend) -> Json:
    sender = ctx.actor()
    staff = sender.role is not Role.PARTICIPANT
    status = args.status or "visible"
    if not staff:
        rate = ctx.state.settings["chat_rate"]
        if rate:
            ctx.state.chat_buckets[sender.participant_id] = ChatBucket(
                tokens=_tokens(ctx, sender.participant_id, rate) - 1, at=ctx.at
            )
        if ctx.state.settings["chat_mode"] == "premoderated":
            status = "held"
    elif status == "held":
        status = "visible"
    message = ChatMessage(
        message_id=ctx.new_id("m"),
        participant_id=sender.participant_id,
        name=sender.name,
        text=args.text,
        at=ctx.at,
        status=status,
        reasons=tuple(args.reasons or ()),
        why=tuple(args.why or ()),
    )
    ctx.state.chat[message.message_id] = message
    if message.public:
        ctx.emit("chat.posted", message.to_wire())
    else:
        ctx.emit_moderators("chat.held", message.to_review())
    return {"message_id": message.message_id, "status": status}


def _message(ctx: Context, message_id: str) -> ChatMessage:
    message = ctx.state.chat.get(message_id)
    if message is None or message.status == "removed":
        raise CommandError(ErrorCode.NOT_FOUND, f"no message {message_id}")
    return message


def message_check(ctx: Context, args: MessageRef) -> None:
    """no such message"""
    _message(ctx, args.message_id)


def chat_approve_check(ctx: Context, args: MessageRef) -> None:
    """no such message; not held"""
    if _message(ctx, args.message_id).status != "held":
        raise CommandError(ErrorCode.CONFLICT, "the message is not held")


def chat_pin_check(ctx: Context, args: MessageRef) -> None:
    """no such message; not visible"""
    if not _message(ctx, args.message_id).public:
        raise CommandError(ErrorCode.CONFLICT, "only a visible message can be pinned")


def chat_approve(ctx: Context, args: MessageRef) -> Json:
    message = _message(ctx, args.message_id)
    message.status = "visible"
    message.approved = True
    ctx.emit("chat.posted", message.to_wire())
    return {}


def chat_remove(ctx: Context, args: MessageRef) -> Json:
    message = _message(ctx, args.message_id)
    was_public = message.public
    message.status = "removed"
    message.pinned = False
    ctx.state.pinned_ids.pop(message.message_id, None)
    data = {"message_id": message.message_id}
    if was_public:
        ctx.emit("chat.removed", data)
    else:
        # Nobody but the moderators (and the sender) ever saw it.
        ctx.emit("chat.removed", data, person(message.participant_id))
    return {}


def chat_pin(ctx: Context, args: MessageRef) -> Json:
    message = _message(ctx, args.message_id)
    message.pinned = True
    ctx.state.pinned_ids[message.message_id] = None
    ctx.emit("chat.pinned", message.to_wire())
    return {}
