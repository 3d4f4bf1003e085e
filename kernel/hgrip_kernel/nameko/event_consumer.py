"""``@event_consumer(source, event_type)``: an event handler with bounded retries and a dead-letter queue.

nameko's own event handler either acks a failed message (it is lost) or requeues it forever. Here
a failure is re-published to ``<queue>.retry`` (a TTL queue that returns it after a delay) until
MAX_DELIVERY_ATTEMPTS, then to ``hgrip.dead-letters``; the original is acked only after the broker
confirmed the re-publish, so a message is never lost on the way. Invalid envelopes dead-letter at once;
a failure because the database is unreachable is retried without counting as an attempt.

An event registered off the broker (``registry.on_broker``) is never published, so a consumer of one
is refused when its service starts instead of waiting forever.

``@event_consumer(source, event_type, batch=True)``: the method takes a list of envelopes, every
delivery waiting when it starts (up to the prefetch), so a busy consumer needs one worker and one
transaction per batch instead of per event. One batch is in flight at a time; the next gathers while it
runs, so a quiet consumer still handles each event at once, alone. All or nothing: on success every
message is acked; if the method raises, each message is tried again alone (a one-element list) and
takes the usual way of a failure, so one bad event cannot hold back the others.
"""
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.exceptions import ConfigurationError, ContainerBeingKilled
from nameko.messaging import Consumer

from .. import metrics
from ..contracts import registry
from ..envelope import Envelope, load_envelope
from ..errors import DomainError
from ..logging import get_logger
from ..messaging.topology import (
    ATTEMPTS_HEADER,
    DEAD_LETTER_QUEUE,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    ORIGIN_QUEUE_HEADER,
    consumer_queue,
    declare_topology,
    retry_queue,
)
from ..store import database_unreachable

log = get_logger("hgrip.consumer")


@dataclass(frozen=True)
class _Delivery:
    """A checked message waiting for a batch worker."""
    message: Any
    body: Any
    envelope: Envelope
    context_data: dict


class EventConsumer(Consumer):
    def __init__(self, source: str, event_type: str, batch: bool = False, **kwargs):
        self.source = source
        self.event_type = event_type
        self.batch = batch
        self._waiting: list[_Delivery] = []
        self._in_flight = False
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self):
        if not registry.on_broker(self.source, self.event_type):
            raise ConfigurationError(
                f"{self.container.service_name}.{self.method_name} cannot consume {self.source}.{self.event_type}: "
                "that event is registered on_broker=False (kept in its producer's store, never published)")
        config = self.container.config
        self.queue_name = f"{self.container.service_name}.{self.method_name}"
        self.max_attempts = int(config.get("MAX_DELIVERY_ATTEMPTS", 5))
        delay = int(config.get("RETRY_DELAY_MS", 1000))
        self.queue = consumer_queue(self.queue_name, f"{self.source}.{self.event_type}")
        self.retry = retry_queue(self.queue_name, delay)
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, serializer="json",
                                   delivery_mode=2)
        with Connection(config["AMQP_URI"]) as connection:
            channel = connection.default_channel
            declare_topology(channel)
            self.queue(channel).declare()
            self.retry(channel).declare()
        super().setup()

    def handle_message(self, body, message):
        try:
            envelope = load_envelope(body)
            registry.validate(envelope.source, envelope.event_type, envelope.schema_version,
                              envelope.data)
        except DomainError as exc:
            # Retrying cannot fix a malformed message: straight to the dead letters.
            self._forward(message, body, DEAD_LETTER_QUEUE, attempts=0, error=exc)
            return
        context_data = self.unpack_message_headers(message)
        context_data.setdefault("correlation_id", envelope.correlation_id)
        context_data["causation_id"] = envelope.event_id
        delivery = _Delivery(message, body, envelope, context_data)
        if self.batch:
            self._waiting.append(delivery)
            self._dispatch()
        else:
            self._spawn_alone(delivery)

    def _spawn_alone(self, delivery: _Delivery) -> None:
        args = ([delivery.envelope],) if self.batch else (delivery.envelope,)
        try:
            self.container.spawn_worker(self, args, {}, context_data=delivery.context_data,
                                        handle_result=partial(self.handle_result, delivery.message, delivery.body))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(delivery.message)

    def _dispatch(self) -> None:
        """A worker for every delivery waiting, unless a batch is in flight (then they wait for it)."""
        if self._in_flight or not self._waiting:
            return
        batch, self._waiting = self._waiting, []
        self._in_flight = True
        try:
            self.container.spawn_worker(self, ([d.envelope for d in batch],), {},
                                        context_data=batch[0].context_data,
                                        handle_result=partial(self.handle_batch_result, batch))
        except ContainerBeingKilled:
            self._in_flight = False
            for delivery in batch:
                self.queue_consumer.requeue_message(delivery.message)

    def handle_batch_result(self, batch: list[_Delivery], worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            for delivery in batch:
                self.queue_consumer.ack_message(delivery.message)
                metrics.event_taken(self.container.service_name, self.method_name, metrics.CONSUMED)
        elif len(batch) == 1:
            self.handle_result(batch[0].message, batch[0].body, worker_ctx, result, exc_info)
        else:
            # Nothing of the batch was committed: each is tried again alone, its failure its own.
            log.warning("event_batch_failed", queue=self.queue_name, size=len(batch), error=repr(exc_info[1]))
            for delivery in batch:
                self._spawn_alone(delivery)
        # Spawned before this worker ends, so a stopping container waits for the next batch too.
        self._in_flight = False
        self._dispatch()
        return result, exc_info

    def handle_result(self, message, body, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            metrics.event_taken(self.container.service_name, self.method_name, metrics.CONSUMED)
            return result, exc_info
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
        if database_unreachable(exc_info[1]):
            # Not this message's fault: it waits in the retry queue for the database, its attempts
            # untouched, so an outage longer than the retries cannot send good events to the dead letters.
            target = self.retry.name
        else:
            attempts += 1
            target = self.retry.name if attempts < self.max_attempts else DEAD_LETTER_QUEUE
        log.warning("event_handler_failed", queue=self.queue_name, attempts=attempts,
                    error=repr(exc_info[1]), next=target)
        self._forward(message, body, target, attempts, exc_info[1])
        return result, exc_info

    def _forward(self, message, body, target: str, attempts: int, error: BaseException):
        headers = dict(message.headers or {})
        headers.update({ATTEMPTS_HEADER: attempts, ORIGIN_QUEUE_HEADER: self.queue_name,
                        ERROR_HEADER: repr(error)[:1000],
                        FAILED_AT_HEADER: datetime.now(UTC).isoformat()})
        headers.pop("x-death", None)
        properties = message.properties or {}
        try:
            self.publisher.publish(body, exchange="", routing_key=target, headers=headers,
                                   message_id=properties.get("message_id"),
                                   correlation_id=properties.get("correlation_id"),
                                   type=properties.get("type"))
        except Exception as exc:  # could not park it: give it back to the queue, never drop it
            log.error("event_forward_failed", queue=self.queue_name, error=repr(exc))
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)
        outcome = metrics.DEAD_LETTERED if target == DEAD_LETTER_QUEUE else metrics.RETRIED
        metrics.event_taken(self.container.service_name, self.method_name, outcome)


event_consumer = EventConsumer.decorator
