"""HGRG stand-in receiving backup numbers: signatures, idempotence, persistence, failure modes."""
import json
import time

import requests

from hgrip_kernel.signing import signed_headers

SECRET = "test-hgrg-secret"   # the conftest's HGRIP_HGRG_SHARED_SECRET
PATH = "/hgrg/api/v1/backups"


def post_backup(base, payload, secret=SECRET, body=None, headers=None):
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    signed = signed_headers(secret, "POST", PATH, json.dumps(payload, ensure_ascii=False).encode())
    return requests.post(base + PATH, data=data, timeout=10,
                         headers={"Content-Type": "application/json", **(signed if headers is None else headers)})


def test_receipt_is_signed_idempotent_and_persisted(standin, tmp_path, free_port):
    port = free_port()
    address, process = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS", port=port)
    base = f"http://{address}"
    payload = {"backup_number": "BF2026011500001", "backup_id": "b-1", "institution": "INST-0008182183"}

    first = post_backup(base, payload)
    assert first.status_code == 201
    assert first.json()["status"] == "received"
    received_at = first.json()["received_at"]
    again = post_backup(base, payload)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "backup_number": "BF2026011500001", "received_at": received_at}

    lines = (tmp_path / "var" / "hgrg" / "received.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["payload"] == payload
    listed = requests.get(base + PATH, timeout=5).json()
    assert [item["backup_number"] for item in listed["items"]] == ["BF2026011500001"]

    # A restart keeps what was received: the repeat is still a duplicate.
    process.terminate()
    assert process.wait(timeout=10) == 0
    standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS", port=port)
    assert post_backup(base, payload).status_code == 200
    assert post_backup(base, {"backup_number": "BF2026011500002"}).status_code == 201


def test_receipt_refuses_bad_signatures_and_bad_bodies(standin, tmp_path):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    payload = {"backup_number": "BF2026011500003"}
    assert post_backup(base, payload, secret="wrong").status_code == 401
    assert post_backup(base, payload, headers={}).status_code == 401
    tampered = json.dumps({"backup_number": "BF2026011599999"}).encode()
    assert post_backup(base, payload, body=tampered).status_code == 401
    stale = signed_headers(SECRET, "POST", PATH, json.dumps(payload).encode(), now=time.time() - 3600)
    assert post_backup(base, payload, headers=stale).status_code == 401
    assert post_backup(base, {"backup_number": ""}).status_code == 400
    assert post_backup(base, {"other": 1}).status_code == 400
    assert requests.get(base + PATH, timeout=5).json()["count"] == 0


def test_secret_comes_from_the_var_file_when_not_in_env(standin, tmp_path):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS",
                         extra_env={"HGRIP_HGRG_SHARED_SECRET": ""})
    secret_file = tmp_path / "var" / "secrets" / "hgrg_shared_secret"
    secret = secret_file.read_text().strip()
    assert len(secret) == 64
    base = f"http://{address}"
    assert post_backup(base, {"backup_number": "BF2026011500004"}, secret=secret).status_code == 201
    assert post_backup(base, {"backup_number": "BF2026011500005"}).status_code == 401


def test_failure_modes(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    control = base + "/hgrg/control/fail"

    assert requests.post(control, json={"mode": "down"}, timeout=5).json()["mode"] == "down"
    assert post_backup(base, {"backup_number": "BF2026011500010"}).status_code == 503
    assert requests.get(base + "/hgrg/healthz", timeout=5).json()["mode"] == "down"   # health stays answerable
    requests.post(control, json={"mode": "down", "status": 500}, timeout=5)
    assert post_backup(base, {"backup_number": "BF2026011500010"}).status_code == 500

    requests.post(control, json={"mode": "ok"}, timeout=5)
    assert post_backup(base, {"backup_number": "BF2026011500010"}).status_code == 201

    # `count`: fail the next two requests, then recover on its own.
    requests.post(control, json={"mode": "down", "count": 2}, timeout=5)
    codes = [post_backup(base, {"backup_number": "BF2026011500011"}).status_code for _ in range(3)]
    assert codes == [503, 503, 201]
    assert requests.get(control, timeout=5).json()["mode"] == "ok"

    requests.post(control, json={"mode": "slow", "delay_ms": 700}, timeout=5)
    started = time.monotonic()
    assert post_backup(base, {"backup_number": "BF2026011500012"}).status_code == 201
    assert time.monotonic() - started >= 0.7

    for bad in ({"mode": "sideways"}, {"mode": "slow", "delay_ms": -1}, {"mode": "down", "status": 200},
                {"mode": "down", "count": 0}):
        assert requests.post(control, json=bad, timeout=5).status_code == 400, bad


def test_error500_and_malformed_keep_the_receipt_but_spoil_the_answer(standin, tmp_path):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    control = base + "/hgrg/control/fail"

    requests.post(control, json={"mode": "error500"}, timeout=5)
    failed = post_backup(base, {"backup_number": "BF2026011500020"})
    assert (failed.status_code, failed.json()["error"]) == (500, "internal_error")

    requests.post(control, json={"mode": "malformed", "body": "not_json"}, timeout=5)
    page = post_backup(base, {"backup_number": "BF2026011500021"})
    assert page.status_code == 201 and page.headers["Content-Type"].startswith("text/html")
    requests.post(control, json={"mode": "malformed", "body": "wrong_shape"}, timeout=5)
    assert post_backup(base, {"backup_number": "BF2026011500022"}).json() == ["received", "BF2026011500022"]
    requests.post(control, json={"mode": "malformed", "body": "other_number"}, timeout=5)
    other = post_backup(base, {"backup_number": "BF2026011500023"}).json()
    assert other["status"] == "received" and other["backup_number"] != "BF2026011500023"
    # The unsigned listing is answered as usual, and every one of them was kept.
    listed = requests.get(base + PATH, timeout=5).json()
    assert [item["backup_number"] for item in listed["items"]] == [f"BF20260115000{n}" for n in (20, 21, 22, 23)]

    requests.post(control, json={"mode": "ok"}, timeout=5)
    assert post_backup(base, {"backup_number": "BF2026011500020"}).json()["status"] == "duplicate"
    assert requests.post(control, json={"mode": "malformed", "body": "garbled"}, timeout=5).status_code == 400
