"""A value kept for a while in the gateway process, for reference data that changes only with a
release of its owner (the backups taxonomy): no RPC per page view, and at most ``ttl`` stale."""
import math
import time

from nameko.extensions import DependencyProvider


class Expiring:
    """One value, loaded on first use and again once ``ttl`` seconds have passed."""

    def __init__(self, ttl: float, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._value = None
        self._expires_at = -math.inf

    def get(self, load):
        """The cached value, or ``load()``'s. A failing load caches nothing: the next call retries."""
        if self.clock() >= self._expires_at:
            value = load()
            self._value, self._expires_at = value, self.clock() + self.ttl
        return self._value


class CachedValue(DependencyProvider):
    """An ``Expiring`` per container. nameko builds a new service instance for every request, so
    the value cannot live on ``self``; a dependency provider lives as long as the container."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.cache = None

    def setup(self):
        self.cache = Expiring(self.ttl)

    def get_dependency(self, worker_ctx):
        return self.cache
