"""The command line: ``yishi serve``, ``yishi minutes``, ``yishi labels``.

The top: may import anything.
"""
