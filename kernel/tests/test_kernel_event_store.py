
import eventlet
import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from hgrip_kernel.contracts import EventRegistry
from hgrip_kernel.errors import ConcurrencyError, InvalidInput
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import events, inbox, outbox


@pytest.fixture
def store(store_url):
    engine = create_engine(store_url)
    yield EventStore(engine, source="tests")
    engine.dispose()


def count(store, table):
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_append_then_read_back_in_stream_and_global_order(store):
    with store.unit_of_work(actor="acc-1", correlation_id="req-1") as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {"n": 1}), DomainEvent("Changed", {"n": 2})])
        uow.append("thing", "b", 0, [DomainEvent("Made", {"n": 3})])
    stream = store.read_stream("a")
    assert [(e.event_type, e.stream_version, e.data["n"]) for e in stream] == [("Made", 1, 1), ("Changed", 2, 2)]
    assert all(e.actor == "acc-1" and e.correlation_id == "req-1" for e in stream)
    everything = store.read_all()
    assert [e.data["n"] for e in everything] == [1, 2, 3]
    assert [e.position for e in everything] == sorted(e.position for e in everything)
    assert [e.data["n"] for e in store.read_all(after_position=everything[0].position)] == [2, 3]


def test_every_event_gets_an_outbox_row_in_the_same_transaction(store):
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
    assert count(store, outbox) == 1
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.append("thing", "b", 0, [DomainEvent("Made", {})])
        raise RuntimeError("the caller fails after appending")
    assert count(store, events) == 1 and count(store, outbox) == 1  # nothing of the failed unit


def test_stale_expected_version_is_a_concurrency_error(store):
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
    with pytest.raises(ConcurrencyError) as caught, store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
    assert caught.value.http_status == 409 and caught.value.message_zh
    with pytest.raises(ConcurrencyError), store.unit_of_work() as uow:  # a gap is refused too
        uow.append("thing", "a", 5, [DomainEvent("Changed", {})])
    assert len(store.read_stream("a")) == 1


def test_concurrent_writers_of_one_stream_one_wins(store):
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
    results = []

    def writer(n):
        try:
            with store.unit_of_work() as uow:
                uow.append("thing", "a", 1, [DomainEvent("Changed", {"n": n})])
                eventlet.sleep(0.01)
            results.append("ok")
        except ConcurrencyError:
            results.append("conflict")

    threads = [eventlet.spawn(writer, n) for n in range(8)]
    for thread in threads:
        thread.wait()
    assert results.count("ok") == 1 and results.count("conflict") == 7
    assert [e.stream_version for e in store.read_stream("a")] == [1, 2]


def test_inbox_records_each_event_once_per_consumer(store):
    with store.unit_of_work() as uow:
        assert uow.first_time("c1", "e-1") is True
        assert uow.first_time("c1", "e-1") is False
        assert uow.first_time("c2", "e-1") is True
    with store.unit_of_work() as uow:
        assert uow.first_time("c1", "e-1") is False
    assert count(store, inbox) == 2


def test_inbox_records_a_batch_in_one_go_and_answers_the_new_ones(store):
    with store.unit_of_work() as uow:
        assert uow.first_time("c1", "e-1") is True
    with store.unit_of_work() as uow:
        assert uow.first_times("c1", ["e-1", "e-2", "e-3", "e-2"]) == {"e-2", "e-3"}
        assert uow.first_times("c1", ["e-2", "e-4"]) == {"e-4"}
        assert uow.first_times("c1", []) == set()
    with store.unit_of_work() as uow:
        assert uow.first_times("c1", ["e-1", "e-2", "e-3", "e-4"]) == set()
        assert uow.first_times("c2", ["e-1"]) == {"e-1"}
    assert count(store, inbox) == 5


def test_registered_payload_schemas_are_enforced_on_write(store):
    registry = EventRegistry()

    @registry.register("tests", "Made", 1)
    class MadeSchema(Schema):
        n = fields.Integer(required=True)

    registry._loaded = True
    checked = EventStore(store.engine, source="tests", registry=registry)
    with pytest.raises(InvalidInput) as caught, checked.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {"n": "many"})])
    assert caught.value.code == "invalid_event_payload" and "n" in caught.value.details
    assert count(store, events) == 0


def test_commit_listeners_hear_only_committed_events(store):
    heard = []
    store.add_commit_listener(lambda envelopes: heard.extend(e.event_type for e in envelopes))
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Lost", {})])
        raise RuntimeError
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
    assert heard == ["Made"]


def test_migration_creates_exactly_the_model_tables(make_database):
    """The spelled-out v1 migration and the model the store writes through must agree."""
    from sqlalchemy import inspect

    from hgrip_kernel.store.tables import metadata
    url = make_database("verification")  # a service whose migration is the kernel tables alone
    engine = create_engine(url)
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys())
    store = EventStore(engine, source="tests")
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
        assert uow.first_time("c", "e")
    assert len(store.read_stream("a")) == 1
    engine.dispose()
