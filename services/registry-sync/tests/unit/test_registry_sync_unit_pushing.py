"""The pusher's use case over fakes (in-memory store, fake queues, fake HGRG, a clock): success,
duplicate, failure → backoff, a refusal, a late outcome, the queues taking turns."""
from datetime import timedelta

from hgrip_registry_sync.app import intake
from hgrip_registry_sync.app.pushing import Claim, Outcome


def request_sync(sync, delivered, payload, correlation_id="req-submit"):
    envelope = delivered("BackupSubmitted", payload)
    assert intake.request_sync(sync.ports, sync.request(correlation_id), envelope, payload["backup_number"],
                               payload["backup_id"])
    return envelope


def test_a_number_is_pushed_once_and_recorded_synced(sync, delivered, backup_payload):
    payload = backup_payload()
    number = payload["backup_number"]
    request_sync(sync, delivered, payload)
    pusher = sync.pusher()
    start = sync.now
    assert pusher.push_due() == 1
    assert sync.hgrg.received == [("backup", payload, "req-submit")]
    row = sync.rows.sync_state(number)
    assert (row["state"], row["attempts"], row["next_attempt_at"], row["synced_at"], row["version"]) == \
        ("synced", 1, None, start, 2)
    assert sync.stream(f"sync-{number}")[-1] == ("BackupSynced", {
        "backup_number": number, "attempt": 1, "synced_at": start.isoformat(), "hgrg_status": "received"})
    assert pusher.push_due() == 0                  # synced rows are never claimed again


def test_a_number_hgrg_already_has_is_synced_as_a_duplicate(sync, delivered, backup_payload):
    payload = backup_payload()
    sync.hgrg.push_backup(payload)                 # an earlier push got through, its answer was lost
    request_sync(sync, delivered, payload)
    sync.pusher().push_due()
    [(event_type, data)] = sync.stream(f"sync-{payload['backup_number']}")[-1:]
    assert (event_type, data["hgrg_status"]) == ("BackupSynced", "duplicate")


def test_a_failed_push_backs_off_then_succeeds(sync, delivered, backup_payload):
    payload = backup_payload()
    number = payload["backup_number"]
    request_sync(sync, delivered, payload)
    pusher = sync.pusher()
    start = sync.now
    sync.hgrg.mode = "down"
    assert pusher.push_due() == 1
    row = sync.rows.sync_state(number)
    assert (row["state"], row["attempts"], row["last_error"], row["next_attempt_at"]) == \
        ("failing", 1, "HTTP 503 unavailable: HGRG is down", start + timedelta(seconds=0.5))
    assert pusher.push_due() == 0                  # not due before the backoff has passed
    sync.wait(seconds=0.5)
    assert pusher.push_due() == 1
    assert sync.rows.sync_state(number)["next_attempt_at"] == sync.now + timedelta(seconds=1)   # doubled
    sync.hgrg.mode = "ok"
    sync.wait(seconds=1)
    assert pusher.push_due() == 1
    row = sync.rows.sync_state(number)
    assert (row["state"], row["attempts"], row["last_error"], row["next_attempt_at"]) == ("synced", 3, None, None)
    assert [event_type for event_type, _ in sync.stream(f"sync-{number}")] == [
        "SyncRequested", "SyncAttemptFailed", "SyncAttemptFailed", "BackupSynced"]


def test_a_refusal_is_retried_like_an_outage_but_flagged(sync, delivered, backup_payload):
    payload = backup_payload()
    request_sync(sync, delivered, payload)
    pusher = sync.pusher()
    sync.hgrg.mode = "refusing"
    claims = pusher.claim(limit=1)
    [outcome] = pusher.push(claims)
    assert (outcome.refused, outcome.error) == (True, "refused: HTTP 401 bad_signature")
    assert pusher.record(claims, [outcome])[0]["attempt"] == 1
    assert sync.rows.sync_state(payload["backup_number"])["state"] == "failing"


def test_a_claim_is_leased_until_it_runs_out(sync, delivered, backup_payload):
    payload = backup_payload()
    request_sync(sync, delivered, payload)
    pusher = sync.pusher()
    [claim] = pusher.claim(limit=10)
    assert claim == Claim(payload["backup_number"], payload, "req-submit", 1)
    assert pusher.claim(limit=10) == []
    sync.wait(seconds=10)
    assert [c.key for c in pusher.claim(limit=10)] == [payload["backup_number"]]


def test_a_late_outcome_for_a_synced_number_is_dropped(sync, delivered, backup_payload):
    request_sync(sync, delivered, backup_payload())
    pusher = sync.pusher()
    claims = pusher.claim(limit=1)
    assert pusher.record(claims, [Outcome(hgrg_status="received")])[0]["attempt"] == 1
    assert pusher.record(claims, [Outcome(error="no answer within 2 s")]) == [None]
    assert len(sync.store.read_all()) == 2


def test_an_owner_change_is_pushed_like_a_number(sync, delivered, backup_payload, owner_events):
    payload = backup_payload()
    data = owner_events.delegated(payload["backup_id"], payload["backup_number"], 2, "liuhaoran")
    envelope = delivered("BackupDelegated", data)
    body = intake.request_owner_change(sync.ports, sync.request("req-delegate"), envelope)
    assert body == owner_events.body(envelope.event_id, data)
    assert sync.pusher().push_due() == 1
    assert sync.hgrg.received == [("owner_change", body, "req-delegate")]
    [row] = sync.rows.owner_changes_of(payload["backup_number"])
    assert (row["state"], row["attempts"], row["owner_username"]) == ("synced", 1, "liuhaoran")


def test_the_queues_take_turns(sync, delivered, backup_payload, owner_events):
    for _ in range(2):
        request_sync(sync, delivered, backup_payload())
    for n in range(2):
        data = owner_events.claimed(f"00000000-0000-4000-8000-00000000000{n}", f"BF2019031200{n}", 2)
        intake.request_owner_change(sync.ports, sync.request("req"), delivered("BackupClaimed", data))
    pusher = sync.pusher()
    taken = [pusher.claim(limit=1)[0].queue for _ in range(4)]
    assert sorted(taken) == ["number", "number", "owner_change", "owner_change"]
    assert taken[0] != taken[1]


def test_due_rows_go_in_one_batch_and_one_refused_item_fails_alone(sync, delivered, backup_payload):
    payloads = [backup_payload() for _ in range(4)]
    for index, payload in enumerate(payloads):
        request_sync(sync, delivered, payload, correlation_id=f"req-{index}")
    bad = payloads[2]["backup_number"]
    sync.hgrg.refuse = {bad}
    pusher = sync.pusher()
    assert pusher.push_due() == 4
    assert sync.hgrg.batches == [4]                 # one request for all four
    states = {p["backup_number"]: sync.rows.sync_state(p["backup_number"]) for p in payloads}
    assert {n: s["state"] for n, s in states.items()} == {
        **{p["backup_number"]: "synced" for p in payloads}, bad: "failing"}
    assert states[bad]["last_error"] == "refused: invalid_item: not this one"
    # Each push's events carry the correlation id of its own request, one unit of work or not.
    for index, payload in enumerate(payloads):
        stream = sync.store.read_stream(f"sync-{payload['backup_number']}")
        assert {e.correlation_id for e in stream} == {f"req-{index}"}
    sync.hgrg.refuse = set()
    sync.wait(seconds=0.5)
    assert pusher.push_due() == 1 and sync.hgrg.batches == [4, 1]
    assert sync.rows.sync_state(bad)["state"] == "synced"


def test_a_batch_is_capped_and_the_rest_waits_for_the_next(sync, delivered, backup_payload):
    for _ in range(5):
        request_sync(sync, delivered, backup_payload())
    pusher = sync.pusher()
    assert pusher.push_due(limit=3) == 3 and pusher.push_due(limit=3) == 2
    assert sync.hgrg.batches == [3, 2]
