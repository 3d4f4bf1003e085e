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
