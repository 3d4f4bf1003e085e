"""HGRG stand-in receiving batches (docs/protocols/hgrg.md §6): a signed receipt per batch, per-item
outcomes (one bad item refused alone), idempotence per number and change id, keep-alive counted."""
import hashlib
import json

import requests

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers, verify

SECRET = "test-hgrg-secret"   # the conftest's HGRIP_HGRG_SHARED_SECRET
PATH = "/hgrg/api/v1/batches"
CHANGE = {"change_id": "2f1d6c1e-0a4b-4c3d-9e8f-7a6b5c4d3e2f", "backup_number": "BF2026011500042",
          "backup_id": "4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01", "owner_id": "9a2c", "owner_username": "wangyuqing",
          "institution_code": "INST-0008182183", "unit_code": None, "reason": "delegated", "how": None,
          "sequence": 4, "changed_at": "2026-01-15T02:30:00+00:00"}


def post_batch(base, items, batch_id="batch-1", session=None, secret=SECRET):
    body = json.dumps({"batch_id": batch_id, "items": items}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", **signed_headers(secret, "POST", PATH, body)}
    return (session or requests).post(base + PATH, data=body, headers=headers, timeout=10), body


def backup(number, request_id=None, **fields):
    return {"kind": "backup", "request_id": request_id, "body": {"backup_number": number, **fields}}


def receipt_verifies(response) -> bool:
    return verify(SECRET, "RECEIPT", PATH, response.headers.get(TIMESTAMP_HEADER),
                  response.headers.get(SIGNATURE_HEADER), response.content)


def test_a_batch_is_answered_by_a_signed_receipt_item_by_item(standin, tmp_path):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    items = [backup("BF2026011500001", "req-1", name="全基因组"), backup("BF2026011500002", "req-2"),
             {"kind": "owner_change", "request_id": "req-3", "body": CHANGE}]
    answer, sent = post_batch(base, items)
    assert answer.status_code == 200 and receipt_verifies(answer)
    receipt = answer.json()
    assert receipt["batch_id"] == "batch-1"
    assert receipt["request_sha256"] == hashlib.sha256(sent).hexdigest()   # bound to this very request
    assert [(i["kind"], i["backup_number"], i["status"]) for i in receipt["items"]] == [
        ("backup", "BF2026011500001", "received"), ("backup", "BF2026011500002", "received"),
        ("owner_change", "BF2026011500042", "received")]
    assert receipt["items"][2]["change_id"] == CHANGE["change_id"]
    # Kept as the single endpoints keep them: payload as sent, each item's own request id.
    received = [json.loads(line) for line in (tmp_path / "var" / "hgrg" / "received.jsonl").read_text().splitlines()]
    assert [(r["backup_number"], r["request_id"], r["payload"]) for r in received] == [
        ("BF2026011500001", "req-1", items[0]["body"]), ("BF2026011500002", "req-2", items[1]["body"])]
    assert requests.get(f"{base}/hgrg/api/v1/backups/BF2026011500042/owner", timeout=5).json()[
        "owner_username"] == "wangyuqing"
    # The signature covers the answer's bytes and is a receipt's, not a request's.
    assert not verify(SECRET, "POST", PATH, answer.headers[TIMESTAMP_HEADER], answer.headers[SIGNATURE_HEADER],
                      answer.content)


def test_a_batch_sent_again_is_a_duplicate_item_by_item_and_kept_once(standin, tmp_path):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    items = [backup("BF2026011500011", "req-a"), backup("BF2026011500012", "req-b")]
    first = post_batch(base, items)[0].json()
    again = post_batch(base, items + [backup("BF2026011500013")], batch_id="batch-2")[0].json()
    assert [i["status"] for i in again["items"]] == ["duplicate", "duplicate", "received"]
    assert [i["received_at"] for i in again["items"][:2]] == [i["received_at"] for i in first["items"]]
    lines = (tmp_path / "var" / "hgrg" / "received.jsonl").read_text().splitlines()
    assert [json.loads(line)["backup_number"] for line in lines] == [
        "BF2026011500011", "BF2026011500012", "BF2026011500013"]


def test_one_bad_item_is_refused_alone(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    items = [backup("BF2026011500021"), backup(""), {"kind": "owner_change", "body": {**CHANGE, "sequence": 0}},
             {"kind": "parcel", "body": {}}, backup("BF2026011500022")]
    answer, _ = post_batch(base, items)
    assert answer.status_code == 200 and receipt_verifies(answer)
    outcomes = [(i["status"], i.get("error")) for i in answer.json()["items"]]
    assert outcomes == [("received", None), ("refused", "invalid_backup_number"),
                        ("refused", "invalid_owner_change"), ("refused", "invalid_item"), ("received", None)]
    assert "sequence must be a positive integer" in answer.json()["items"][2]["message"]
    listed = requests.get(base + "/hgrg/api/v1/backups", timeout=5).json()
    assert [r["backup_number"] for r in listed["items"]] == ["BF2026011500021", "BF2026011500022"]


def test_a_batch_itself_bad_or_badly_signed_is_refused_whole(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    assert post_batch(base, [backup("BF2026011500031")], secret="wrong")[0].status_code == 401
    assert post_batch(base, [])[0].json()["error"] == "invalid_batch"
    assert post_batch(base, [backup("BF2026011500031")], batch_id="")[0].status_code == 400
    assert requests.get(base + "/hgrg/api/v1/backups", timeout=5).json()["count"] == 0


def test_control_modes_spoil_the_receipt_but_keep_the_items(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    control = base + "/hgrg/control/fail"
    expected = {"unsigned": lambda r: r.status_code == 200 and SIGNATURE_HEADER not in r.headers,
                "tampered": lambda r: r.status_code == 200 and not receipt_verifies(r),
                "other_number": lambda r: receipt_verifies(r) and r.json()["items"][0]["backup_number"]
                == "BF0000000000000",
                "not_json": lambda r: r.headers["Content-Type"].startswith("text/html")}
    for serial, (body, looks_right) in enumerate(expected.items(), start=41):
        requests.post(control, json={"mode": "malformed", "body": body, "count": 1}, timeout=5)
        answer, _ = post_batch(base, [backup(f"BF20260115000{serial}")], batch_id=f"b-{body}")
        assert looks_right(answer), (body, answer.headers, answer.text)
    requests.post(control, json={"mode": "down", "count": 1}, timeout=5)
    assert post_batch(base, [backup("BF2026011500049")])[0].status_code == 503
    assert requests.get(base + "/hgrg/api/v1/backups", timeout=5).json()["count"] == 4   # all but the one down


def test_a_kept_alive_connection_is_counted_once(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    health = requests.get(base + "/hgrg/healthz", timeout=5).json()["connections"]   # (its own connection)
    with requests.Session() as session:
        for serial in range(5):
            assert post_batch(base, [backup(f"BF202601150005{serial}")], session=session)[0].status_code == 200
    assert requests.get(base + "/hgrg/healthz", timeout=5).json()["connections"] == health + 2
