"""The accounts identity vouched for, kept in the gateway process so that a request needs no RPC.

Trusted only while the revocation feed (revocation_feed.py) is connected: it drops an account's entry
as soon as identity publishes a change of it, and everything when an institution changes or the feed
(re)connects, since events may have been missed meanwhile. While it is not connected nothing is read
or kept, so every request asks identity as before. ``ttl`` is a safety net, not the revocation delay.

An answer is kept only if nothing was dropped since its question was asked (``epoch``): identity may
have read the account just before a change whose event then arrived before its answer.
"""
import time

DEFAULT_TTL_SECONDS = 60.0
MAX_ENTRIES = 20_000  # accounts active within a TTL; beyond it the cache starts over


class AccountViews:
    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, clock=time.monotonic, max_entries: int = MAX_ENTRIES):
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._views: dict[str, tuple[dict, float]] = {}
        self._epoch = 0
        self._trusted = False

    @property
    def trusted(self) -> bool:
        return self._trusted

    @property
    def epoch(self) -> int:
        """Read before asking identity; hand it back to ``keep`` with the answer."""
        return self._epoch

    def get(self, account_id: str) -> dict | None:
        """The account's view if the feed is connected and it is fresh; else None (ask identity)."""
        if not self._trusted:
            return None
        entry = self._views.get(account_id)
        if entry is None:
            return None
        if self.clock() >= entry[1]:
            del self._views[account_id]
            return None
        return entry[0]

    def keep(self, account_id: str, view: dict, epoch: int) -> bool:
        """Keep identity's answer, asked at ``epoch``; not if the feed is down or anything was dropped since."""
        if not self._trusted or epoch != self._epoch:
            return False
        if len(self._views) >= self.max_entries:
            self._views.clear()
        self._views[account_id] = (view, self.clock() + self.ttl)
        return True

    def drop(self, account_id: str) -> None:
        self._epoch += 1
        self._views.pop(account_id, None)

    def clear(self) -> None:
        self._epoch += 1
        self._views.clear()

    def feed_connected(self) -> None:
        """The feed is consuming again: what was kept before may have missed events."""
        self.clear()
        self._trusted = True

    def feed_lost(self) -> None:
        self._trusted = False
        self.clear()
