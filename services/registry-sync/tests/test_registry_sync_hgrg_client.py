"""HgrgClient against the real HGRG stand-in (its own process, free port, own var dir).

Decision on a refused request (401 bad signature, 400 invalid body): ``HgrgRefused``, a subclass
of ``HgrgUnavailable``. The pusher treats it like any failure — the number stays ``failing`` and
is retried with backoff, never dropped, since fixing the secret or clock makes it go through —
while the distinct type lets the log say it needs an operator (logged as an error).
"""
import hashlib
import json
import time

import pytest

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers
from hgrip_registry_sync.adapters.hgrg_client import Answer, HgrgClient, HgrgRefused, HgrgUnavailable
from hgrip_registry_sync.app.ports import BatchItem, ItemReceipt

SECRET = "registry-sync-test-hgrg-secret"   # the conftest's stand-in secret


def test_first_push_is_received_then_a_repeat_is_a_duplicate(hgrg, backup_payload):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    payload = backup_payload()
    assert client.push_backup(payload, request_id="req-submit-1") == "received"
    assert client.push_backup(payload, request_id="req-submit-1") == "duplicate"
    [record] = hgrg.received()
    # HGRG keeps the payload exactly as sent (Chinese text included) and the request id with it.
    assert record["payload"] == payload
    assert record["backup_number"] == payload["backup_number"]
    assert record["request_id"] == "req-submit-1"
    assert hgrg.post_statuses() == [201, 200]


def test_a_wrong_secret_is_refused_distinctly_and_nothing_is_received(hgrg, backup_payload):
    client = HgrgClient(hgrg.base_url, "not-the-shared-secret", timeout=5)
    with pytest.raises(HgrgRefused) as caught:
        client.push_backup(backup_payload())
    assert isinstance(caught.value, HgrgUnavailable)   # so the pusher retries it like any failure
    assert caught.value.status == 401
    assert "bad_signature" in caught.value.reason
    assert hgrg.received() == []


def test_hgrg_down_is_unavailable(hgrg, backup_payload):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    hgrg.control("down")
    with pytest.raises(HgrgUnavailable) as caught:
        client.push_backup(backup_payload())
    assert not isinstance(caught.value, HgrgRefused)
    assert (caught.value.status, caught.value.reason) == (
        503, "HTTP 503 unavailable: HGRG stand-in is down (control mode)")
    hgrg.control("down", status=500)
    with pytest.raises(HgrgUnavailable) as caught:
        client.push_backup(backup_payload())
    assert caught.value.status == 500
    hgrg.control("ok")
    assert client.push_backup(backup_payload()) == "received"


def test_slower_than_the_time_out_is_unavailable(hgrg, backup_payload):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=0.5)
    hgrg.control("slow", delay_ms=2000, count=1)
    payload = backup_payload()
    started = time.monotonic()
    with pytest.raises(HgrgUnavailable) as caught:
        client.push_backup(payload)
    assert 0.45 <= time.monotonic() - started < 1.9
    assert caught.value.reason == "no answer within 0.5 s"
    # HGRG handled the request after all, unseen: the retry finds it there. This is why "sent
    # but no answer" is simply retried — HGRG's idempotence turns it into one receipt.
    time.sleep(1.7)
    assert client.push_backup(payload) == "duplicate"
    assert hgrg.received_numbers() == [payload["backup_number"]]


def test_nobody_listening_is_unavailable(backup_payload):
    from socket import socket
    with socket() as probe:   # a port that was free a moment ago: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HgrgClient(f"http://127.0.0.1:{port}/hgrg", SECRET, timeout=2)
    with pytest.raises(HgrgUnavailable) as caught:
        client.push_backup(backup_payload())
    assert caught.value.reason == "cannot reach HGRG: ConnectionError"
    assert caught.value.status is None


def test_a_200_that_is_not_hgrgs_confirmation_of_this_number_does_not_count(backup_payload):
    """A proxy's or portal's 200 page must never mark a backup synced that HGRG has not got."""
    def answer(status: int, body: bytes) -> Answer:
        return Answer(status, body, {})

    number = backup_payload()["backup_number"]
    outcome = HgrgClient._outcome
    assert outcome(answer(200, b'{"status": "duplicate", "backup_number": "%s"}' % number.encode()), number) \
        == "duplicate"
    for status, body in [(200, b"<html>welcome</html>"),
                         (200, b'{"status": "duplicate", "backup_number": "BF2026011599999"}'),
                         (201, b'{"status": "duplicate", "backup_number": "%s"}' % number.encode()),
                         (302, b""), (204, b"")]:
        with pytest.raises(HgrgUnavailable) as caught:
            outcome(answer(status, body), number)
        assert not isinstance(caught.value, HgrgRefused), (status, body)
    with pytest.raises(HgrgRefused):
        outcome(answer(400, b'{"error": "invalid_backup_number", "message": "no"}'), number)
    # The reason says what was wrong, for the operator's console and the log.
    for body, said in [(b"<html>Bad Gateway</html>", "(body is not JSON)"),
                       (b'["received"]', "(body is not a JSON object)"),
                       (b'{"status": "received", "backup_number": "BF0"}',
                        "(it confirms status 'received', backup_number 'BF0')")]:
        with pytest.raises(HgrgUnavailable) as caught:
            outcome(answer(201, body), number)
        assert caught.value.reason == f"unexpected answer to {number}: HTTP 201 {said}"


def test_the_signed_path_includes_the_base_path(hgrg, backup_payload):
    """HGRG checks the signature over /hgrg/api/v1/backups: a trailing slash in the base changes nothing."""
    client = HgrgClient(hgrg.base_url + "/", SECRET, timeout=5)
    assert client.path == "/hgrg/api/v1/backups"
    assert client.push_backup(backup_payload()) == "received"


def test_an_owner_change_is_received_then_a_repeat_is_a_duplicate(hgrg, owner_events):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    body = owner_events.body("2f1d6c1e-0a4b-4c3d-9e8f-7a6b5c4d3e2f",
                             owner_events.claimed("4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01", "BF20190312001", 2))
    assert client.push_owner_change(body, request_id="req-claim-1") == "received"
    assert client.push_owner_change(body, request_id="req-claim-1") == "duplicate"
    [record] = hgrg.owner_changes()
    assert (record["change_id"], record["payload"], record["request_id"]) == (body["change_id"], body, "req-claim-1")
    assert hgrg.owner_post_statuses() == [201, 200]
    assert hgrg.received() == []


def test_an_owner_change_is_signed_over_its_own_path_and_checked_by_hgrg(hgrg, owner_events):
    body = owner_events.body("2f1d6c1e-0a4b-4c3d-9e8f-7a6b5c4d3e2f",
                             owner_events.delegated("4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01", "BF2026011500042", 3))
    with pytest.raises(HgrgRefused) as caught:
        HgrgClient(hgrg.base_url, "not-the-shared-secret", timeout=5).push_owner_change(body)
    assert caught.value.status == 401
    with pytest.raises(HgrgRefused) as caught:   # a body HGRG cannot take is refused, not lost
        HgrgClient(hgrg.base_url, SECRET, timeout=5).push_owner_change({**body, "sequence": 0})
    assert caught.value.status == 400 and "invalid_owner_change" in caught.value.reason
    hgrg.control("down")
    with pytest.raises(HgrgUnavailable) as caught:
        HgrgClient(hgrg.base_url, SECRET, timeout=5).push_owner_change(body)
    assert not isinstance(caught.value, HgrgRefused) and caught.value.status == 503
    assert hgrg.owner_changes() == []


def test_only_hgrgs_confirmation_of_this_very_change_counts():
    def answer(status: int, body: bytes) -> Answer:
        return Answer(status, body, {})

    number, change = "BF2026011500042", "2f1d6c1e-0a4b-4c3d-9e8f-7a6b5c4d3e2f"
    good = b'{"status": "received", "change_id": "%s", "backup_number": "%s"}' % (change.encode(), number.encode())
    assert HgrgClient._outcome(answer(201, good), number, change) == "received"
    other = good.replace(change.encode(), b"00000000-0000-0000-0000-000000000000")
    with pytest.raises(HgrgUnavailable) as caught:
        HgrgClient._outcome(answer(201, other), number, change)
    assert caught.value.reason.startswith(f"unexpected answer to owner change {change} of {number}")


# --- batches (docs/protocols/hgrg.md §6) --------------------------------------------------------------
def items_of(*payloads, request_id="req-batch"):
    return [BatchItem("backup", payload, request_id) for payload in payloads]


def test_a_batch_is_taken_item_by_item_and_a_resent_batch_is_duplicates(hgrg, backup_payload, owner_events):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    payloads = [backup_payload() for _ in range(3)]
    change = owner_events.body("2f1d6c1e-0a4b-4c3d-9e8f-7a6b5c4d3e2f",
                               owner_events.claimed("4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01", "BF20190312001", 2))
    items = [*items_of(*payloads), BatchItem("owner_change", change, "req-claim")]
    assert client.push_batch(items) == [ItemReceipt(status="received")] * 4
    # Sent again (its receipt lost, say): in effect at HGRG once, each item a duplicate.
    assert client.push_batch(items) == [ItemReceipt(status="duplicate")] * 4
    assert [(r["backup_number"], r["payload"], r["request_id"]) for r in hgrg.received()] == [
        (p["backup_number"], p, "req-batch") for p in payloads]
    assert [(c["change_id"], c["request_id"]) for c in hgrg.owner_changes()] == [(change["change_id"], "req-claim")]
    assert hgrg.batch_statuses() == [200, 200]


def test_one_refused_item_does_not_poison_the_batch(hgrg, backup_payload, owner_events):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    good, other = backup_payload(), backup_payload()
    change = owner_events.body("2f1d6c1e-0a4b-4c3d-9e8f-7a6b5c4d3e2f",
                               owner_events.delegated("4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01", "BF2026011500042", 3))
    receipts = client.push_batch([*items_of(good), BatchItem("owner_change", {**change, "sequence": 0}, None),
                                  *items_of(other)])
    assert [r.status for r in receipts] == ["received", None, "received"]
    assert receipts[1].refusal.startswith("refused: invalid_owner_change: ") and "sequence" in receipts[1].refusal
    assert sorted(hgrg.received_numbers()) == sorted([good["backup_number"], other["backup_number"]])


@pytest.mark.parametrize("body, said", [
    ("unsigned", "(receipt not signed by HGRG)"), ("tampered", "(receipt not signed by HGRG)"),
    ("not_json", "(body is not JSON)"), ("wrong_shape", "(body is not a JSON object)"),
    ("other_number", "(item 1 confirms status 'received', backup_number 'BF0000000000000')")])
def test_a_receipt_that_is_not_hgrgs_signed_word_on_this_batch_accepts_nothing(hgrg, backup_payload, body, said):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    payloads = [backup_payload(), backup_payload()]
    hgrg.control("malformed", body=body, count=1)
    with pytest.raises(HgrgUnavailable) as caught:
        client.push_batch(items_of(*payloads))
    assert not isinstance(caught.value, HgrgRefused)
    assert caught.value.reason == f"unexpected answer to batch of 2: HTTP 200 {said}"
    # HGRG did keep them: the retry (a new batch) is answered, duplicates, and taken.
    assert client.push_batch(items_of(*payloads)) == [ItemReceipt(status="duplicate")] * 2


def test_a_receipt_of_another_batch_or_request_is_refused(backup_payload):
    """A receipt replayed from another batch, or signed with another secret, accepts nothing."""
    client = HgrgClient("http://127.0.0.1:9/hgrg", SECRET)
    items = items_of(backup_payload())
    sent = b'{"batch_id": "mine"}'

    def receipt(batch_id="mine", digest=hashlib.sha256(sent).hexdigest(), secret=SECRET, status="received"):
        body = json.dumps({"batch_id": batch_id, "request_sha256": digest, "items": [
            {"kind": "backup", "backup_number": items[0].body["backup_number"], "status": status}]}).encode()
        headers = signed_headers(secret, "RECEIPT", "/hgrg/api/v1/batches", body)
        return Answer(200, body, {TIMESTAMP_HEADER: headers[TIMESTAMP_HEADER],
                                  SIGNATURE_HEADER: headers[SIGNATURE_HEADER]})

    assert client._batch_outcome(receipt(), "mine", sent, items) == [ItemReceipt(status="received")]
    for spoilt, said in [(receipt(batch_id="theirs"), "(a receipt of another batch)"),
                         (receipt(digest="0" * 64), "(a receipt of another batch)"),
                         (receipt(secret="not-the-shared-secret"), "(receipt not signed by HGRG)"),
                         (receipt(status="kept"), "(item 1 confirms status 'kept', backup_number ")]:
        with pytest.raises(HgrgUnavailable) as caught:
            client._batch_outcome(spoilt, "mine", sent, items)
        assert said in caught.value.reason
    with pytest.raises(HgrgRefused):   # the whole batch refused (bad signature, invalid batch): 4xx
        client._batch_outcome(Answer(401, b'{"error": "bad_signature"}', {}), "mine", sent, items)


def test_batches_go_over_one_kept_alive_connection(hgrg, backup_payload):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=5)
    before = hgrg.connections()
    for _ in range(5):
        client.push_batch(items_of(backup_payload()))
    client.push_backup(backup_payload())   # the single endpoint shares the pool
    assert hgrg.connections() == before + 2   # the pusher's one, and this health check's own
    client.close()
