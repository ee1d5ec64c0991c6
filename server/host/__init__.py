"""A node hosting rooms and communities: the asyncio shell around the pure core.

May import ``core``, ``backends``, ``minutes`` and the shared modules at the
top of the package (config, readiness, tokens, ratelimit, wire, redact);
never ``web``, ``sockets``, ``cli`` or ``app``.
"""
