"""A code exists in the mail (or text message) and nowhere else: not in the database, the events, the
outbox, the broker, or any log line (checked before masking, so masking cannot hide a leak). Nor does
the clear mobile of an SMS code, which only the gateway receives."""
import json
import logging

import pytest
from sqlalchemy import MetaData, select
from structlog.testing import capture_logs

from hgrip_kernel.errors import Conflict, InvalidInput, ServiceUnavailable
from hgrip_verification.domain import hash_code

SECRET = "test-token-secret-of-at-least-32-bytes"   # TOKEN_SECRET of the kernel's service_config fixture


def test_the_code_is_never_stored_published_or_logged(verification, rpc_proxy, capture, send_payload, code_in,
                                                      caplog, wait_until):
    read_published = capture("verification.#")
    payload = send_payload()
    file_id = payload["file_id"]
    caplog.set_level(logging.DEBUG)
    published = []
    with capture_logs() as logged:
        with rpc_proxy() as cluster:
            cluster.verification.send_code(payload)
            code = code_in(verification.smtp_sink.messages()[0]["message"])
            wrong = f"{(int(code) + 1) % 1000000:06d}"
            with pytest.raises(InvalidInput):
                cluster.verification.verify_code(file_id, wrong)
            cluster.verification.verify_code(file_id, code)
        wait_until(lambda: published.extend(read_published()) or len(published) >= 3,
                   message="three events on hgrip.events")

    assert [key for key, _ in published] == ["verification.CodeIssued", "verification.CodeRejected",
                                             "verification.DatasetVerified"]
    issued = published[0][1]["data"]
    assert set(issued) == {"file_id", "backup_id", "repository", "accession", "submission_account",
                           "issued_at", "expires_at"}                 # the expiry, never the code

    # Every row of every table of the service's database, the outbox bodies included.
    metadata = MetaData()
    metadata.reflect(verification.engine)
    dumped = {name: [tuple(row) for row in verification.rows(select(table))]
              for name, table in metadata.tables.items()}
    assert {"events", "outbox", "verification_codes"} <= set(dumped) and dumped["outbox"]
    [row] = verification.rows(select(metadata.tables["verification_codes"]))
    assert row.code_hash == hash_code(SECRET, file_id, code)     # what is kept instead: a keyed hash

    log_lines = [repr(entry) for entry in logged] + [record.getMessage() for record in caplog.records] \
        + [caplog.text]
    assert any(entry["event"] == "verification_code_sent" for entry in logged)   # the capture saw the service
    for secret in (code, wrong):
        assert secret not in repr(dumped)
        assert secret not in json.dumps(published, ensure_ascii=False)
        assert not [line for line in log_lines if secret in line]


def test_the_sms_code_and_the_clear_mobile_are_never_stored_published_logged_or_answered(
        sms_verification, rpc_proxy, capture, sms_payload, code_in, caplog, wait_until):
    read_published = capture("verification.#")
    mobile = "13912345678"
    payload = sms_payload(mobile=mobile)
    purpose, subject = payload["purpose"], payload["subject"]
    caplog.set_level(logging.DEBUG)
    published, answers = [], []
    with capture_logs() as logged:
        with rpc_proxy() as cluster:
            sms_verification.sms_sink.stop()                         # the failure path logs too
            with pytest.raises(ServiceUnavailable) as caught:
                cluster.verification.send_sms_code(payload)
            answers.append(caught.value.to_dict())
            sms_verification.sms_sink.start()
            answers.append(cluster.verification.send_sms_code(payload))
            [message] = sms_verification.sms_sink.messages()
            assert message["mobile"] == mobile                       # the gateway alone has it in full
            code = code_in(message)
            wrong = f"{(int(code) + 1) % 1000000:06d}"
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_sms_code(purpose, subject, wrong)
            answers.append(caught.value.to_dict())
            answers.append(cluster.verification.verify_sms_code(purpose, subject, code))
            with pytest.raises(Conflict) as caught:
                cluster.verification.verify_sms_code(purpose, subject, code)
            answers.append(caught.value.to_dict())
        wait_until(lambda: published.extend(read_published()) or len(published) >= 3,
                   message="three events on hgrip.events")

    assert [key for key, _ in published] == ["verification.SmsCodeSent", "verification.SmsCodeFailed",
                                             "verification.SmsCodeVerified"]
    assert published[0][1]["data"]["sent_to"] == "139****5678"
    assert answers[1]["sent_to"] == "139****5678"

    metadata = MetaData()
    metadata.reflect(sms_verification.engine)
    dumped = {name: [tuple(row) for row in sms_verification.rows(select(table))]
              for name, table in metadata.tables.items()}
    assert {"events", "outbox", "sms_codes"} <= set(dumped) and dumped["outbox"]

    log_lines = [repr(entry) for entry in logged] + [record.getMessage() for record in caplog.records] \
        + [caplog.text]
    assert {"sms_code_send_failed", "sms_code_sent", "sms_code_rejected", "sms_code_verified"} <= \
        {entry["event"] for entry in logged}                         # the capture saw the service
    for secret in (code, wrong, mobile):
        assert secret not in repr(dumped)
        assert secret not in json.dumps(published, ensure_ascii=False)
        assert secret not in json.dumps(answers, ensure_ascii=False)
        assert not [line for line in log_lines if secret in line]
