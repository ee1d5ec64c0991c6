"""Security headers on every HTTP response.

The pages load scripts and styles from ``/static`` only (no inline script, no
inline handler), so the policy can forbid everything else: an injected
``<script>`` does not run, the pages cannot be framed (a moderator console is
projected in halls; a resident's page must not be overlaid by another site),
browsers do not guess content types, and no address with a token or room in it
leaks to another site as a referrer. A response that carries its own policy
(the minutes as HTML have their own, stricter one) keeps it.

Voice needs three things of the policy: the audio worklet is a same-origin
module (``script-src 'self'``), the WebAssembly Opus fallback compiles code
(``'wasm-unsafe-eval'``, which allows WebAssembly and nothing of JavaScript's
eval), and the microphone may be used by the pages themselves and nothing
framed in them (``Permissions-Policy: microphone=(self)``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self' {sockets}; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"microphone=(self), camera=(), geolocation=()"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        # Older browsers do not count ws: as 'self'; name this host's sockets.
        sockets = f"ws://{host} wss://{host}" if host else ""
        policy = PAGE_POLICY.format(sockets=sockets).encode("latin-1")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in ALWAYS if k not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
