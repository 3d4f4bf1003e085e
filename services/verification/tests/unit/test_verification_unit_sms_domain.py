"""SMS-code rules, plain Python: policy (10 min, 60 s, 5 tries), the SmsCodeRequest aggregate, the text."""
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_kernel.errors import Conflict, DomainError, InvalidInput, Locked, NotFound, TooManyRequests
from hgrip_verification.domain import (
    MAIL_CODES,
    PURPOSES,
    SMS_CODES,
    SmsCodeRequest,
    code_matches,
    compose_sms_text,
    hash_code,
    refusals,
    sms_hash_scope,
    sms_stream_id,
)

NOW = datetime(2024, 3, 1, 2, 0, 0, tzinfo=UTC)
SUBJECT = "claim:acc-6f1c2d3e:registrant-digest-9a59"
MOBILE = "13912345678"


def sent(now=NOW) -> SmsCodeRequest:
    request = SmsCodeRequest(sms_stream_id("legacy_claim", SUBJECT))
    request.issue("legacy_claim", SUBJECT, MOBILE, now)
    return request


# --- policy ----------------------------------------------------------------------------------------
def test_sms_codes_are_valid_10_minutes_resend_after_60_seconds_lock_after_5():
    assert SMS_CODES.expires_at(NOW) == NOW + timedelta(minutes=10)
    assert SMS_CODES.resend_available_at(NOW) == NOW + timedelta(seconds=60)
    assert SMS_CODES.retry_after_seconds(NOW, NOW + timedelta(seconds=59, milliseconds=1)) == 1   # rounded up
    assert SMS_CODES.retry_after_seconds(NOW, NOW + timedelta(seconds=60)) == 0
    assert [SMS_CODES.attempts_left(n) for n in range(7)] == [5, 4, 3, 2, 1, 0, 0]
    assert not SMS_CODES.locks_after(4) and SMS_CODES.locks_after(5)
    # The e-mail policy is unchanged by it.
    assert (MAIL_CODES.validity, MAIL_CODES.resend_interval) == (timedelta(hours=48), timedelta(minutes=5))


# --- the aggregate ---------------------------------------------------------------------------------
def test_sending_records_the_masked_mobile_and_the_expiry_never_the_code_or_the_mobile():
    request = sent()
    assert request.id == f"sms-code-legacy_claim:{SUBJECT}" and request.stream_type == "sms-code"
    [event] = request.pending
    assert event.type == "SmsCodeSent"
    assert event.data == {"purpose": "legacy_claim", "subject": SUBJECT, "sent_to": "139****5678",
                          "issued_at": "2024-03-01T02:00:00+00:00", "expires_at": "2024-03-01T02:10:00+00:00"}
    assert MOBILE not in repr(event.data)
    assert request.sent_result() == {"sent_to": "139****5678", "expires_at": "2024-03-01T02:10:00+00:00",
                                     "resend_available_at": "2024-03-01T02:01:00+00:00"}


def test_a_new_code_within_60_seconds_is_refused_with_the_wait_then_replaces_the_old():
    request = sent()
    with pytest.raises(TooManyRequests) as caught:
        request.issue("legacy_claim", SUBJECT, MOBILE, NOW + timedelta(seconds=45))
    assert caught.value.code == "sms_code_too_soon" and caught.value.http_status == 429
    assert caught.value.details == {"retry_after_seconds": 15, "resend_available_at": "2024-03-01T02:01:00+00:00"}
    assert [e.type for e in request.pending] == ["SmsCodeSent"]
    request.verify(False, NOW + timedelta(seconds=50))
    request.issue("legacy_claim", SUBJECT, "15811112222", NOW + timedelta(seconds=60))
    assert (request.failures, request.sent_to) == (0, "158****2222")          # a clean slate
    assert request.expires_at == NOW + timedelta(seconds=60, minutes=10)


def test_the_right_code_verifies_once_and_is_consumed():
    request = sent()
    assert request.verify(True, NOW + timedelta(minutes=3)) is None
    assert request.pending[-1].type == "SmsCodeVerified"
    assert request.pending[-1].data == {"purpose": "legacy_claim", "subject": SUBJECT,
                                        "verified_at": "2024-03-01T02:03:00+00:00"}
    assert request.verified_result() == {"verified": True, "purpose": "legacy_claim", "subject": SUBJECT,
                                         "verified_at": "2024-03-01T02:03:00+00:00"}
    request.mark_saved()
    for right in (True, False):                   # used: neither the same code nor another works
        with pytest.raises(Conflict) as caught:
            request.verify(right, NOW + timedelta(minutes=4))
        assert caught.value.code == "sms_code_used" and caught.value.http_status == 409
    assert request.pending == []                  # and nothing is recorded


def test_five_wrong_codes_count_down_then_lock_until_a_new_code():
    request = sent()
    answers = [request.verify(False, NOW + timedelta(seconds=n)) for n in range(5)]
    assert [a.code for a in answers] == ["sms_code_invalid"] * 5
    assert [a.details["remaining_attempts"] for a in answers] == [4, 3, 2, 1, 0]
    assert [e.type for e in request.pending] == ["SmsCodeSent"] + ["SmsCodeFailed"] * 5 + ["SmsCodeLocked"]
    assert request.pending[-1].data == {"purpose": "legacy_claim", "subject": SUBJECT, "failures": 5,
                                        "locked_at": "2024-03-01T02:00:04+00:00"}
    before = list(request.pending)
    for right in (False, True):
        with pytest.raises(Locked) as caught:
            request.verify(right, NOW + timedelta(seconds=10))
        assert caught.value.code == "sms_code_locked" and caught.value.http_status == 423
    assert request.pending == before
    with pytest.raises(TooManyRequests):            # a new code, but only after the 60 s interval
        request.issue("legacy_claim", SUBJECT, MOBILE, NOW + timedelta(seconds=30))
    request.issue("legacy_claim", SUBJECT, MOBILE, NOW + timedelta(seconds=60))
    assert not request.locked and request.failures == 0
    assert request.verify(True, NOW + timedelta(seconds=70)) is None


def test_an_expired_code_is_refused_and_counts_nothing():
    request = sent()
    with pytest.raises(InvalidInput) as caught:
        request.verify(True, NOW + timedelta(minutes=10))
    assert caught.value.code == "sms_code_expired" and caught.value.message_zh
    with pytest.raises(InvalidInput):
        request.verify(False, NOW + timedelta(minutes=11))
    assert [e.type for e in request.pending] == ["SmsCodeSent"] and request.failures == 0
    assert request.verify(True, NOW + timedelta(minutes=9, seconds=59)) is None


def test_no_code_no_verification():
    with pytest.raises(NotFound) as caught:
        SmsCodeRequest(sms_stream_id("legacy_claim", SUBJECT)).verify(True, NOW)
    assert caught.value.code == "sms_code_not_requested" and caught.value.http_status == 404


def test_rehydrating_folds_every_event(replay):
    source = sent()
    source.verify(False, NOW)
    source.verify(False, NOW)
    request = replay(source)
    assert isinstance(request, SmsCodeRequest)
    assert (request.version, request.failures, request.locked, request.sent_to) == (3, 2, False, "139****5678")
    assert (request.purpose, request.subject, request.expires_at) == ("legacy_claim", SUBJECT,
                                                                      NOW + timedelta(minutes=10))


# --- text, hash, refusals --------------------------------------------------------------------------
def test_the_text_names_the_requester_the_purpose_the_code_and_the_validity():
    assert set(PURPOSES) == {"legacy_claim"}
    text = compose_sms_text(purpose="legacy_claim", code="012345", requester_name="张晓寒")
    assert text.startswith("【人类遗传资源信息管理备份平台】张晓寒正在认领原备份平台")
    assert "验证码为 012345，10 分钟内有效" in text and "如非本人操作，请忽略" in text
    assert text.count("012345") == 1 and len(text) <= 1000            # within the gateway's limit


def test_sms_codes_are_hashed_per_purpose_and_subject():
    scope = sms_hash_scope("legacy_claim", SUBJECT)
    digest = hash_code("secret-1", scope, "320000")
    assert code_matches("secret-1", scope, "320000", digest)
    assert not code_matches("secret-1", sms_hash_scope("legacy_claim", SUBJECT + "x"), "320000", digest)
    assert not code_matches("secret-1", scope, "320001", digest)
    assert not code_matches("secret-2", scope, "320000", digest)


def test_every_sms_refusal_has_english_and_chinese_messages():
    made = [refusals.sms_unavailable(), refusals.sms_code_too_soon(10, NOW.isoformat()),
            refusals.sms_code_invalid(3), refusals.sms_code_expired(), refusals.sms_code_locked(),
            refusals.sms_code_not_requested(), refusals.sms_code_used()]
    assert [e.code for e in made] == ["sms_unavailable", "sms_code_too_soon", "sms_code_invalid", "sms_code_expired",
                                      "sms_code_locked", "sms_code_not_requested", "sms_code_used"]
    for error in made:
        assert isinstance(error, DomainError)
        assert error.message.isascii() and not error.message_zh.isascii()
    assert [e.http_status for e in made] == [503, 429, 400, 400, 423, 404, 409]
