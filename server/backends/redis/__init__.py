"""The Redis and Redis Cluster backend (``redis://``, ``redis+cluster://``).

May import ``core``, ``backends.base`` and the shared modules.
"""
