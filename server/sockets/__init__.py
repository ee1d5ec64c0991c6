"""The room socket: the sans-I/O server, a socket's session, its commands'
dispatch and its voice.

May import ``host``, ``core``, ``backends``, ``minutes``, ``services`` and
the shared modules; never ``web``, ``cli`` or ``app``.
"""
