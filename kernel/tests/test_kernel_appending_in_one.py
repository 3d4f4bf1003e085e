"""``uow.appending_in_one()``: appends of many streams, stamped at each append, written together when
the block ends — one INSERT for the events (one more for their outbox rows), one look at the streams
that exist — with the same outcome and the same refusals as appending one by one."""
import pytest
from sqlalchemy import event, func, select

from hgrip_kernel.errors import ConcurrencyError, InvalidInput
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.store.tables import events, outbox


@pytest.fixture
def store(mixed_store):
    return mixed_store


@pytest.fixture
def statements(store):
    """The SQL statements the store's engine runs (BEGIN/COMMIT aside), as they are sent."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        verb = statement.split()[0].upper()
        if verb not in ("BEGIN", "COMMIT"):   # (SQLite's BEGIN IMMEDIATE is a statement)
            seen.append(verb)

    event.listen(store.engine, "before_cursor_execute", record)
    yield seen
    event.remove(store.engine, "before_cursor_execute", record)


def _outboxed(store) -> list[int]:
    with store.engine.connect() as connection:
        return list(connection.execute(select(events.c.data).join(outbox, outbox.c.position == events.c.position)
                                       .order_by(outbox.c.position)).scalars())


def test_a_batch_of_streams_is_written_by_one_insert_with_each_events_own_ids(store, statements):
    with store.unit_of_work(actor="someone") as uow:
        uow.append("thing", "existing", 0, [DomainEvent("Noted", {"n": 0})])
    statements.clear()
    with store.unit_of_work() as uow:
        with uow.appending_in_one():
            held = []
            for i in range(1, 6):
                uow.actor, uow.correlation_id, uow.causation_id = f"actor-{i}", f"corr-{i}", f"cause-{i}"
                held += uow.append("thing", f"s{i}", 0, [DomainEvent("Made" if i % 2 else "Noted", {"n": i})])
            held += uow.append("thing", "existing", 1, [DomainEvent("Noted", {"n": 6}), DomainEvent("Made", {"n": 7})])
            assert all(envelope.position is None for envelope in held)   # not written yet
            assert statements == []
        written = list(uow.appended)
    # One look at the existing stream's version, one INSERT of the 7 events, one of the 4 outbox rows.
    assert statements == ["SELECT", "INSERT", "INSERT"]
    assert [e.event_id for e in written] == [e.event_id for e in held]
    assert all(e.position for e in written)
    stored = {e.event_id: e for e in store.read_all()}
    for envelope in written:
        assert stored[envelope.event_id] == envelope   # position, ids, version, data as stamped
    assert [(stored[e.event_id].actor, stored[e.event_id].correlation_id, stored[e.event_id].causation_id)
            for e in written[:5]] == [(f"actor-{i}", f"corr-{i}", f"cause-{i}") for i in range(1, 6)]
    assert [(e.event_type, e.stream_version) for e in store.read_stream("existing")] == [
        ("Noted", 1), ("Noted", 2), ("Made", 3)]
    assert [data["n"] for data in _outboxed(store)] == [1, 3, 5, 7]   # only on-broker events


def test_a_stale_version_refuses_the_whole_unit_of_work(store):
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Noted", {"n": 1}), DomainEvent("Noted", {"n": 2})])
    for stale in (1, 3):   # behind (lost a race), ahead (a gap)
        with pytest.raises(ConcurrencyError) as refused, store.unit_of_work() as uow, uow.appending_in_one():
            uow.append("thing", "new", 0, [DomainEvent("Made", {"n": 9})])
            uow.append("thing", "a", stale, [DomainEvent("Noted", {"n": 3})])
        assert refused.value.details["stream_id"] == "a"
        assert refused.value.details["current_version"] == 2
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(events)).scalar_one() == 2
        assert connection.execute(select(func.count()).select_from(outbox)).scalar_one() == 0


def test_a_new_stream_someone_else_wrote_meanwhile_is_refused_by_the_insert(store):
    with store.unit_of_work() as uow:
        uow.append("thing", "taken", 0, [DomainEvent("Noted", {"n": 1})])
    with pytest.raises(ConcurrencyError), store.unit_of_work() as uow, uow.appending_in_one():
        uow.append("thing", "free", 0, [DomainEvent("Made", {"n": 2})])
        uow.append("thing", "taken", 0, [DomainEvent("Noted", {"n": 3})])
    assert store.read_stream("free") == []


def test_two_appends_to_one_stream_in_a_block_follow_on_from_each_other(store):
    with store.unit_of_work() as uow, uow.appending_in_one():
        uow.append("thing", "a", 0, [DomainEvent("Noted", {"n": 1})])
        uow.append("thing", "a", 1, [DomainEvent("Noted", {"n": 2})])
    assert [e.data["n"] for e in store.read_stream("a")] == [1, 2]
    with pytest.raises(ConcurrencyError), store.unit_of_work() as uow, uow.appending_in_one():
        uow.append("thing", "a", 2, [DomainEvent("Noted", {"n": 3})])
        uow.append("thing", "a", 2, [DomainEvent("Noted", {"n": 4})])   # the same version twice
    assert [e.data["n"] for e in store.read_stream("a")] == [1, 2]


def test_an_invalid_event_is_refused_at_its_append_and_nothing_is_written(store):
    with pytest.raises(InvalidInput), store.unit_of_work() as uow, uow.appending_in_one():
        uow.append("thing", "a", 0, [DomainEvent("Made", {"n": 1})])
        uow.append("thing", "b", 0, [DomainEvent("Made", {"n": "not a number"})])
    assert store.read_all() == []


def test_the_commit_listeners_get_the_written_envelopes(store):
    heard: list = []
    store.add_commit_listener(heard.extend)
    with store.unit_of_work() as uow, uow.appending_in_one():
        uow.append("thing", "a", 0, [DomainEvent("Made", {"n": 1})])
        with uow.appending_in_one():   # nested: the outer block writes
            uow.append("thing", "b", 0, [DomainEvent("Made", {"n": 2})])
        assert uow.appended == []
    assert [e.data["n"] for e in heard] == [1, 2]
    assert heard == store.read_all()
