"""Moves committed outbox rows to RabbitMQ; marks a row published only once the broker confirmed it.

Rows are claimed with FOR UPDATE SKIP LOCKED, not read past a cursor: a transaction that commits
late (out of order) leaves its rows unpublished until the next pass picks them up, so nothing is
skipped, and several relays (one per service instance) share the work without waiting.
A crash after publishing and before marking re-publishes those rows: consumers are idempotent.
"""
from datetime import datetime, timezone

from sqlalchemy import select, update

from . import faults
from .logging import get_logger
from .messaging.confirming_publisher import ConfirmingPublisher
from .messaging.topology import CORRELATION_HEADER, EVENTS_EXCHANGE
from .store.engine import write_lock
from .store.tables import outbox

log = get_logger("hgrip.relay")


def message_for(row) -> dict:
    body = row.body.encode("utf-8")
    return {
        "routing_key": row.routing_key,
        "body": body,
        "properties": {
            "content_type": "application/json",
            "content_encoding": "utf-8",
            "delivery_mode": 2,
            "message_id": row.event_id,
            "correlation_id": row.correlation_id,
            "type": row.event_type,
            "application_headers": {CORRELATION_HEADER: row.correlation_id,
                                    "x-hgrip-source": row.routing_key.split(".", 1)[0]},
        },
    }


class OutboxRelay:
    def __init__(self, engine, amqp_uri: str, exchange: str = EVENTS_EXCHANGE,
                 batch_size: int = 500, confirm_timeout: float = 10.0, publisher=None):
        self.engine = engine
        self.batch_size = batch_size
        self.publisher = publisher or ConfirmingPublisher(amqp_uri, exchange, confirm_timeout)
        self._lock = write_lock(engine)

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
                rows = connection.execute(
                    select(outbox.c.id, outbox.c.event_id, outbox.c.routing_key, outbox.c.body,
                           outbox.c.correlation_id, outbox.c.event_type)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id).limit(self.batch_size)
                    .with_for_update(skip_locked=True)).all()
                if not rows:
                    return 0
                try:
                    confirmed = self.publisher.publish_batch([message_for(row) for row in rows])
                except Exception as exc:
                    connection.execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                                       .values(attempts=outbox.c.attempts + 1, last_error=repr(exc)[:500]))
                    log.warning("outbox_publish_failed", error=repr(exc), rows=len(rows))
                    return 0
                faults.point("after_publish")  # published, not yet marked: a re-publish follows
                done = [row.id for row, ok in zip(rows, confirmed) if ok]
                if done:
                    connection.execute(update(outbox).where(outbox.c.id.in_(done))
                                       .values(published_at=datetime.now(timezone.utc)))
                if len(done) < len(rows):
                    log.warning("outbox_unconfirmed", unconfirmed=len(rows) - len(done))
                return len(done)

    def close(self):
        self.publisher.close()
