"""Gives workers the service's EventStore and runs the outbox relay beside them."""
import threading

import eventlet
from nameko.extensions import DependencyProvider

from ..logging import get_logger
from ..outbox_relay import OutboxRelay
from ..store import EventStore, create_engine

log = get_logger("hgrip.relay")


class EventStoreProvider(DependencyProvider):
    def __init__(self, poll_interval: float = 0.5):
        self.poll_interval = poll_interval

    def setup(self):
        config = self.container.config
        self.engine = create_engine(config["DATABASE_URL"])
        source = config.get("SERVICE_NAME") or self.container.service_name
        self.store = EventStore(self.engine, source=source)
        self.relay = OutboxRelay(self.engine, config["AMQP_URI"])
        self._wake = threading.Event()
        self._stopping = False
        self._thread = None
        # A commit wakes the relay at once: publish latency is not bound to the poll interval.
        self.store.add_commit_listener(lambda _envelopes: self._wake.set())

    def start(self):
        if self.container.config.get("RELAY_ENABLED", True):
            self._thread = self.container.spawn_managed_thread(self._run_relay)

    def _run_relay(self):
        backoff = 0.5
        while not self._stopping:
            self._wake.clear()  # cleared before the pass: a commit during it triggers another
            try:
                published = self.relay.relay_all()
                backoff = 0.5
            except Exception as exc:  # broker or database away: keep the rows, try again later
                log.warning("relay_error", error=repr(exc), retry_in=backoff)
                self.relay.close()
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if not published:
                self._wake.wait(self.poll_interval)

    def stop(self):
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.wait()
        self.relay.close()
        self.engine.dispose()

    def kill(self):
        self._stopping = True
        self._wake.set()
        self.relay.close()

    def get_dependency(self, worker_ctx):
        return self.store
