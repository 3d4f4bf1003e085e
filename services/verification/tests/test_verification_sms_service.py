"""send_sms_code / verify_sms_code on real PostgreSQL and RabbitMQ, with the real SMS sink."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hgrip_kernel.errors import Conflict, InvalidInput, Locked, NotFound, ServiceUnavailable, TooManyRequests
from hgrip_kernel.store.tables import events
from hgrip_verification.adapters.tables import sms_codes
from hgrip_verification.domain import hash_code, sms_hash_scope
from hgrip_verification.entrypoints.service import VerificationService

SECRET = "test-token-secret-of-at-least-32-bytes"   # TOKEN_SECRET of the kernel's service_config fixture
MOBILE = "13912345678"


def stream_events(running, payload) -> list[tuple[str, dict]]:
    stream_id = f"sms-code-{payload['purpose']}:{payload['subject']}"
    return [(r.event_type, r.data) for r in running.rows(
        select(events.c.event_type, events.c.data).where(events.c.stream_id == stream_id)
        .order_by(events.c.stream_version))]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def test_the_code_arrives_at_that_mobile_and_verifies_once(sms_verification, rpc_proxy, sms_payload, code_in):
    payload = sms_payload()
    purpose, subject = payload["purpose"], payload["subject"]
    before = datetime.now(UTC)
    with rpc_proxy(correlation_id="req-sms-send-1") as cluster:
        sent = cluster.verification.send_sms_code(payload)
    assert set(sent) == {"sent_to", "expires_at", "resend_available_at"} and sent["sent_to"] == "139****5678"
    expires_at, resend_at = (datetime.fromisoformat(sent[k]) for k in ("expires_at", "resend_available_at"))
    assert timedelta(minutes=10) <= expires_at - before < timedelta(minutes=10, seconds=30)
    assert expires_at - resend_at == timedelta(minutes=9)

    # The text message, as the real sink stored it: to that mobile, traceable to the request.
    [message] = sms_verification.sms_sink.messages()
    assert (message["mobile"], message["sender"], message["request_id"]) == (MOBILE, "HGRIP", "req-sms-send-1")
    code = code_in(message)
    for part in ("张晓寒正在认领原备份平台", f"验证码为 {code}，10 分钟内有效", "如非本人操作"):
        assert part in message["text"]

    with rpc_proxy() as cluster:
        verified = cluster.verification.verify_sms_code(purpose, subject, f" {code} ")
        assert verified == {"verified": True, "purpose": purpose, "subject": subject,
                            "verified_at": verified["verified_at"]}
        with pytest.raises(Conflict) as caught:                   # consumed: a second use is refused
            cluster.verification.verify_sms_code(purpose, subject, code)
        assert caught.value.code == "sms_code_used" and caught.value.http_status == 409

    [(sent_type, sent_data), verified_event] = stream_events(sms_verification, payload)
    assert sent_type == "SmsCodeSent"
    assert sent_data == {"purpose": purpose, "subject": subject, "sent_to": "139****5678",
                         "issued_at": sent_data["issued_at"], "expires_at": sent["expires_at"]}
    assert expires_at - datetime.fromisoformat(sent_data["issued_at"]) == timedelta(minutes=10)
    assert verified_event == ("SmsCodeVerified", {"purpose": purpose, "subject": subject,
                                                  "verified_at": verified["verified_at"]})
    [row] = sms_verification.rows(select(sms_codes))
    assert (row.purpose, row.subject, row.sent_to, row.failures, row.locked) == (
        purpose, subject, "139****5678", 0, False)
    assert row.code_hash == hash_code(SECRET, sms_hash_scope(purpose, subject), code)
    assert row.verified_at.isoformat() == verified["verified_at"]


def test_wrong_codes_count_down_then_lock_and_a_new_code_is_allowed_after_60_seconds(
        sms_verification, rpc_proxy, sms_payload, code_in):
    payload = sms_payload()
    purpose, subject = payload["purpose"], payload["subject"]
    with rpc_proxy() as cluster:
        cluster.verification.send_sms_code(payload)
        code = code_in(sms_verification.sms_sink.messages()[0])
        remaining = []
        for _ in range(5):
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_sms_code(purpose, subject, wrong(code))
            assert caught.value.code == "sms_code_invalid"
            remaining.append(int(caught.value.details["remaining_attempts"]))   # text after nameko RPC
        assert remaining == [4, 3, 2, 1, 0]
        with pytest.raises(Locked) as caught:                          # now even the right code
            cluster.verification.verify_sms_code(purpose, subject, code)
        assert caught.value.code == "sms_code_locked" and caught.value.http_status == 423
        [row] = sms_verification.rows(select(sms_codes))
        assert (row.failures, row.locked, row.verified_at) == (5, True, None)

        sms_verification.clock.offset = timedelta(seconds=30)
        with pytest.raises(TooManyRequests):                            # locked, but the interval still holds
            cluster.verification.send_sms_code(payload)
        sms_verification.clock.offset = timedelta(seconds=60)
        cluster.verification.send_sms_code(payload)
        fresh = code_in(sms_verification.sms_sink.messages()[-1])
        assert cluster.verification.verify_sms_code(purpose, subject, fresh)["verified"] is True
    assert [t for t, _ in stream_events(sms_verification, payload)] == \
        ["SmsCodeSent"] + ["SmsCodeFailed"] * 5 + ["SmsCodeLocked", "SmsCodeSent", "SmsCodeVerified"]


def test_a_new_code_within_60_seconds_is_refused_then_it_replaces_the_old(sms_verification, rpc_proxy,
                                                                          sms_payload, code_in):
    payload = sms_payload()
    purpose, subject = payload["purpose"], payload["subject"]
    with rpc_proxy() as cluster:
        first_sent = cluster.verification.send_sms_code(payload)
        sms_verification.clock.offset = timedelta(seconds=45)
        with pytest.raises(TooManyRequests) as caught:
            cluster.verification.send_sms_code(payload)
        assert caught.value.code == "sms_code_too_soon" and caught.value.http_status == 429
        assert 14 <= int(caught.value.details["retry_after_seconds"]) <= 15
        assert caught.value.details["resend_available_at"] == first_sent["resend_available_at"]
        assert len(sms_verification.sms_sink.messages()) == 1                  # no second text
        # Another subject (another claim) is not held back by this one.
        cluster.verification.send_sms_code(sms_payload(mobile="15811112222"))

        sms_verification.clock.offset = timedelta(seconds=60)
        cluster.verification.send_sms_code(payload)
        first, second = (code_in(m) for m in sms_verification.sms_sink.messages(MOBILE))
        if first != second:  # (one in a million they coincide)
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_sms_code(purpose, subject, first)
            assert caught.value.code == "sms_code_invalid"
        assert cluster.verification.verify_sms_code(purpose, subject, second)["verified"] is True


def test_a_code_expires_after_10_minutes(sms_verification, rpc_proxy, sms_payload, code_in):
    payload = sms_payload()
    purpose, subject = payload["purpose"], payload["subject"]
    with rpc_proxy() as cluster:
        cluster.verification.send_sms_code(payload)
        code = code_in(sms_verification.sms_sink.messages()[0])
        sms_verification.clock.offset = timedelta(minutes=10)
        with pytest.raises(InvalidInput) as caught:
            cluster.verification.verify_sms_code(purpose, subject, code)
        assert caught.value.code == "sms_code_expired" and caught.value.message_zh
        sms_verification.clock.offset = timedelta(minutes=9, seconds=58)
        assert cluster.verification.verify_sms_code(purpose, subject, code)["verified"] is True


def test_the_gateway_down_is_503_records_nothing_and_a_retry_works_at_once(sms_verification, rpc_proxy,
                                                                           sms_payload, code_in):
    payload = sms_payload()
    sms_verification.sms_sink.stop()
    with rpc_proxy() as cluster:
        with pytest.raises(ServiceUnavailable) as caught:
            cluster.verification.send_sms_code(payload)
        assert caught.value.code == "sms_unavailable" and caught.value.http_status == 503
        assert caught.value.message_zh == "短信验证码发送失败，请稍后重试。"
        assert sms_verification.recorded(sms_codes) == []
        with pytest.raises(NotFound) as caught:                           # nothing to verify against
            cluster.verification.verify_sms_code(payload["purpose"], payload["subject"], "123456")
        assert caught.value.code == "sms_code_not_requested"

        sms_verification.sms_sink.start()                                 # same port: the gateway is back
        assert cluster.verification.send_sms_code(payload)["sent_to"] == "139****5678"   # no 60 s wait
        code = code_in(sms_verification.sms_sink.messages()[0])
        assert cluster.verification.verify_sms_code(payload["purpose"], payload["subject"], code)["verified"]


def test_bad_input_is_refused_sends_nothing_and_counts_no_try(sms_verification, rpc_proxy, sms_payload):
    with rpc_proxy() as cluster:
        for changes, field in [({"mobile": "12912345678"}, "mobile"), ({"mobile": "1391234567"}, "mobile"),
                               ({"mobile": "+8613912345678"}, "mobile"), ({"mobile": 13912345678}, "mobile"),
                               ({"mobile": "１３９１２３４５６７８"}, "mobile"), ({"purpose": "login"}, "purpose"),
                               ({"subject": ""}, "subject"), ({"subject": "x" * 129}, "subject"),
                               ({"subject": "a\nb"}, "subject"), ({"requester_name": ""}, "requester_name"),
                               ({"requester_name": "张\r\n晓寒"}, "requester_name"), ({"extra": 1}, "extra")]:
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.send_sms_code(sms_payload(**changes))
            assert caught.value.code == "invalid_input" and field in caught.value.details, changes
            assert "13912345678" not in repr(caught.value.details)      # an error never echoes a mobile
        with pytest.raises(InvalidInput):
            cluster.verification.send_sms_code(["not", "an", "object"])
        assert sms_verification.sms_sink.messages() == []
        assert sms_verification.rows(select(events)) == []

        payload = sms_payload(subject="x" * 128)                           # the longest subject works
        cluster.verification.send_sms_code(payload)
        for purpose, code, field in [("legacy_claim", "12345", "code"), ("legacy_claim", 123456, "code"),
                                     ("login", "123456", "purpose")]:
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_sms_code(purpose, payload["subject"], code)
            assert caught.value.code == "invalid_input" and list(caught.value.details) == [field]
    [row] = sms_verification.rows(select(sms_codes))
    assert row.failures == 0                                               # malformed input is not a try


def test_concurrent_checks_of_the_right_code_let_exactly_one_through(sms_verification, rpc_proxy, sms_payload,
                                                                       code_in, outcomes):
    payload = sms_payload()
    purpose, subject = payload["purpose"], payload["subject"]
    with rpc_proxy(timeout=60) as cluster:
        sends = [cluster.verification.send_sms_code.call_async(payload) for _ in range(4)]
        assert sorted(outcomes(sends, "sent")) == ["sent"] + ["sms_code_too_soon"] * 3
        [message] = sms_verification.sms_sink.messages()                    # one text, one code
        code = code_in(message)

        checks = [cluster.verification.verify_sms_code.call_async(purpose, subject, code) for _ in range(6)]
        assert sorted(outcomes(checks, "verified")) == ["sms_code_used"] * 5 + ["verified"]
    assert [t for t, _ in stream_events(sms_verification, payload)] == ["SmsCodeSent", "SmsCodeVerified"]


def test_concurrent_wrong_codes_are_all_counted(sms_verification, rpc_proxy, sms_payload, code_in):
    payload = sms_payload()
    purpose, subject = payload["purpose"], payload["subject"]
    with rpc_proxy(timeout=60) as cluster:
        cluster.verification.send_sms_code(payload)
        code = code_in(sms_verification.sms_sink.messages()[0])
        replies = [cluster.verification.verify_sms_code.call_async(purpose, subject, wrong(code)) for _ in range(3)]
        remaining = []
        for reply in replies:
            with pytest.raises(InvalidInput) as caught:
                reply.result()
            remaining.append(int(caught.value.details["remaining_attempts"]))
    assert sorted(remaining) == [2, 3, 4]                                 # no try lost to a race
    [row] = sms_verification.rows(select(sms_codes))
    assert row.failures == 3


def test_runs_on_sqlite_too(sqlite_url, service_config, start_service, rpc_proxy, sms_sink, sms_payload,
                            code_in):
    from hgrip_kernel.cli.migrate import upgrade

    upgrade("verification", sqlite_url)
    start_service(VerificationService, service_config("verification", sqlite_url, SMS_URL=sms_sink.url))
    payload = sms_payload()
    with rpc_proxy() as cluster:
        cluster.verification.send_sms_code(payload)
        with pytest.raises(TooManyRequests):
            cluster.verification.send_sms_code(payload)
        code = code_in(sms_sink.messages()[0])
        with pytest.raises(InvalidInput):
            cluster.verification.verify_sms_code(payload["purpose"], payload["subject"], wrong(code))
        assert cluster.verification.verify_sms_code(payload["purpose"], payload["subject"], code)["verified"]
        with pytest.raises(Conflict):
            cluster.verification.verify_sms_code(payload["purpose"], payload["subject"], code)
