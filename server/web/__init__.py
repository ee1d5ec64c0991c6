"""The HTTP API, by resource, and what guards and measures it.

May import ``host``, ``core``, ``backends``, ``minutes``, ``services`` and the
shared modules; never ``sockets``, ``cli`` or ``app``.
"""
