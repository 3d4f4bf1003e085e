"""The SMS sink: one JSON file per accepted message, 400 for a bad mobile, a listing by mobile."""
import json

import requests


def test_sms_sink_stores_and_lists(standin, tmp_path):
    address, _ = standin(["hgrip_standins.sms_sink"], "HGRIP_SMS_ADDRESS")
    base = f"http://{address}"
    sent = requests.post(f"{base}/sms/send", json={"mobile": "13912345678", "text": "【HGRIP】验证码 654321",
                                                    "sender": "HGRIP"}, timeout=5)
    assert sent.status_code == 201
    message_id = sent.json()["id"]
    requests.post(f"{base}/sms/send", json={"mobile": "15811112222", "text": "other"}, timeout=5).raise_for_status()

    files = sorted((tmp_path / "var" / "sms").glob("*.json"))
    assert len(files) == 2
    stored = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    mine = next(item for item in stored if item["id"] == message_id)
    assert mine["mobile"] == "13912345678" and mine["text"] == "【HGRIP】验证码 654321" and mine["sender"] == "HGRIP"

    listed = requests.get(f"{base}/sms/messages", params={"mobile": "13912345678"}, timeout=5).json()
    assert [item["id"] for item in listed["items"]] == [message_id]
    assert requests.get(f"{base}/sms/messages", timeout=5).json()["count"] == 2


def test_sms_sink_refuses_bad_input(standin, tmp_path):
    address, _ = standin(["hgrip_standins.sms_sink"], "HGRIP_SMS_ADDRESS")
    base = f"http://{address}"
    for mobile in ("12912345678", "1391234567", "+8613912345678", "139123456789", 13912345678, None):
        answer = requests.post(f"{base}/sms/send", json={"mobile": mobile, "text": "x"}, timeout=5)
        assert answer.status_code == 400, mobile
        assert answer.json()["error"] == "invalid_mobile"
    assert requests.post(f"{base}/sms/send", json={"mobile": "13912345678", "text": ""}, timeout=5).status_code == 400
    assert requests.post(f"{base}/sms/send", data=b"not json", timeout=5).status_code == 400
    assert requests.get(f"{base}/sms/nowhere", timeout=5).status_code == 404
    assert list((tmp_path / "var" / "sms").glob("*.json")) == []
    assert requests.get(f"{base}/sms/healthz", timeout=5).status_code == 200


def test_the_control_makes_the_sink_refuse_or_answer_late(standin, tmp_path):
    import time

    address, _ = standin(["hgrip_standins.sms_sink"], "HGRIP_SMS_ADDRESS")
    base = f"http://{address}"
    message = {"mobile": "13912345678", "text": "【HGRIP】验证码 654321"}
    assert requests.post(f"{base}/sms/control", json={"mode": "down"}, timeout=5).json()["mode"] == "down"
    refused = requests.post(f"{base}/sms/send", json=message, timeout=5)
    assert (refused.status_code, refused.json()["error"]) == (503, "unavailable")
    assert not list((tmp_path / "var" / "sms").glob("*.json"))
    assert requests.get(f"{base}/sms/healthz", timeout=5).status_code == 200   # health stays answerable

    requests.post(f"{base}/sms/control", json={"mode": "slow", "delay_ms": 700}, timeout=5)
    started = time.monotonic()
    assert requests.post(f"{base}/sms/send", json=message, timeout=5).status_code == 201
    assert time.monotonic() - started >= 0.7
    requests.post(f"{base}/sms/control", json={"mode": "ok"}, timeout=5)
    assert requests.get(f"{base}/sms/control", timeout=5).json() == {"mode": "ok", "delay_ms": 0}
    assert requests.post(f"{base}/sms/control", json={"mode": "sideways"}, timeout=5).status_code == 400
