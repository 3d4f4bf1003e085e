"""A prefetched batch of BackupSubmitted in one unit of work (``intake.request_syncs``), over fakes."""
from dataclasses import replace
from datetime import timedelta

from hgrip_registry_sync.app import intake


class LocalPusher:
    lease = timedelta(seconds=15)

    def __init__(self):
        self.handed = []

    def hand_over(self, row):
        self.handed.append(row)


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
    pusher = LocalPusher()

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
    pusher = LocalPusher()
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
