"""Server configuration: command-line options over environment variables over defaults.

Rules for secrets (docs/operations.md, "Security"):

1. An admin token given by the operator has at least ``MIN_ADMIN_TOKEN`` characters;
   a shorter one stops the server at start-up (a generated one has 32).
2. Each secret may come from a file (``--admin-token-file``, ``--secret-file``,
   ``--metrics-token-file`` or their ``YISHI_*_FILE`` variables), so it never shows in
   ``ps``; the file's content without its trailing newline is the secret.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

MIN_ADMIN_TOKEN = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("./yishi-data")
    redis_url: str | None = None
    admin_token: str | None = None
    secret: str | None = None
    public_url: str = ""
    room_idle_s: float = 600.0  # a room with nothing to do leaves memory after this
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's
    # syntax: "127.0.0.1,10.0.0.0/8" or "*"); None believes nobody.
    forwarded_allow_ips: str | None = None
    request_timeout_s: float = 10.0  # for a request's headers, and again for its body
    ws_ping_s: float = 20.0  # between pings to a socket, and then for its answer
    metrics_token: str | None = None  # when set, /metrics wants "Authorization: Bearer" it
    metrics_port: int | None = None  # when set, /metrics is served there only
    metrics_host: str = "127.0.0.1"
    # A moderation folder of the operator's (word lists, rules, the scorer's weights
    # retrained with the moderators' labels); None: the packaged one.
    moderation_dir: Path | None = None

    @property
    def log_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"sqlite:///{self.data_dir.resolve() / 'yishi.db'}"


def check(config: Config) -> None:
    """Raise ``ValueError`` with a message for the operator if ``config`` is unsafe."""
    if config.admin_token is not None and len(config.admin_token) < MIN_ADMIN_TOKEN:
        raise ValueError(
            f"the admin token must be at least {MIN_ADMIN_TOKEN} random characters"
            f" (it has {len(config.admin_token)}); or give none and one is"
            " generated"
        )
    if config.metrics_token is not None and len(config.metrics_token) < MIN_ADMIN_TOKEN:
        raise ValueError(f"the metrics token must be at least {MIN_ADMIN_TOKEN} characters")
    if config.metrics_port is not None and config.metrics_port == config.port:
        raise ValueError("--metrics-port must differ from --port")
    if not 1 <= config.ws_ping_s <= 300:  # NaN fails too
        raise ValueError("--ws-ping must be between 1 and 300 seconds")


def read_secret_file(path: Path) -> str:
    """A secret kept in a file: its text without the trailing newline.

    Raises ``ValueError`` (with the path, never the content) if it is unreadable or empty.
    """
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as problem:
        raise ValueError(f"cannot read {path}: {problem.__class__.__name__}") from None
    if not value:
        raise ValueError(f"{path} is empty")
    return value


def lan_address() -> str:
    """This machine's address on its LAN, so links and QR codes work from a phone.

    Connecting a UDP socket sends nothing; it only asks the kernel which local
    address would route outwards.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return str(probe.getsockname()[0])
    except OSError:
        try:
            return socket.gethostbyname(socket.gethostname())
        except OSError:
            return "127.0.0.1"
    finally:
        probe.close()


def default_public_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
