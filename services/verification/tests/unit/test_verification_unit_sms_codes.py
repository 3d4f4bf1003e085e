"""send_sms_code and verify_sms_code with an in-memory event store and fake ports."""
import pytest

from hgrip_kernel.errors import Conflict, InvalidInput, Locked, ServiceUnavailable, TooManyRequests
from hgrip_verification.app.sms_codes import send_sms_code, verify_sms_code

CLAIM = {"purpose": "legacy_claim", "subject": "claim:42", "mobile": "13912345678", "requester_name": "张晓寒"}


def send(verification, **changes):
    return send_sms_code(verification.ports, verification.request, {**CLAIM, **changes})


def verify(verification, code, subject="claim:42"):
    return verify_sms_code(verification.ports, verification.request, "legacy_claim", subject, code)


def test_a_code_is_texted_and_answered_with_the_masked_mobile(verification):
    assert send(verification) == {"sent_to": "139****5678", "expires_at": "2023-06-28T10:13:53+00:00",
                                  "resend_available_at": "2023-06-28T10:04:53+00:00"}
    [message] = verification.sms.sent
    assert (message["mobile"], message["request_id"]) == ("13912345678", "req-unit")
    [event] = verification.store.read_all()
    assert event.event_type == "SmsCodeSent" and "13912345678" not in str(event.data)


def test_resend_within_60_seconds_is_refused(verification):
    send(verification)
    verification.wait(seconds=59)
    with pytest.raises(TooManyRequests) as refused:
        send(verification)
    assert (refused.value.code, refused.value.details["retry_after_seconds"]) == ("sms_code_too_soon", 1)
    verification.wait(seconds=1)
    send(verification)


def test_a_gateway_that_is_down_records_nothing(verification):
    verification.sms.down = True
    with pytest.raises(ServiceUnavailable) as refused:
        send(verification)
    assert refused.value.code == "sms_unavailable"
    assert verification.store.read_all() == []
    assert verification.log.lines[-1][:2] == ("warning", "sms_code_send_failed")
    assert "13912345678" not in str(verification.log.lines)


def test_the_code_verifies_once_only(verification):
    send(verification)
    code = verification.sms.code()
    assert verify(verification, code) == {"verified": True, "purpose": "legacy_claim", "subject": "claim:42",
                                          "verified_at": "2023-06-28T10:03:53+00:00"}
    with pytest.raises(Conflict) as refused:
        verify(verification, code)
    assert refused.value.code == "sms_code_used"


def test_a_code_is_only_good_for_its_subject(verification):
    send(verification)
    send(verification, subject="claim:43")
    with pytest.raises(InvalidInput) as refused:
        verify(verification, verification.sms.code(0), subject="claim:43")
    assert refused.value.details == {"remaining_attempts": 4}


def test_five_wrong_codes_lock(verification):
    send(verification)
    code = verification.sms.code()
    other = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(5):
        with pytest.raises(InvalidInput):
            verify(verification, other)
    with pytest.raises(Locked) as refused:
        verify(verification, code)
    assert refused.value.code == "sms_code_locked"


def test_an_expired_code_is_refused(verification):
    send(verification)
    verification.wait(minutes=10)
    with pytest.raises(InvalidInput) as refused:
        verify(verification, verification.sms.code())
    assert refused.value.code == "sms_code_expired"
