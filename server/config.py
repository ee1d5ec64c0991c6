"""Server configuration: command-line options over environment variables over defaults."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path


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

    @property
    def log_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"sqlite:///{self.data_dir.resolve() / 'yishi.db'}"


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
