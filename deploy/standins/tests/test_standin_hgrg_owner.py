"""HGRG stand-in receiving owner changes: signatures, idempotence by change id, the newest sequence
wins whatever the arrival order, persistence, bad bodies, failure modes."""
import json
import time

import requests

from hgrip_kernel.signing import signed_headers

SECRET = "test-hgrg-secret"   # the conftest's HGRIP_HGRG_SHARED_SECRET
NUMBER = "BF2026011500001"
LEGACY = "BF20190312001"      # a legacy number this HGRG never received


def owner_path(number: str) -> str:
    return f"/hgrg/api/v1/backups/{number}/owner"


def change(change_id: str, sequence: int, username: str = "wangyuqing", number: str = NUMBER, **changes) -> dict:
    body = {"change_id": change_id, "backup_number": number, "backup_id": "4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01",
            "owner_id": f"owner-of-{username}", "owner_username": username, "institution_code": "INST-0008182183",
            "unit_code": "UNIT-019AA16948", "reason": "delegated", "how": None, "sequence": sequence,
            "changed_at": "2026-01-15T10:00:00+08:00"}
    return {**body, **changes}


def post_owner(base, body, number=NUMBER, secret=SECRET, signed_path=None, raw=None, request_id=None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json",
               **signed_headers(secret, "POST", signed_path or owner_path(number), data)}
    if request_id:
        headers["X-Request-Id"] = request_id
    return requests.post(base + owner_path(number), data=data, headers=headers, timeout=10)


def get_owner(base, number=NUMBER):
    return requests.get(base + owner_path(number), timeout=5)


def test_owner_changes_are_idempotent_the_newest_wins_and_they_survive_a_restart(standin, tmp_path, free_port):
    port = free_port()
    address, process = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS", port=port)
    base = f"http://{address}"
    assert get_owner(base).status_code == 404
    assert get_owner(base).json()["error"] == "owner_not_found"

    newer = change("change-3", 3, "liuhaoran")
    first = post_owner(base, newer, request_id="req-delegate-3")
    assert first.status_code == 201
    answer = first.json()
    assert (answer["status"], answer["change_id"], answer["backup_number"]) == ("received", "change-3", NUMBER)
    again = post_owner(base, {**newer, "owner_username": "someone-else"})     # the first receipt is kept
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "change_id": "change-3", "backup_number": NUMBER,
                            "received_at": answer["received_at"]}

    # An older change arriving late is kept in the history but does not overwrite the newer owner.
    assert post_owner(base, change("change-2", 2, "wangyuqing")).status_code == 201
    owner = get_owner(base).json()
    assert {k: owner[k] for k in ("backup_number", "owner_username", "owner_id", "sequence", "reason", "change_id")} \
        == {"backup_number": NUMBER, "owner_username": "liuhaoran", "owner_id": "owner-of-liuhaoran",
            "sequence": 3, "reason": "delegated", "change_id": "change-3"}
    assert [(c["change_id"], c["request_id"]) for c in owner["changes"]] == [("change-3", "req-delegate-3"),
                                                                              ("change-2", None)]
    assert owner["changes"][0]["payload"] == newer
    # A newer one does.
    assert post_owner(base, change("change-4", 4, "zhangxiaohan")).status_code == 201
    assert get_owner(base).json()["owner_username"] == "zhangxiaohan"

    # A legacy number HGRG never received a receipt for: accepted.
    claim = change("claim-1", 2, "sunlijuan", number=LEGACY, reason="claimed", how="sms", unit_code=None)
    assert post_owner(base, claim, number=LEGACY).status_code == 201
    legacy = get_owner(base, LEGACY).json()
    assert (legacy["owner_username"], legacy["reason"], legacy["how"], legacy["unit_code"]) == \
        ("sunlijuan", "claimed", "sms", None)
    assert requests.get(base + "/hgrg/api/v1/backups", timeout=5).json()["count"] == 0
    assert requests.get(base + "/hgrg/healthz", timeout=5).json()["owner_changes"] == 4

    lines = (tmp_path / "var" / "hgrg" / "owner_changes.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["change_id"] for line in lines] == ["change-3", "change-2", "change-4", "claim-1"]

    # A restart reloads them: repeats are still duplicates, and the current owner is unchanged.
    process.terminate()
    assert process.wait(timeout=10) == 0
    standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS", port=port)
    assert post_owner(base, change("change-2", 2)).status_code == 200
    assert get_owner(base).json()["owner_username"] == "zhangxiaohan"
    assert [c["change_id"] for c in get_owner(base).json()["changes"]] == ["change-3", "change-2", "change-4"]
    assert get_owner(base, LEGACY).json()["how"] == "sms"


def test_owner_changes_refuse_bad_signatures_and_bad_bodies(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    good = change("change-1", 2)
    assert post_owner(base, good, secret="wrong").status_code == 401
    assert post_owner(base, good, signed_path="/hgrg/api/v1/backups").status_code == 401   # another path
    stale = signed_headers(SECRET, "POST", owner_path(NUMBER), json.dumps(good).encode(), now=time.time() - 3600)
    assert requests.post(base + owner_path(NUMBER), data=json.dumps(good).encode(), headers=stale,
                         timeout=5).status_code == 401

    assert post_owner(base, None, raw=b"[1, 2]").json()["error"] == "invalid_json"
    assert post_owner(base, None, raw=b"not json").status_code == 400
    bad_bodies = [
        {"change_id": ""}, {"owner_username": None}, {"backup_number": "BF2026011599999"},   # not the path's
        {"reason": "sold"}, {"how": "sms"},                                  # a delegation has no "how"
        {"reason": "claimed", "how": None}, {"reason": "claimed", "how": "post"},
        {"sequence": 0}, {"sequence": "3"}, {"sequence": True}, {"unit_code": ""},
        {"changed_at": "2026-01-15T10:00:00"}, {"changed_at": "yesterday"},
    ]
    for changes in bad_bodies:
        response = post_owner(base, {**good, **changes})
        assert response.status_code == 400, changes
        assert response.json()["error"] == "invalid_owner_change", changes
    missing = {k: v for k, v in good.items() if k != "institution_code"}
    assert "institution_code" in post_owner(base, missing).json()["message"]
    assert get_owner(base).status_code == 404                                # nothing was kept

    assert requests.put(base + owner_path(NUMBER), json=good, timeout=5).status_code == 405
    assert requests.post(base + owner_path(NUMBER) + "/x", json=good, timeout=5).status_code == 404
    assert post_owner(base, good).status_code == 201


def test_owner_changes_follow_the_control_mode(standin):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS")
    base = f"http://{address}"
    control = base + "/hgrg/control/fail"

    requests.post(control, json={"mode": "down"}, timeout=5)
    assert post_owner(base, change("change-1", 2)).status_code == 503
    assert post_owner(base, change("change-1", 2), secret="wrong").status_code == 503   # before the signature
    assert get_owner(base).status_code == 503
    requests.post(control, json={"mode": "down", "status": 502, "count": 1}, timeout=5)
    assert [post_owner(base, change("change-1", 2)).status_code for _ in range(2)] == [502, 201]

    requests.post(control, json={"mode": "slow", "delay_ms": 600}, timeout=5)
    started = time.monotonic()
    assert post_owner(base, change("change-1", 2)).status_code == 200
    assert time.monotonic() - started >= 0.6
    requests.post(control, json={"mode": "ok"}, timeout=5)
    assert get_owner(base).json()["sequence"] == 2
