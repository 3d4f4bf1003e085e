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
