"""Gives workers the service's EventStore and runs the outbox relay beside them; the outbox's
backlog is a gauge read at each metrics scrape (hgrip_kernel.metrics.outbox_sampler)."""
import threading

from nameko.extensions import DependencyProvider

from .. import metrics
from ..outbox_relay import OutboxRelay, RelayLoop
from ..store import EventStore, create_engine


class EventStoreProvider(DependencyProvider):
    def __init__(self, poll_interval: float = 0.5, gather: float = 0.025):
        self.poll_interval = poll_interval
        self.gather = gather

    def setup(self):
        config = self.container.config
        self.engine = create_engine(config["DATABASE_URL"])
        source = config.get("SERVICE_NAME") or self.container.service_name
        self.store = EventStore(self.engine, source=source)
        self.relay = OutboxRelay(self.engine, config["AMQP_URI"], service=source)
        self._sampler_key = f"outbox@{source}:{id(self)}"
        metrics.sampled(self._sampler_key, source, metrics.outbox_sampler(source, self.engine))
        self._wake = threading.Event()
        gather = float(config.get("RELAY_GATHER_MS", self.gather * 1000)) / 1000
        self.loop = RelayLoop(self.relay, self._wake, self.poll_interval, gather)
        self._thread = None
        # A commit wakes the relay at once: publish latency is not bound to the poll interval. Not
        # one that wrote only events kept off the broker: no outbox row, nothing to claim.
        self.store.add_commit_listener(self._wake_for)

    def _wake_for(self, envelopes):
        if any(self.store.registry.on_broker(e.source, e.event_type) for e in envelopes):
            self._wake.set()

    def start(self):
        if self.container.config.get("RELAY_ENABLED", True):
            self._thread = self.container.spawn_managed_thread(self.loop.run)

    def stop(self):
        metrics.unsampled(self._sampler_key)
        self.loop.stop()
        if self._thread is not None:
            self._thread.wait()
        self.relay.close()
        self.engine.dispose()

    def kill(self):
        metrics.unsampled(self._sampler_key)
        self.loop.stop()
        self.relay.close()

    def get_dependency(self, worker_ctx):
        return self.store
