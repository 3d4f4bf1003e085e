"""The in-memory event store behaves as the real one for what use cases rely on."""
import pytest

from hgrip_kernel.aggregate import Aggregate
from hgrip_kernel.errors import ConcurrencyError
from hgrip_kernel.ids import canonical_id
from hgrip_kernel.testing.memory_store import InMemoryEventStore


class Counter(Aggregate):
    stream_type = "counter"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.value = 0

    def apply_Counted(self, data):
        self.value += data["by"]


@pytest.fixture
def store(monkeypatch):
    store = InMemoryEventStore("test")
    monkeypatch.setattr(store.registry, "validate", lambda *args: None)   # no contract for the test's event
    return store


def test_committed_work_is_visible_and_a_failed_one_leaves_nothing(store):
    def count(uow):
        counter = uow.load(Counter, "c-1") or Counter("c-1")
        counter.record("Counted", {"by": 2})
        uow.save(counter)
        return counter.value

    assert store.write(count, actor="a") == 2
    assert store.write(count, actor="a") == 4

    def count_then_fail(uow):
        count(uow)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write(count_then_fail)
    assert [e.stream_version for e in store.read_stream("c-1")] == [1, 2]
    assert [e.position for e in store.read_all()] == [1, 2]
    assert Counter.rehydrate("c-1", store.read_stream("c-1")).value == 4


def test_a_stale_version_is_a_concurrency_error_and_inbox_marks_once(store):
    with store.unit_of_work() as uow:
        stale = Counter("c-2")
        stale.record("Counted", {"by": 1})
        uow.save(stale)
        assert uow.first_time("consumer", "e-1") is True
        assert uow.first_time("consumer", "e-1") is False
    with pytest.raises(ConcurrencyError), store.unit_of_work() as uow:
        again = Counter("c-2")          # version 0: someone already wrote version 1
        again.record("Counted", {"by": 1})
        uow.save(again)
    with store.unit_of_work() as uow:
        assert uow.first_time("consumer", "e-1") is False


def test_canonical_id():
    assert canonical_id("6F9619FF-8B86-D011-B42D-00C04FC964FF") == "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    assert canonical_id("not-a-uuid") is None
    assert canonical_id(None) is None
