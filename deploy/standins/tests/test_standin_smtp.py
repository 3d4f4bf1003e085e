"""The SMTP sink accepts real SMTP and leaves one .eml plus one index line per message."""
import json
import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage


def test_smtp_sink_stores_message_and_index(standin, tmp_path):
    address, process = standin(["hgrip_standins.smtp_sink"], "HGRIP_SMTP_ADDRESS")
    host, port = address.split(":")
    message = EmailMessage()
    message["From"] = "HGRIP <noreply@hgrip.example>"
    message["To"] = "pi@genomics.example.cn"
    message["Subject"] = "HGRIP 验证码 verification code"
    message.set_content("您的验证码是 123456，48 小时内有效。")
    with smtplib.SMTP(host, int(port), timeout=10) as client:
        client.send_message(message)
        client.sendmail("other@hgrip.example", ["a@x.example", "b@y.example"], b"Subject: plain\r\n\r\nhello\r\n")

    mail = tmp_path / "var" / "mail"
    index = [json.loads(line) for line in (mail / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [entry["subject"] for entry in index] == ["HGRIP 验证码 verification code", "plain"]
    first = index[0]
    assert first["from"] == "noreply@hgrip.example"
    assert first["to"] == ["pi@genomics.example.cn"]
    assert first["file"].endswith(".eml") and first["received_at"].endswith("Z")
    assert index[1]["to"] == ["a@x.example", "b@y.example"]
    stored = message_from_bytes((mail / first["file"]).read_bytes(), policy=policy.default)
    assert "123456" in stored.get_content()
    assert sorted(p.name for p in mail.glob("*.eml")) == sorted(entry["file"] for entry in index)


def test_smtp_sink_stops_on_sigterm(standin):
    _, process = standin(["hgrip_standins.smtp_sink"], "HGRIP_SMTP_ADDRESS")
    process.terminate()
    assert process.wait(timeout=10) == 0


def test_the_control_makes_the_sink_refuse_or_answer_late(tmp_path, free_port):
    import time

    import pytest
    import requests

    from hgrip_standins.common import start_in_thread
    from hgrip_standins.smtp_sink import create_controller, create_web_server, read_index

    mail = tmp_path / "mail"
    port = free_port()
    controller = create_controller("127.0.0.1", port, mail)
    web = create_web_server("127.0.0.1", free_port(), mail, controller.handler.delivery)
    controller.start()
    start_in_thread(web)
    control = f"http://127.0.0.1:{web.server_address[1]}/mail/control"
    try:
        def send(timeout=10):
            with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as client:
                client.sendmail("a@x.example", ["b@y.example"], b"Subject: s\r\n\r\nhello\r\n")

        assert requests.post(control, json={"mode": "refuse"}, timeout=5).json()["mode"] == "refuse"
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send()
        assert refused.value.smtp_code == 451 and read_index(mail) == []

        requests.post(control, json={"mode": "slow", "delay_ms": 1500}, timeout=5)
        with pytest.raises(OSError):   # a client that gives up first (timed out) …
            send(timeout=0.5)
        time.sleep(1.5)
        assert read_index(mail) == []   # … ends the exchange: nothing stored

        requests.post(control, json={"mode": "ok"}, timeout=5)
        send()
        assert len(read_index(mail)) == 1 and requests.get(control, timeout=5).json()["mode"] == "ok"
        for bad in ({"mode": "down"}, {"mode": "slow", "delay_ms": -1}):
            assert requests.post(control, json=bad, timeout=5).status_code == 400
    finally:
        web.shutdown()
        controller.stop()
