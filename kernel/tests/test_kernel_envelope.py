import uuid
from datetime import UTC, datetime

import pytest

from hgrip_kernel.aggregate import Aggregate
from hgrip_kernel.envelope import Envelope, dump_envelope, load_envelope
from hgrip_kernel.errors import InvalidInput


def envelope(**overrides):
    values = dict(event_id=str(uuid.uuid4()), event_type="ThingHappened", schema_version=1,
                  source="tests", stream_type="thing", stream_id="thing-1", stream_version=1,
                  occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), actor="acc-1",
                  correlation_id="req-1", causation_id=None, data={"n": 1})
    values.update(overrides)
    return Envelope(**values)


def test_round_trip_keeps_every_field():
    original = envelope()
    assert load_envelope(dump_envelope(original)) == original


@pytest.mark.parametrize("field,value", [
    ("event_id", "not-a-uuid"), ("stream_version", 0), ("event_type", "has space"),
    ("correlation_id", ""), ("data", "text"),
])
def test_invalid_envelope_names_the_field(field, value):
    raw = dump_envelope(envelope())
    raw[field] = value
    with pytest.raises(InvalidInput) as caught:
        load_envelope(raw)
    assert caught.value.code == "invalid_envelope"
    assert field in caught.value.details
    assert caught.value.message_zh


def test_naive_timestamp_is_refused():
    raw = dump_envelope(envelope())
    raw["occurred_at"] = "2026-01-02T03:04:05"
    with pytest.raises(InvalidInput):
        load_envelope(raw)


class Counter(Aggregate):
    stream_type = "counter"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.total = 0

    def apply_Added(self, data):
        self.total += data["n"]


def test_aggregate_folds_history_and_records_new_events():
    history = [envelope(event_type="Added", data={"n": 2}, stream_version=1),
               envelope(event_type="Added", data={"n": 3}, stream_version=2)]
    counter = Counter.rehydrate("c-1", history)
    assert (counter.total, counter.version) == (5, 2)
    counter.record("Added", {"n": 4})
    assert counter.total == 9 and len(counter.pending) == 1 and counter.version == 2
    counter.mark_saved()
    assert counter.version == 3 and counter.pending == []


def test_unknown_event_type_is_an_error():
    with pytest.raises(TypeError):
        Counter.rehydrate("c-1", [envelope(event_type="Removed")])


def test_domain_errors_rebuild_from_their_args_with_json_types():
    """nameko rebuilds an error from ``exc.args`` after stringifying non-strings: details must survive."""
    from nameko.exceptions import deserialize, serialize

    from hgrip_kernel.errors import TooManyRequests
    from hgrip_kernel.nameko import register_rpc_errors
    register_rpc_errors()
    original = TooManyRequests("code_resend_too_soon", "Too soon.", "太快了。",
                               {"retry_after_seconds": 241, "files": [{"n": 1, "x": None}]})
    rebuilt = deserialize(serialize(original))
    assert type(rebuilt) is TooManyRequests and rebuilt.code == "code_resend_too_soon"
    assert rebuilt.details == {"retry_after_seconds": 241, "files": [{"n": 1, "x": None}]}
    assert rebuilt.message_zh == "太快了。"


# --- the compiled fast path agrees with the schema --------------------------------------------------------
from hgrip_kernel.envelope import EnvelopeSchema, check_envelope  # noqa: E402
from hgrip_kernel.ids import time_ordered_id  # noqa: E402


@pytest.mark.parametrize("change", [
    {},                                                              # what the relay sends
    {"event_id": str(uuid.uuid4()).upper()},                         # not canonical: the schema canonicalises
    {"occurred_at": "2026-01-02T03:04:05Z"},
    {"occurred_at": "2026-01-02T11:04:05+08:00"},
    {"schema_version": "1"},                                         # the schema coerces, the fast path defers
    {"actor": None, "causation_id": "evt-0"},
    {"extra_envelope_field": "newer producer"},
    {"position": 42},
])
def test_load_gives_what_the_schema_gives(change):
    raw = {**dump_envelope(envelope()), **change}
    assert load_envelope(raw) == EnvelopeSchema().load(raw)


@pytest.mark.parametrize("field,value", [
    ("event_type", "has space"), ("stream_version", -1), ("stream_id", ""), ("actor", "a" * 201),
    ("correlation_id", ""), ("occurred_at", datetime(2026, 1, 2)),
    ("event_id", "not-a-uuid"), ("schema_version", 0),
])
def test_check_refuses_what_a_reader_would_refuse(field, value):
    with pytest.raises(InvalidInput) as caught:
        check_envelope(envelope(**{field: value}))
    assert caught.value.code == "invalid_envelope" and caught.value.message_zh


def test_time_ordered_ids_are_uuid7_in_creation_order():
    import time
    first = time_ordered_id()
    time.sleep(0.002)
    later = [time_ordered_id() for _ in range(100)]
    assert all(uuid.UUID(i).version == 7 and str(uuid.UUID(i)) == i for i in [first, *later])
    assert all(first < i for i in later)  # text order is creation order across milliseconds
    assert len(set(later)) == 100
