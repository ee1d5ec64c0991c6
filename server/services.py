"""What a request handler or a room socket may use, made once per node by ``app.py``:
the log, the node and its rooms, the clock, tokens, screening, limits and caches."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .backends.base import LogBackend
from .clientlog import ClientLog
from .config import Config
from .host.approved_states import ApprovedStates
from .host.communities import Communities
from .host.followup_log import FollowUpLog
from .host.metrics import Metrics
from .host.minutes_cache import MinutesCache
from .host.node import Node
from .host.recordings import Recordings
from .host.screening import Screener
from .host.signing import SigningKey
from .ratelimit import JoinLimiter, KeyedBuckets
from .readiness import Readiness
from .tokens import TokenSigner

SOCKET_LOGGER = "yishi.sockets.session"  # the room sockets' log, whose client lines are budgeted
SUBMITS_PER_HOUR_ADDRESS = 30  # a household's phones share an address; a notice board too
SUBMITS_PER_HOUR_DEVICE = 6
COSIGNS_PER_HOUR_ADDRESS = 120  # co-signs and ratings together
FAILED_ADMIN_PER_MINUTE = 5  # wrong admin tokens from one address


@dataclass
class CommunityLimits:
    """Token buckets for what residents send without an account."""

    submit_address: KeyedBuckets
    submit_device: KeyedBuckets
    support_address: KeyedBuckets

    @classmethod
    def make(cls, clock: Any) -> CommunityLimits:
        def per_hour(n: int) -> KeyedBuckets:
            return KeyedBuckets(rate=n / 3600, burst=n, clock=clock)

        return cls(
            per_hour(SUBMITS_PER_HOUR_ADDRESS),
            per_hour(SUBMITS_PER_HOUR_DEVICE),
            per_hour(COSIGNS_PER_HOUR_ADDRESS),
        )


@dataclass(kw_only=True)
class Services:
    """Everything a request handler may need, made once per app."""

    config: Config
    backend: LogBackend
    node: Node
    clock: Callable[[], int]
    signer: TokenSigner
    admin_token: str
    screener: Screener
    signing_key: SigningKey  # rules 6: signs approved minutes (signing.py)
    readiness: Readiness  # what /readyz answers; the node and backend report to it
    metrics: Metrics = field(default_factory=Metrics)
    minutes: MinutesCache = field(default_factory=MinutesCache)
    followup: FollowUpLog = field(default_factory=FollowUpLog)
    approved: ApprovedStates = field(default_factory=ApprovedStates)  # rules 6
    recordings: Recordings = field(init=False)
    client_log: ClientLog = field(init=False)  # lines a client can cause, per address
    joins: JoinLimiter = field(init=False)
    admin_failures: KeyedBuckets = field(init=False)
    communities: Communities = field(init=False)
    community_limits: CommunityLimits = field(init=False)

    def __post_init__(self) -> None:
        self.communities = Communities(self.backend)
        self.community_limits = CommunityLimits.make(self.clock)
        self.recordings = Recordings(self.backend, self.node)
        self.client_log = ClientLog(logging.getLogger(SOCKET_LOGGER), clock=self.clock)
        self.joins = JoinLimiter(clock=self.clock)
        self.admin_failures = KeyedBuckets(
            rate=FAILED_ADMIN_PER_MINUTE / 60, burst=FAILED_ADMIN_PER_MINUTE, clock=self.clock
        )
