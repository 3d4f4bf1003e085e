"""Moves committed outbox rows to RabbitMQ; marks a row published only once the broker confirmed it.

Rows are claimed with FOR UPDATE SKIP LOCKED, not read past a cursor: a transaction that commits
late (out of order) leaves its rows unpublished until the next pass picks them up, so nothing is
skipped, and several relays (one per service instance) share the work without waiting.
A crash after publishing and before marking re-publishes those rows: consumers are idempotent.
"""
import json
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import BindParameter, Text, bindparam, cast, select, update

from . import faults, metrics
from .logging import get_logger
from .messaging.confirming_publisher import ConfirmingPublisher
from .messaging.topology import CORRELATION_HEADER, EVENTS_EXCHANGE
from .store.engine import write_lock
from .store.tables import events, outbox

log = get_logger("hgrip.relay")


def _iso(moment) -> str:
    return moment.isoformat()


def message_for(row) -> dict:
    """The AMQP message of one outbox row joined to its event (see ``outbox_query``).

    The body is the envelope as a reader loads it; the event was validated when it was written, so
    plain json is enough here, and the payload goes in as the text the database holds (the hot path).
    """
    head = {"event_id": row.event_id, "event_type": row.event_type, "schema_version": row.schema_version,
            "source": row.source, "stream_type": row.stream_type, "stream_id": row.stream_id,
            "stream_version": row.stream_version, "occurred_at": _iso(row.occurred_at), "actor": row.actor,
            "correlation_id": row.correlation_id, "causation_id": row.causation_id, "position": row.position}
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "data": ' + row.data_json + "}"
    return {
        "routing_key": f"{row.source}.{row.event_type}",
        "body": body.encode("utf-8"),
        "properties": {
            "content_type": "application/json",
            "delivery_mode": 2,
            "message_id": row.event_id,
            "correlation_id": row.correlation_id,
            "type": row.event_type,
            "application_headers": {CORRELATION_HEADER: row.correlation_id},
        },
    }


_EVENT_FIELDS = [c for c in events.columns if c.name != "data"]


def outbox_query(unpublished_only: bool = True):
    """Outbox rows with the event columns a message needs, oldest first."""
    query = (select(outbox.c.id, outbox.c.published_at, outbox.c.attempts, outbox.c.last_error,
                    *_EVENT_FIELDS, cast(events.c.data, Text).label("data_json"))
             .join(events, events.c.position == outbox.c.position).order_by(outbox.c.id))
    return query.where(outbox.c.published_at.is_(None)) if unpublished_only else query


def outbox_messages(connection, unpublished_only: bool = False) -> list[dict]:
    """The messages the relay sends (or sent) for this store: for tests and operators."""
    return [message_for(row) for row in connection.execute(outbox_query(unpublished_only))]


# Statements built once (a pass runs every few milliseconds under load): building and cache-keying a
# statement per pass cost as much Python as running it.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_PUBLISHED = update(outbox).where(outbox.c.id.in_(_IDS)).values(
    published_at=bindparam("now", type_=outbox.c.published_at.type))
_FAILED = update(outbox).where(outbox.c.id.in_(_IDS)).values(
    attempts=outbox.c.attempts + 1, last_error=bindparam("error", type_=outbox.c.last_error.type))


class OutboxRelay:
    def __init__(self, engine, amqp_uri: str, exchange: str = EVENTS_EXCHANGE,
                 batch_size: int = 500, confirm_timeout: float = 10.0, publisher=None, service: str = ""):
        self.engine = engine
        self.service = service   # the metrics' label (hgrip_relay_published_total)
        self.batch_size = batch_size
        self.publisher = publisher or ConfirmingPublisher(amqp_uri, exchange, confirm_timeout)
        self._lock = write_lock(engine)
        self._claim = outbox_query().limit(batch_size).with_for_update(skip_locked=True, of=outbox)

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were confirmed and marked."""
        if self._lock is not None:
            with self._lock:
                return self._relay_batch()
        return self._relay_batch()

    def relay_all(self) -> int:
        total = 0
        while True:
            done = self.relay_once()
            total += done
            if done < self.batch_size:
                return total

    def _relay_batch(self) -> int:
        with self.engine.connect() as connection:
            connection.execution_options(hgrip_write=True)
            with connection.begin():
                rows = connection.execute(self._claim).all()
                if not rows:
                    return 0
                try:
                    confirmed = self.publisher.publish_batch([message_for(row) for row in rows])
                except Exception as exc:
                    connection.execute(_FAILED, {"ids": [r.id for r in rows], "error": repr(exc)[:500]})
                    log.warning("outbox_publish_failed", error=repr(exc), rows=len(rows))
                    metrics.relay_failed(self.service)
                    return 0
                faults.point("after_publish")  # published, not yet marked: a re-publish follows
                done = [row.id for row, ok in zip(rows, confirmed, strict=True) if ok]
                if done:
                    connection.execute(_PUBLISHED, {"ids": done, "now": datetime.now(UTC)})
                    metrics.relay_published(self.service, len(done))
                if len(done) < len(rows):
                    log.warning("outbox_unconfirmed", unconfirmed=len(rows) - len(done))
                return len(done)

    def close(self):
        self.publisher.close()


class RelayLoop:
    """Runs a relay until stopped: at once on a commit, every ``poll_interval`` otherwise (rows of
    another process, a broker that was away), and under load one pass per ``gather`` seconds at most.

    A pass costs about the same for one row as for fifty (a claim, a publish with its confirm, a mark,
    each a round trip): when the last pass published something less than ``gather`` ago, the commits
    arriving meanwhile wait for the rest of that window and go out together. An idle relay's first
    commit is not delayed. ``wake`` is a threading.Event (green under eventlet) set on every commit.
    """

    def __init__(self, relay: OutboxRelay, wake: threading.Event, poll_interval: float = 0.5,
                 gather: float = 0.025, clock=None, sleep=None):
        self.relay, self.wake = relay, wake
        self.poll_interval, self.gather = poll_interval, gather
        # Looked up when called, not imported: eventlet's monkey patching may come after this import.
        self.clock = clock or (lambda: time.monotonic())
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))
        self.stopping = False
        self.passes = 0
        self._last_published = float("-inf")

    def run(self) -> None:
        backoff = 0.5
        while not self.stopping:
            pause = self._last_published + self.gather - self.clock()
            if pause > 0:
                self.sleep(pause)
            self.wake.clear()  # cleared before the pass: a commit during it triggers another
            try:
                started = self.clock()
                published = self.relay.relay_all()
                self.passes += 1
                backoff = 0.5
            except Exception as exc:  # broker or database away: keep the rows, try again later
                log.warning("relay_error", error=repr(exc), retry_in=backoff)
                self.relay.close()
                self.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published:
                self._last_published = started
            else:
                self.wake.wait(self.poll_interval)

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()
