"""``RetiredQueues("svc.on_x", …)``: a consumer a service no longer has leaves no queue behind.

A durable queue outlives its consumer: still bound to ``hgrip.events``, it would keep a copy of every
matching event for good, with nobody to read it. Declared on the service class, this deletes each named
queue and its ``.retry`` queue when the service starts (the events themselves stay in their producer's
event store). Deleting what is not there is a no-op, so every start may do it.
"""
from kombu import Connection
from nameko.extensions import DependencyProvider

from ..logging import get_logger

log = get_logger("hgrip.consumer")


class RetiredQueues(DependencyProvider):
    def __init__(self, *queue_names: str):
        self.queue_names = queue_names

    def setup(self):
        with Connection(self.container.config["AMQP_URI"]) as connection:
            channel = connection.default_channel
            for name in self.queue_names:
                for queue in (name, f"{name}.retry"):
                    dropped = channel.queue_delete(queue)
                    log.info("queue_retired", queue=queue, messages_dropped=dropped or 0)

    def get_dependency(self, worker_ctx):
        return self.queue_names
