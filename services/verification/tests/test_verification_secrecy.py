"""A code exists in the mail and nowhere else: not in the database, the events, the outbox, the
broker, or any log line (checked before masking, so masking cannot hide a leak)."""
import json
import logging

import pytest
from hgrip_kernel.errors import InvalidInput
from hgrip_verification.domain import hash_code
from sqlalchemy import MetaData, select
from structlog.testing import capture_logs

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
