"""A prefetched batch of BackupSubmitted in one unit of work (``intake.request_syncs``), over fakes."""
from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from hgrip_registry_sync.app import intake


def submitted(delivered, payload, correlation_id, actor=None):
    """A BackupSubmitted as the consumer gets it, under its own submit's correlation id."""
    envelope = replace(delivered("BackupSubmitted", payload, actor=actor), correlation_id=correlation_id)
    return envelope, payload["backup_number"], payload["backup_id"]


def test_a_batch_requests_each_new_number_once_under_its_own_events_ids(sync, delivered, backup_payload):
    known = backup_payload()
    earlier = submitted(delivered, known, "req-earlier")
    assert intake.request_syncs(sync.ports, sync.request("req-earlier"), [earlier]) == [earlier]
    sync.log.lines.clear()
    fresh, twice, last = backup_payload(), backup_payload(), backup_payload()
    batch = [
        earlier,                                                             # redelivered
        submitted(delivered, known, "req-known"),                            # another event, a number known
        submitted(delivered, fresh, "req-fresh", actor="owner-fresh"),
        submitted(delivered, twice, "req-twice-1", actor="owner-twice"),
        submitted(delivered, twice, "req-twice-2"),                          # the same number again
        submitted(delivered, last, "req-last", actor="owner-last"),
    ]
    batch.append(batch[2])                                                   # the same event twice
    pusher = sync.local_pusher()

    # (the request is the batch's first message's; each event's own ids are on its envelope)
    requested = intake.request_syncs(sync.ports, sync.request("req-earlier"), batch, pusher)

    assert requested == [batch[2], batch[3], batch[5]]
    new = [(payload, batch[index][0]) for payload, index in ((fresh, 2), (twice, 3), (last, 5))]
    events = sync.store.read_all()
    assert [e.stream_id for e in events] == [f"sync-{p['backup_number']}" for p in (known, fresh, twice, last)]
    for (payload, cause), event in zip(new, events[1:], strict=True):
        assert event.event_type == "SyncRequested"
        assert event.data["backup_number"] == payload["backup_number"]
        assert event.data["submitted_event_id"] == cause.event_id
        assert (event.correlation_id, event.causation_id, event.actor) == (
            cause.correlation_id, cause.event_id, cause.actor)
        row = sync.rows.sync_state(payload["backup_number"])
        assert (row["state"], row["correlation_id"], row["backup_id"]) == (
            "pending", cause.correlation_id, payload["backup_id"])
        assert row["next_attempt_at"] == sync.now + pusher.lease   # leased to the local pusher
    assert len(sync.rows.tables["number"]) == 4
    # One look for the numbers, one apply of every new row; every row handed over after the commit.
    assert sync.rows.known_asked[-1] == [known["backup_number"], fresh["backup_number"], twice["backup_number"],
                                         last["backup_number"]]
    assert sync.rows.applied[-1] == 3
    assert [(r.queue, r.key, r.correlation_id, r.attempts, r.payload) for r in pusher.handed] == [
        ("number", p["backup_number"], cause.correlation_id, 0, p) for p, cause in new]
    # The log says what became of each event, under its own correlation id.
    assert [(event, fields["backup_number"], fields["correlation_id"]) for _, event, fields in sync.log.lines] == [
        ("backup_submitted_duplicate", known["backup_number"], "req-earlier"),
        ("sync_already_requested", known["backup_number"], "req-known"),
        ("sync_already_requested", twice["backup_number"], "req-twice-2"),
        ("backup_submitted_duplicate", fresh["backup_number"], "req-fresh"),
    ]


def test_a_batch_of_events_seen_before_writes_nothing(sync, delivered, backup_payload):
    batch = [submitted(delivered, backup_payload(), f"req-{n}") for n in range(3)]
    assert len(intake.request_syncs(sync.ports, sync.request("req-0"), batch)) == 3
    pusher = sync.local_pusher()
    assert intake.request_syncs(sync.ports, sync.request("req-0"), batch, pusher) == []
    assert len(sync.store.read_all()) == 3 and pusher.handed == []
    assert sync.rows.applied == [3] and len(sync.rows.known_asked) == 1   # no look, no apply the second time
    assert sync.log.events() == ["backup_submitted_duplicate"] * 3


def test_a_single_request_is_a_batch_of_one_caused_by_its_event(sync, delivered, backup_payload):
    payload = backup_payload()
    envelope = delivered("BackupSubmitted", payload, actor="owner-1")
    assert intake.request_sync(sync.ports, sync.request("req-submit"), envelope, payload["backup_number"],
                               payload["backup_id"]) is True
    [event] = sync.store.read_all()
    assert (event.correlation_id, event.causation_id, event.actor) == ("req-submit", envelope.event_id, "owner-1")


def test_while_hgrg_answers_a_batch_is_pushed_first_and_recorded_with_its_outcome(sync, delivered, backup_payload):
    known = backup_payload()
    earlier = submitted(delivered, known, "req-earlier")
    intake.request_syncs(sync.ports, sync.request("req-earlier"), [earlier])
    fresh, twice = backup_payload(), backup_payload()
    batch = [submitted(delivered, fresh, "req-fresh", actor="owner-fresh"), earlier,
             submitted(delivered, twice, "req-twice-1", actor="owner-twice"),
             submitted(delivered, twice, "req-twice-2")]
    pusher = sync.local_pusher(pushing=True)

    with capture_logs() as logged:
        requested = intake.request_syncs(sync.ports, sync.request("req-fresh"), batch, pusher)

    assert requested == [batch[0], batch[2]]
    # One batch to HGRG, each new number once, in delivery order (not the one requested before: HGRG
    # has it, or its pusher will); nothing left to hand over.
    assert pusher.pushed_first == [[fresh["backup_number"], twice["backup_number"]]]
    assert sync.hgrg.batches == [2] and pusher.handed == []
    for payload, cause in ((fresh, batch[0][0]), (twice, batch[2][0])):
        stream = sync.store.read_stream(f"sync-{payload['backup_number']}")
        assert [(e.event_type, e.stream_version) for e in stream] == [("SyncRequested", 1), ("BackupSynced", 2)]
        assert [(e.correlation_id, e.causation_id, e.actor) for e in stream] == [
            (cause.correlation_id, cause.event_id, cause.actor), (cause.correlation_id, None, "pusher-a")]
        assert (stream[1].data["attempt"], stream[1].data["hgrg_status"]) == (1, "received")
        row = sync.rows.sync_state(payload["backup_number"])
        assert (row["state"], row["attempts"], row["next_attempt_at"], row["correlation_id"], row["version"]) == (
            "synced", 1, None, cause.correlation_id, 2)
    assert [e.event_type for e in sync.store.read_stream(f"sync-{known['backup_number']}")] == ["SyncRequested"]
    [fields] = [line for line in logged if line["event"] == "hgrg_push_succeeded"]
    assert (fields["items"], fields["backup_numbers"], fields["pusher"]) == (
        2, [fresh["backup_number"], twice["backup_number"]], "pusher-a")


def test_a_batch_pushed_first_while_hgrg_is_down_is_recorded_failing_and_the_next_is_handed_over(
        sync, delivered, backup_payload):
    pusher = sync.local_pusher(pushing=True)
    sync.hgrg.mode = "down"
    first = [backup_payload(), backup_payload()]
    intake.request_syncs(sync.ports, sync.request("req-0"),
                         [submitted(delivered, payload, f"req-{n}") for n, payload in enumerate(first)], pusher)
    for payload in first:
        row = sync.rows.sync_state(payload["backup_number"])
        assert (row["state"], row["attempts"], row["last_error"]) == (
            "failing", 1, "HTTP 503 unavailable: HGRG is down")
        assert row["next_attempt_at"] > sync.now   # due again after its backoff, for any pusher to claim
        assert [e.event_type for e in sync.store.read_stream(f"sync-{payload['backup_number']}")] == [
            "SyncRequested", "SyncAttemptFailed"]

    later = backup_payload()   # HGRG did not answer the last push: recorded pending, handed over,
    asked = len(sync.rows.committed_asked)   # without looking up which numbers are committed
    intake.request_syncs(sync.ports, sync.request("req-later"), [submitted(delivered, later, "req-later")], pusher)
    assert len(pusher.pushed_first) == 1 and [row.key for row in pusher.handed] == [later["backup_number"]]
    assert len(sync.rows.committed_asked) == asked
    assert sync.rows.sync_state(later["backup_number"])["state"] == "pending"

    sync.hgrg.mode = "ok"   # the pusher's next push is answered: the intake pushes first again
    sync.wait(minutes=5)
    assert pusher.pusher.push_due() == 3
    last = backup_payload()
    intake.request_syncs(sync.ports, sync.request("req-last"), [submitted(delivered, last, "req-last")], pusher)
    assert pusher.pushed_first[-1] == [last["backup_number"]]
    assert {number: sync.rows.sync_state(number)["state"] for number in
            [p["backup_number"] for p in (*first, later, last)]} == dict.fromkeys(
        [p["backup_number"] for p in (*first, later, last)], "synced")


def test_a_batch_pushed_first_whose_record_fails_is_retried_alone_and_not_pushed_again(
        sync, delivered, backup_payload, monkeypatch):
    pusher = sync.local_pusher(pushing=True)
    payloads = [backup_payload() for _ in range(3)]
    items = [submitted(delivered, payload, f"req-{n}") for n, payload in enumerate(payloads)]
    poison = payloads[1]["backup_number"]
    apply = sync.rows.apply

    def apply_unless_poison(uow, changes):   # the poison's row cannot be written, whatever else is
        if any(change.key == poison for change in changes):
            raise RuntimeError("value too long")
        apply(uow, changes)

    monkeypatch.setattr(sync.rows, "apply", apply_unless_poison)
    with pytest.raises(RuntimeError):
        intake.request_syncs(sync.ports, sync.request("req-0"), items, pusher)
    assert sync.store.read_all() == [] and sync.rows.tables["number"] == {}
    for item in items:   # the kernel's batch: each event tried again alone
        try:
            intake.request_syncs(sync.ports, sync.request(item[0].correlation_id), [item], pusher)
        except RuntimeError:
            assert item[1] == poison

    # HGRG was asked once, for the whole batch (its word kept for the retries); the poison's number
    # is there too, but registry-sync has no state of it: its event is the dead letter's.
    assert sync.hgrg.batches == [3]
    assert {number: (row["state"], row["attempts"]) for number, row in sync.rows.tables["number"].items()} == {
        payloads[0]["backup_number"]: ("synced", 1), payloads[2]["backup_number"]: ("synced", 1)}
    assert [e.data["hgrg_status"] for e in sync.store.read_all() if e.event_type == "BackupSynced"] == [
        "received", "received"]
