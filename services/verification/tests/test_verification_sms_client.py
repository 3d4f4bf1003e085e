"""SmsClient against the real SMS sink (docs/protocols/sms-sink.md): sent / refused / down / silent / wrong URL.
No reason it gives ever holds the mobile or the text."""
import socket
import time

import pytest

from hgrip_kernel.testing.platform import free_port
from hgrip_verification.adapters.sms import SmsClient
from hgrip_verification.app.ports import SmsNotSent

MOBILE = "13912345678"
TEXT = "【人类遗传资源信息管理备份平台】验证码为 654321"


def test_a_message_reaches_the_sink_with_sender_and_request_id(sms_sink):
    message_id = SmsClient(sms_sink.url, timeout=2).send(MOBILE, TEXT, request_id="req-sms-1")
    [stored] = sms_sink.messages()
    assert stored["id"] == message_id and len(message_id) == 32
    assert (stored["mobile"], stored["text"], stored["sender"], stored["request_id"]) == (
        MOBILE, TEXT, "HGRIP", "req-sms-1")
    SmsClient(sms_sink.url + "/", sender="HGRIP-TEST").send("15811112222", "x")     # a trailing slash is fine
    assert [m["sender"] for m in sms_sink.messages("15811112222")] == ["HGRIP-TEST"]


def _refused(client: SmsClient, mobile: str = MOBILE) -> str:
    with pytest.raises(SmsNotSent) as caught:
        client.send(mobile, TEXT)
    reason = str(caught.value)
    assert mobile not in reason and "654321" not in reason
    return reason


def test_a_refusal_by_the_gateway_is_not_sent(sms_sink):
    assert _refused(SmsClient(sms_sink.url), "12912345678") == "HTTP 400 invalid_mobile"
    assert _refused(SmsClient(sms_sink.url + "/elsewhere")) == "HTTP 404 not_found"   # a wrong base URL
    assert sms_sink.messages() == []


def test_a_gateway_that_is_down_is_not_sent(sms_sink):
    sms_sink.stop()
    assert _refused(SmsClient(sms_sink.url, timeout=2)) == "no answer: ConnectionError"
    sms_sink.start()
    SmsClient(sms_sink.url, timeout=2).send(MOBILE, TEXT)
    assert len(sms_sink.messages()) == 1


def test_a_silent_gateway_times_out():
    port = free_port()
    with socket.socket() as listener:        # accepts connections (backlog) and never answers
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        started = time.monotonic()
        assert _refused(SmsClient(f"http://127.0.0.1:{port}", timeout=0.5)) == "no answer: ReadTimeout"
        assert time.monotonic() - started < 5
