"""send_code and verify_code with an in-memory event store and fake ports: issue, resend too early,
mail down, verify, wrong codes until the lock, expiry, a concurrent send."""
import uuid

import pytest

from hgrip_kernel.errors import InvalidInput, Locked, NotFound, ServiceUnavailable, TooManyRequests
from hgrip_verification.app.mail_codes import send_code, verify_code
from hgrip_verification.domain import hash_code


def payload(**changes) -> dict:
    data = {"file_id": str(uuid.uuid4()), "backup_id": str(uuid.uuid4()), "requester_name": "张晓寒",
            "project_name": "三例样本（父母子）的测序数据开放共享备案", "repository": "OMIX",
            "accession": "OMIX001226", "submission_account": "zhangxx@big.ac.cn"}
    return {**data, **changes}


def send(verification, data):
    return send_code(verification.ports, verification.request, data)


def verify(verification, file_id, code):
    return verify_code(verification.ports, verification.request, file_id, code)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def test_a_code_is_mailed_recorded_as_hmac_and_answered_masked(verification):
    data = payload()
    answer = send(verification, data)
    assert answer == {"sent_to": "z***@big.ac.cn", "expires_at": "2023-06-30T10:03:53+00:00",
                      "resend_available_at": "2023-06-28T10:08:53+00:00"}
    [mail] = verification.mailer.sent
    assert mail["to"] == "zhangxx@big.ac.cn" and "OMIX001226" in mail["text"]
    code = verification.mailer.code()
    [event] = verification.store.read_all()
    assert event.event_type == "CodeIssued" and code not in str(event.data)
    assert verification.mail_codes.rows[event.stream_id]["code_hash"] == \
        hash_code("unit-test-token-secret-of-32-bytes!", data["file_id"], code)
    assert "verification_code_sent" in verification.log.events()


def test_a_second_code_within_5_minutes_is_refused_with_the_wait(verification):
    data = payload()
    send(verification, data)
    verification.wait(minutes=4)
    with pytest.raises(TooManyRequests) as refused:
        send(verification, data)
    assert refused.value.code == "code_resend_too_soon"
    assert refused.value.details == {"retry_after_seconds": 60, "resend_available_at": "2023-06-28T10:08:53+00:00"}
    assert len(verification.mailer.sent) == 1
    verification.wait(minutes=1)
    send(verification, data)
    assert verification.event_types() == ["CodeIssued", "CodeIssued"]


def test_a_mail_that_cannot_go_out_records_nothing(verification):
    verification.mailer.down = True
    data = payload()
    with pytest.raises(ServiceUnavailable) as refused:
        send(verification, data)
    assert refused.value.code == "mail_unavailable"
    assert verification.store.read_all() == [] and verification.mail_codes.rows == {}
    verification.mailer.down = False
    send(verification, data)                      # the user may try again at once
    assert verification.event_types() == ["CodeIssued"]


def test_another_send_in_flight_for_the_file_is_refused_as_too_soon(verification):
    data = payload()
    verification.send_guard.busy.add(data["file_id"])
    with pytest.raises(TooManyRequests) as refused:
        send(verification, data)
    assert refused.value.details["retry_after_seconds"] == 300
    assert verification.mailer.sent == [] and verification.store.read_all() == []


def test_the_right_code_verifies_and_a_repeat_answers_the_same(verification):
    data = payload()
    send(verification, data)
    code = verification.mailer.code()
    verification.wait(hours=1)
    result = verify(verification, data["file_id"], code)
    assert result == {"verified": True, "file_id": data["file_id"], "accession": "OMIX001226",
                      "repository": "OMIX", "verified_at": "2023-06-28T11:03:53+00:00"}
    assert verify(verification, data["file_id"], code) == result
    assert verification.event_types() == ["CodeIssued", "DatasetVerified"]


def test_five_wrong_codes_lock_until_a_new_code_is_sent(verification):
    data = payload()
    send(verification, data)
    code = verification.mailer.code()
    left = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as refused:
            verify(verification, data["file_id"], wrong(code))
        left.append(refused.value.details["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(Locked) as refused:
        verify(verification, data["file_id"], code)   # even the right one
    assert refused.value.code == "verification_locked"
    assert verification.event_types() == ["CodeIssued"] + ["CodeRejected"] * 5 + ["VerificationLocked"]
    row = verification.mail_codes.rows[f"verification-{data['file_id']}"]
    assert (row["failures"], row["locked"]) == (5, True)

    verification.wait(minutes=5)
    send(verification, data)
    assert verify(verification, data["file_id"], verification.mailer.code())["verified"] is True


def test_an_expired_code_is_refused(verification):
    data = payload()
    send(verification, data)
    verification.wait(hours=48)
    with pytest.raises(InvalidInput) as refused:
        verify(verification, data["file_id"], verification.mailer.code())
    assert refused.value.code == "verification_code_expired"


def test_no_code_sent_no_verification(verification):
    with pytest.raises(NotFound) as refused:
        verify(verification, str(uuid.uuid4()), "123456")
    assert refused.value.code == "verification_code_not_requested"
