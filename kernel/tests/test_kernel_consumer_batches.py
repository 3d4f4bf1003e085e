"""``@event_consumer(..., batch=True)`` on a real broker and database: a burst is taken in batches (one
worker, one transaction each), every event applied once; a failing event is tried alone and goes its own
way (retries, then a dead letter) while the rest of its batch is applied."""
import eventlet
import pytest
from nameko.rpc import rpc

from hgrip_kernel.dead_letters import list_dead_letters
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer
from hgrip_kernel.testing.fixtures import inbox_rows, wait_until

CONSUMER = "batches.on_made"
BATCHES: list[list[int]] = []   # the n of each call's envelopes
APPLIED: list[tuple[int, str]] = []   # (n, correlation id the handler saw for that event)
POISON = -1


class BurstService:
    name = "burst"
    store = EventStoreProvider(poll_interval=0.05)

    @rpc
    def make(self, numbers):
        """One event per number, each its own stream, committed together (so they arrive as a burst)."""
        with self.store.unit_of_work(actor="tester", correlation_id="req-burst") as uow:
            for n in numbers:
                uow.append("thing", f"thing-{n}", 0, [DomainEvent("Made", {"n": n})])


class BatchesService:
    name = "batches"
    store = EventStoreProvider(poll_interval=0.05)
    ctx = RequestContext()

    @event_consumer("burst", "Made", batch=True)
    def on_made(self, envelopes):
        BATCHES.append([e.data["n"] for e in envelopes])
        eventlet.sleep(0.2)   # slow enough for the next deliveries to gather behind this batch
        if any(e.data["n"] == POISON for e in envelopes):
            raise RuntimeError("this event cannot be applied")
        with self.store.unit_of_work(correlation_id=self.ctx.correlation_id) as uow:
            fresh = uow.first_times(CONSUMER, [e.event_id for e in envelopes])
            for envelope in envelopes:
                if envelope.event_id in fresh:
                    uow.append("echo", f"echo-{envelope.data['n']}", 0, [DomainEvent("Echoed", {})])
        APPLIED.extend((e.data["n"], e.correlation_id) for e in envelopes if e.event_id in fresh)


@pytest.fixture
def burst(make_database, service_config, start_service):
    BATCHES.clear()
    APPLIED.clear()
    consumer_db = make_database(None)
    start_service(BurstService, service_config("burst", make_database(None)))
    start_service(BatchesService, service_config("batches", consumer_db, MAX_DELIVERY_ATTEMPTS=2,
                                                 RETRY_DELAY_MS=100))
    return consumer_db


def test_a_burst_is_taken_in_batches_and_each_event_applied_once(burst, rpc_proxy):
    with rpc_proxy() as cluster:
        cluster.burst.make(list(range(30)))
    wait_until(lambda: len(APPLIED) == 30, timeout=20, message="every event applied")
    assert sorted(n for n, _ in APPLIED) == list(range(30))
    assert {correlation for _, correlation in APPLIED} == {"req-burst"}
    assert max(len(batch) for batch in BATCHES) > 1, BATCHES      # batches formed behind the first
    assert sum(len(batch) for batch in BATCHES) == 30              # no event handled twice
    assert len(BATCHES[0]) == 1 or len(BATCHES) < 30                # the first was not held back
    eventlet.sleep(0.5)
    assert inbox_rows(burst) == 30 and len(APPLIED) == 30


def test_a_failing_event_is_tried_alone_and_the_rest_of_its_batch_is_applied(burst, rpc_proxy, amqp_uri):
    with rpc_proxy() as cluster:
        cluster.burst.make([1, 2, 3])                     # the first batch is busy when the next arrive
        cluster.burst.make([10, 11, POISON, 12, 13])
    wait_until(lambda: len(APPLIED) == 7, timeout=20, message="every good event applied")
    letters = wait_until(lambda: list_dead_letters(amqp_uri), timeout=20, message="the bad one dead-lettered")
    [letter] = letters
    assert letter.attempts == 2 and letter.queue == "batches.on_made" and "cannot be applied" in letter.error
    assert sorted(n for n, _ in APPLIED) == [1, 2, 3, 10, 11, 12, 13]
    failed = [batch for batch in BATCHES if POISON in batch]
    assert len(failed[0]) > 1 and failed[1:] == [[POISON]] * (len(failed) - 1)   # then alone, per attempt
    assert inbox_rows(burst) == 7
