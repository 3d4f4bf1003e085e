"""The service's configuration, from the nameko config dict (``HGRIP_*`` variables, bare names)."""
from dataclasses import dataclass

DEFAULT_HGRG_URL = "http://127.0.0.1:8030/hgrg"
MAX_BATCH = 500   # what HGRG takes in one batch (docs/protocols/hgrg.md §6)


@dataclass(frozen=True)
class SyncSettings:
    hgrg_url: str
    secret: str
    timeout: float        # per connect and per read of one push
    poll_interval: float  # how often due retries are looked for when nothing wakes the pusher
    concurrency: int      # batches in flight at once per instance
    lease: float          # how long a claimed row stays invisible to other pushers
    overdue: float = 3600.0   # a number not at HGRG this long after its request is reported (once)
    batch_size: int = 200     # at most this many pushes in one request to HGRG

    @classmethod
    def from_config(cls, config: dict) -> "SyncSettings":
        timeout = float(config.get("HGRG_TIMEOUT", 5))
        # A push takes at most about connect + read time-out; the lease must outlast it, or a
        # slow push could be taken over and sent twice.
        shortest_lease = 2 * timeout + 1
        lease = float(config.get("SYNC_LEASE_SECONDS") or 2 * timeout + 5)
        if lease < shortest_lease:
            raise ValueError(f"SYNC_LEASE_SECONDS must be at least {shortest_lease:g} "
                             f"(2 × HGRG_TIMEOUT + 1), got {lease:g}")
        secret = config.get("HGRG_SHARED_SECRET")
        if not secret:
            raise ValueError("HGRG_SHARED_SECRET is not configured")
        return cls(hgrg_url=config.get("HGRG_URL") or DEFAULT_HGRG_URL, secret=secret,
                   timeout=timeout, poll_interval=float(config.get("SYNC_POLL_INTERVAL", 0.25)),
                   concurrency=max(1, int(config.get("SYNC_CONCURRENCY", 1))), lease=lease,
                   overdue=float(config.get("SYNC_OVERDUE_SECONDS") or 3600),
                   batch_size=min(MAX_BATCH, max(1, int(config.get("SYNC_BATCH_SIZE", 200)))))
