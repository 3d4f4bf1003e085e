"""Exchange and queue names, and their declarations (the same arguments everywhere, or the broker refuses)."""
from kombu import Exchange, Queue

from ..contracts.published import PUBLISHED_EXCHANGE, published_routing_keys
from .names import (  # noqa: F401 - re-exported: the names' home for code that has kombu anyway
    ATTEMPTS_HEADER,
    CORRELATION_HEADER,
    DEAD_LETTER_QUEUE,
    ERROR_HEADER,
    EVENTS_EXCHANGE,
    FAILED_AT_HEADER,
    ORIGIN_QUEUE_HEADER,
    UNROUTABLE_EXCHANGE,
    UNROUTABLE_QUEUE,
)

events_exchange = Exchange(EVENTS_EXCHANGE, type="topic", durable=True,
                           arguments={"alternate-exchange": UNROUTABLE_EXCHANGE})
# Downstream systems consume only this exchange: exchange-to-exchange bindings from hgrip.events copy
# the published routing keys here (contracts/published.py); the relay itself is unchanged.
# No alternate exchange here: a downstream system binds its durable queue before it relies on the
# feed; a copy nobody subscribed to is dropped rather than piling up (the event itself stays in its
# service's event store, and its internal consumers got it through hgrip.events).
published_exchange = Exchange(PUBLISHED_EXCHANGE, type="topic", durable=True)
unroutable_exchange = Exchange(UNROUTABLE_EXCHANGE, type="fanout", durable=True)
unroutable_queue = Queue(UNROUTABLE_QUEUE, exchange=unroutable_exchange, durable=True)
dead_letter_queue = Queue(DEAD_LETTER_QUEUE, exchange=Exchange(""), routing_key=DEAD_LETTER_QUEUE,
                          durable=True)


def consumer_queue(name: str, routing_key: str) -> Queue:
    return Queue(name, exchange=events_exchange, routing_key=routing_key, durable=True)


def retry_queue(name: str, delay_ms: int) -> Queue:
    """Holds a failed message for ``delay_ms``, then dead-letters it back to queue ``name``."""
    return Queue(f"{name}.retry", exchange=Exchange(""), routing_key=f"{name}.retry", durable=True,
                 queue_arguments={"x-message-ttl": int(delay_ms), "x-dead-letter-exchange": "",
                                  "x-dead-letter-routing-key": name})


def published_queue(name: str, routing_key: str = "#") -> Queue:
    """A downstream consumer's queue on ``hgrip.published`` (e.g. ``hgrg.backups``, key ``backups.*``)."""
    return Queue(name, exchange=published_exchange, routing_key=routing_key, durable=True)


def declare_published(channel) -> None:
    """Declare ``hgrip.published`` and bind it to ``hgrip.events``, one e2e binding per published key."""
    published = published_exchange(channel)
    published.declare()
    for routing_key in published_routing_keys():
        published.bind_to(EVENTS_EXCHANGE, routing_key=routing_key)


def declare_topology(channel) -> None:
    """Declare the shared exchanges and queues on a kombu channel (idempotent)."""
    unroutable_exchange(channel).declare()
    events_exchange(channel).declare()
    unroutable_queue(channel).declare()
    dead_letter_queue(channel).declare()
    declare_published(channel)
