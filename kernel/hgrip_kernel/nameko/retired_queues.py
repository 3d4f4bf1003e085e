"""``RetiredQueues("svc.on_x", …)``: a consumer a service no longer has leaves no queue behind.

A durable queue outlives its consumer: still bound to ``hgrip.events``, it would keep a copy of every
matching event for good, with nobody to read it. Declared on the service class, this deletes each named
queue and its ``.retry`` queue when the service starts (the events themselves stay in their producer's
event store), and again every ``RETIRED_QUEUES_INTERVAL`` seconds (300): during a rolling upgrade an
instance still running the older code declares the queue again, and the next pass removes it once that
instance is gone. Deleting what is not there is a no-op.
"""
import eventlet
from kombu import Connection
from nameko.extensions import DependencyProvider

from ..logging import get_logger

log = get_logger("hgrip.consumer")

DEFAULT_INTERVAL_SECONDS = 300.0


class RetiredQueues(DependencyProvider):
    def __init__(self, *queue_names: str):
        self.queue_names = queue_names
        self._thread = None

    def setup(self):
        self.interval = float(self.container.config.get("RETIRED_QUEUES_INTERVAL") or DEFAULT_INTERVAL_SECONDS)
        self.retire()

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._again)

    def stop(self):
        if self._thread is not None:
            self._thread.kill()

    kill = stop

    def retire(self) -> None:
        with Connection(self.container.config["AMQP_URI"]) as connection:
            channel = connection.default_channel
            for name in self.queue_names:
                for queue in (name, f"{name}.retry"):
                    dropped = channel.queue_delete(queue)
                    if dropped:
                        log.warning("queue_retired", queue=queue, messages_dropped=dropped)

    def _again(self) -> None:
        while True:
            eventlet.sleep(self.interval)
            try:
                self.retire()
            except Exception as exc:  # the broker away: the next pass tries again
                log.warning("queue_retire_failed", error=repr(exc)[:300])

    def get_dependency(self, worker_ctx):
        return self.queue_names
