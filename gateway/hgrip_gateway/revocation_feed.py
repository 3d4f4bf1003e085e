"""Identity's account changes, as they happen, to every gateway instance: the revocation feed.

Each gateway consumes ``identity.Account*`` and ``identity.Institution*`` from ``hgrip.events``
through its own exclusive, auto-delete queue (a broadcast: every instance gets every event; nothing to
keep when the gateway is gone, so no acks and no retries), and drops the cached views they change
(account_views.py). The cache is trusted only between the consumer's start and the first sign of
trouble (a closed connection, a missed heartbeat): then it is emptied and distrusted until the
feed consumes again.
"""
import json
import uuid

import eventlet
from kombu import Connection, Consumer, Queue, binding

from hgrip_kernel.logging import get_logger
from hgrip_kernel.messaging.topology import declare_topology, events_exchange

from .account_views import AccountViews

ACCOUNT_EVENTS = frozenset({"AccountProvisioned", "AccountUpdated"})
# An institution's name or foreign control is part of its members' views: drop them all (rare).
INSTITUTION_EVENTS = frozenset({"InstitutionRegistered", "InstitutionUpdated"})
QUEUE_PREFIX = "gateway.revocations"
HEARTBEAT_SECONDS = 10     # a broker that silently went away is noticed within about two of these
POLL_SECONDS = 1.0
RECONNECT_SECONDS = 1.0

log = get_logger("hgrip.gateway.revocations")


def feed_queue(name: str) -> Queue:
    bindings = [binding(events_exchange, routing_key=f"identity.{event_type}")
                for event_type in sorted(ACCOUNT_EVENTS | INSTITUTION_EVENTS)]
    return Queue(name, bindings=bindings, exclusive=True, auto_delete=True, durable=False)


def apply_event(views: AccountViews, body: bytes | str) -> None:
    """Drop what the event changes: its account, or everything (an institution's event, an unreadable one)."""
    try:
        envelope = json.loads(body)
        event_type = envelope["event_type"]
        account_id = envelope["data"].get("account_id")
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("revocation_event_unreadable")
        views.clear()
        return
    if event_type in ACCOUNT_EVENTS and account_id:
        views.drop(str(account_id))
    else:
        views.clear()


class RevocationFeed:
    def __init__(self, amqp_uri: str, views: AccountViews):
        self.amqp_uri = amqp_uri
        self.views = views
        self.queue_name = f"{QUEUE_PREFIX}.{uuid.uuid4().hex}"
        self.running = True

    def run(self) -> None:
        """Consume until stopped, reconnecting after any failure (the cache untrusted meanwhile)."""
        while self.running:
            try:
                self._consume()
            except Exception as exc:  # broker gone, channel closed, heartbeat missed: reconnect
                if self.views.trusted:  # once per outage, not once per attempt
                    log.warning("revocation_feed_lost", error=repr(exc))
            finally:
                self.views.feed_lost()
            if self.running:
                eventlet.sleep(RECONNECT_SECONDS)

    def stop(self) -> None:
        self.running = False
        self.views.feed_lost()

    def _consume(self) -> None:
        with Connection(self.amqp_uri, heartbeat=HEARTBEAT_SECONDS, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            declare_topology(channel)  # the exchange to bind to, even before any service declared it
            with Consumer(channel, queues=[feed_queue(self.queue_name)], no_ack=True,
                          on_message=lambda message: apply_event(self.views, message.body)):
                self.views.feed_connected()  # basic.consume answered: every later event reaches us
                log.info("revocation_feed_connected", queue=self.queue_name)
                while self.running:
                    try:
                        connection.drain_events(timeout=POLL_SECONDS)
                    except TimeoutError:
                        pass
                    connection.heartbeat_check()
