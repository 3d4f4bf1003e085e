"""VerificationService on real PostgreSQL and RabbitMQ, with the real SMTP sink and repositories stand-in."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, select

from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import InvalidInput, Locked, NotFound, ServiceUnavailable, TooManyRequests
from hgrip_kernel.store.tables import events
from hgrip_verification.adapters.tables import verification_codes
from hgrip_verification.domain import hash_code
from hgrip_verification.entrypoints.service import VerificationService

SECRET = "test-token-secret-of-at-least-32-bytes"   # TOKEN_SECRET of the kernel's service_config fixture
MISMATCH_ZH = "提交账号与数据集序列号不匹配"


def test_migration_creates_the_kernel_tables_and_the_code_tables(make_database):
    engine = create_engine(make_database("verification"))
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version", "events", "outbox", "inbox",
                                                          "verification_codes", "sms_codes",
                                                          "notices_sent"}
        columns = {c["name"] for c in inspect(engine).get_columns("verification_codes")}
        assert columns == {"file_id", "backup_id", "code_hash", "issued_at", "expires_at", "failures", "locked",
                           "verified_at", "submission_account", "accession", "repository"}
        columns = {c["name"] for c in inspect(engine).get_columns("sms_codes")}
        assert columns == {"purpose", "subject", "sent_to", "code_hash", "issued_at", "expires_at", "failures",
                           "locked", "verified_at"}               # the masked mobile only, the code's HMAC only
        assert inspect(engine).get_pk_constraint("sms_codes")["constrained_columns"] == ["purpose", "subject"]
    finally:
        engine.dispose()


def test_health_queries_the_database(verification, rpc_proxy):
    with rpc_proxy() as cluster:
        assert cluster.verification.health() == {"service": "verification", "ok": True, "database": "ok"}


def test_health_reports_an_unreachable_database(pg_admin_url, service_config, start_service, rpc_proxy):
    missing = pg_admin_url.rsplit("/", 1)[0] + "/hgrip_no_such_database"
    start_service(VerificationService, service_config("verification", missing, RELAY_ENABLED=False))
    with rpc_proxy() as cluster:
        assert cluster.verification.health() == {"service": "verification", "ok": False,
                                                 "database": "unavailable"}


# --- check_dataset ---------------------------------------------------------------------------------
def test_check_dataset_matches_the_submitter(verification, rpc_proxy):
    with rpc_proxy() as cluster:
        assert cluster.verification.check_dataset("GSA-Human", "HRA000567", "data-admin@big.ac.cn") == {
            "repository": "GSA-Human", "accession": "HRA000567", "submitter_matches": True}
        # Trimmed and case-insensitive, as users type addresses.
        assert cluster.verification.check_dataset("OMIX", " OMIX001226 ", "  ZhangXX@BIG.ac.cn ") == {
            "repository": "OMIX", "accession": "OMIX001226", "submitter_matches": True}


@pytest.mark.parametrize("repository,accession,account", [
    ("OMIX", "OMIX001226", "data-admin@big.ac.cn"),      # someone else's dataset
    ("GSA-Human", "HRA000567", "zhangxx@big.ac.cn"),
    ("OMIX", "OMIX009999", "zhangxx@big.ac.cn"),         # unknown accession: the same answer
    ("OMIX", "OMX001226", "zhangxx@big.ac.cn"),          # the manual's typo (not even an OMIX format)
    ("GSA-Human", "OMIX001226", "zhangxx@big.ac.cn"),    # right accession, wrong repository
])
def test_check_dataset_mismatch(verification, rpc_proxy, repository, accession, account):
    with rpc_proxy() as cluster, pytest.raises(InvalidInput) as caught:
        cluster.verification.check_dataset(repository, accession, account)
    assert caught.value.code == "dataset_account_mismatch"
    assert caught.value.message_zh == MISMATCH_ZH
    assert caught.value.message == "The submission account and the dataset accession do not match."
    assert caught.value.details == {}                    # nothing about who the submitter is


def test_check_dataset_refuses_bad_input(verification, rpc_proxy):
    with rpc_proxy() as cluster:
        for arguments, field in [(("SRA", "SRR000001", "a@b.cn"), "repository"),
                                 (("OMIX", "OMIX001226", "not-an-email"), "submission_account"),
                                 (("OMIX", "", "zhangxx@big.ac.cn"), "accession")]:
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.check_dataset(*arguments)
            assert caught.value.code == "invalid_input" and list(caught.value.details) == [field]


def test_check_dataset_when_the_repository_is_down(verification, rpc_proxy):
    verification.repositories.set_mode("down")
    with rpc_proxy() as cluster:
        with pytest.raises(ServiceUnavailable) as caught:
            cluster.verification.check_dataset("OMIX", "OMIX001226", "zhangxx@big.ac.cn")
        assert caught.value.code == "repository_unavailable" and caught.value.http_status == 503
        details = caught.value.details   # retry_after_seconds: the gateway's Retry-After
        assert details["repository"] == "OMIX" and int(details["retry_after_seconds"]) == 10
        assert caught.value.message_zh
        verification.repositories.set_mode("ok")
        assert cluster.verification.check_dataset("OMIX", "OMIX001226", "zhangxx@big.ac.cn")["submitter_matches"]


# --- send_code → mail → verify_code → DatasetVerified ----------------------------------------------
def test_the_code_goes_by_mail_and_verifies_the_dataset(verification, rpc_proxy, capture, send_payload,
                                                        code_in, wait_until):
    read_verified = capture("verification.DatasetVerified")
    payload = send_payload()
    file_id = payload["file_id"]
    before = datetime.now(UTC)
    with rpc_proxy(correlation_id="req-send-1") as cluster:
        sent = cluster.verification.send_code(payload)
    assert sent["sent_to"] == "z***@big.ac.cn"
    expires_at = datetime.fromisoformat(sent["expires_at"])
    resend_at = datetime.fromisoformat(sent["resend_available_at"])
    assert timedelta(hours=48) <= expires_at - before < timedelta(hours=48, seconds=30)
    assert expires_at - resend_at == timedelta(hours=48) - timedelta(minutes=5)

    # The mail, as the real SMTP sink stored it.
    [mail] = verification.smtp_sink.messages()
    assert mail["to"] == ["zhangxx@big.ac.cn"] and mail["from"] == "hgrip-test@big.ac.cn"
    assert mail["subject"] == "【人类遗传资源信息管理备份平台】数据集验证码"
    message = mail["message"]
    assert message["To"] == "zhangxx@big.ac.cn" and message["Message-ID"]
    assert message.get_content_charset() == "utf-8"
    text = message.get_content()
    code = code_in(message)
    for part in ("张晓寒", "三例样本（父母子）的测序数据开放共享备案", "OMIX (https://ngdc.cncb.ac.cn/omix/)",
                 "OMIX001226", "此验证码有效期48小时，请勿外泄。", f"Your verification code is: {code}"):
        assert part in text

    with rpc_proxy(correlation_id="req-verify-1") as cluster:
        verified = cluster.verification.verify_code(file_id, f" {code} ")
    assert verified == {"verified": True, "file_id": file_id, "accession": "OMIX001226", "repository": "OMIX",
                        "verified_at": verified["verified_at"]}

    # DatasetVerified reached hgrip.events under its routing key, valid against its contract.
    [(routing_key, envelope)] = wait_until(read_verified, message="DatasetVerified on hgrip.events")
    assert routing_key == "verification.DatasetVerified"
    assert envelope["source"] == "verification" and envelope["stream_id"] == f"verification-{file_id}"
    assert envelope["correlation_id"] == "req-verify-1"
    assert envelope["data"] == {"file_id": file_id, "backup_id": payload["backup_id"], "repository": "OMIX",
                                "accession": "OMIX001226", "verified_at": verified["verified_at"]}
    registry.validate("verification", "DatasetVerified", 1, envelope["data"])

    stored = verification.rows(select(events.c.event_type, events.c.stream_version)
                               .where(events.c.stream_id == f"verification-{file_id}")
                               .order_by(events.c.stream_version))
    assert [tuple(r) for r in stored] == [("CodeIssued", 1), ("DatasetVerified", 2)]
    [row] = verification.rows(select(verification_codes))
    assert (row.file_id, row.backup_id, row.repository, row.accession, row.submission_account) == (
        file_id, payload["backup_id"], "OMIX", "OMIX001226", "zhangxx@big.ac.cn")
    assert row.code_hash == hash_code(SECRET, file_id, code)
    assert row.verified_at.isoformat() == verified["verified_at"] and row.failures == 0 and not row.locked

    # The accepted code again (a retried call) answers the same and records nothing.
    with rpc_proxy() as cluster:
        assert cluster.verification.verify_code(file_id, code) == verified
    assert len(verification.rows(select(events))) == 2


def test_resend_within_5_minutes_is_refused_then_a_new_code_replaces_the_old(verification, rpc_proxy,
                                                                            send_payload, code_in):
    payload = send_payload()
    with rpc_proxy() as cluster:
        cluster.verification.send_code(payload)
        verification.clock.offset = timedelta(minutes=4)
        with pytest.raises(TooManyRequests) as caught:
            cluster.verification.send_code(payload)
        assert caught.value.code == "code_resend_too_soon" and caught.value.http_status == 429
        # nameko turns every non-string inside an error's args into text on the way (the gateway copes).
        assert 55 <= int(caught.value.details["retry_after_seconds"]) <= 60
        assert caught.value.details["resend_available_at"]
        assert len(verification.smtp_sink.messages()) == 1            # no second mail
        # Another file is not held back by this one.
        cluster.verification.send_code(send_payload(submission_account="data-admin@big.ac.cn",
                                                    repository="GSA-Human", accession="HRA000567"))

        verification.clock.offset = timedelta(minutes=5)
        cluster.verification.send_code(payload)
        mails = [m for m in verification.smtp_sink.messages() if m["to"] == ["zhangxx@big.ac.cn"]]
        first, second = (code_in(m["message"]) for m in mails)
        if first != second:  # (one in a million they coincide)
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_code(payload["file_id"], first)
            assert caught.value.code == "verification_code_invalid"
        assert cluster.verification.verify_code(payload["file_id"], second)["verified"] is True


def test_five_wrong_codes_lock_the_code(verification, rpc_proxy, send_payload, code_in):
    payload = send_payload()
    file_id = payload["file_id"]
    with rpc_proxy() as cluster:
        cluster.verification.send_code(payload)
        code = code_in(verification.smtp_sink.messages()[0]["message"])
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        left = []
        for _ in range(5):
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_code(file_id, wrong)
            assert caught.value.code == "verification_code_invalid"
            left.append(int(caught.value.details["attempts_left"]))   # text after nameko RPC
        assert left == [4, 3, 2, 1, 0]
        with pytest.raises(Locked) as caught:                      # now even the right code
            cluster.verification.verify_code(file_id, code)
        assert caught.value.code == "verification_locked" and caught.value.http_status == 423
        [row] = verification.rows(select(verification_codes))
        assert (row.failures, row.locked, row.verified_at) == (5, True, None)

        # A new code (after the resend interval) starts afresh.
        verification.clock.offset = timedelta(minutes=5)
        cluster.verification.send_code(payload)
        fresh = code_in(verification.smtp_sink.messages()[-1]["message"])
        assert cluster.verification.verify_code(file_id, fresh)["verified"] is True
    types = [r.event_type for r in verification.rows(select(events.c.event_type).order_by(events.c.position))]
    assert types == ["CodeIssued"] + ["CodeRejected"] * 5 + ["VerificationLocked", "CodeIssued", "DatasetVerified"]


def test_a_code_expires_after_48_hours(verification, rpc_proxy, send_payload, code_in):
    payload = send_payload()
    with rpc_proxy() as cluster:
        cluster.verification.send_code(payload)
        code = code_in(verification.smtp_sink.messages()[0]["message"])
        verification.clock.offset = timedelta(hours=48)
        with pytest.raises(InvalidInput) as caught:
            cluster.verification.verify_code(payload["file_id"], code)
        assert caught.value.code == "verification_code_expired" and caught.value.message_zh
        verification.clock.offset = timedelta(hours=47, minutes=59)
        assert cluster.verification.verify_code(payload["file_id"], code)["verified"] is True


def test_verify_without_a_code_or_with_a_malformed_one(verification, rpc_proxy, send_payload):
    payload = send_payload()
    with rpc_proxy() as cluster:
        with pytest.raises(NotFound) as caught:
            cluster.verification.verify_code(payload["file_id"], "123456")
        assert caught.value.code == "verification_code_not_requested"
        cluster.verification.send_code(payload)
        for file_id, code, field in [(payload["file_id"], "12345", "code"), (payload["file_id"], 123456, "code"),
                                     (payload["file_id"], "12345a", "code"), ("not-a-uuid", "123456", "file_id")]:
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.verify_code(file_id, code)
            assert caught.value.code == "invalid_input" and list(caught.value.details) == [field]
    [row] = verification.rows(select(verification_codes))
    assert row.failures == 0                                  # malformed input is not a try


def test_send_code_refuses_bad_payloads(verification, rpc_proxy, send_payload):
    with rpc_proxy() as cluster:
        for changes, field in [({"accession": "OMX001226"}, "accession"), ({"repository": "SRA"}, "repository"),
                               ({"submission_account": "zhangxx"}, "submission_account"),
                               ({"file_id": "nope"}, "file_id"), ({"requester_name": "张\r\nBcc: x@y.cn"},
                                                                 "requester_name"),
                               ({"extra": 1}, "extra")]:
            with pytest.raises(InvalidInput) as caught:
                cluster.verification.send_code(send_payload(**changes))
            assert caught.value.code == "invalid_input" and field in caught.value.details, changes
    assert verification.smtp_sink.messages() == []
    assert verification.rows(select(events)) == []


def test_smtp_down_records_nothing_and_a_retry_works_at_once(verification, rpc_proxy, send_payload, code_in):
    payload = send_payload()
    verification.smtp_sink.stop()
    with rpc_proxy() as cluster:
        with pytest.raises(ServiceUnavailable) as caught:
            cluster.verification.send_code(payload)
        assert caught.value.code == "mail_unavailable" and caught.value.http_status == 503
        assert verification.recorded(verification_codes) == []
        with pytest.raises(NotFound):                        # nothing to verify against
            cluster.verification.verify_code(payload["file_id"], "123456")

        verification.smtp_sink.start()                        # same port: the mail server is back
        sent = cluster.verification.send_code(payload)        # no 5-minute wait: nothing was sent before
        assert sent["sent_to"] == "z***@big.ac.cn"
        code = code_in(verification.smtp_sink.messages()[0]["message"])
        assert cluster.verification.verify_code(payload["file_id"], code)["verified"] is True


def test_concurrent_sends_for_one_file_mail_one_code(verification, rpc_proxy, send_payload, outcomes):
    payload = send_payload()
    with rpc_proxy(timeout=60) as cluster:
        replies = [cluster.verification.send_code.call_async(payload) for _ in range(6)]
        assert sorted(outcomes(replies, "sent")) == ["code_resend_too_soon"] * 5 + ["sent"]
    assert len(verification.smtp_sink.messages()) == 1
    assert [r.event_type for r in verification.rows(select(events.c.event_type))] == ["CodeIssued"]


def test_runs_on_sqlite_too(sqlite_url, service_config, start_service, rpc_proxy, smtp_sink, repositories,
                            send_payload, code_in):
    """The embedded default (no PostgreSQL): same answers, the writer lock standing in for the advisory lock."""
    from hgrip_kernel.cli.migrate import upgrade

    upgrade("verification", sqlite_url)
    start_service(VerificationService, service_config(
        "verification", sqlite_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_sink.port),
        REPOSITORIES_URL=repositories.url))
    payload = send_payload()
    with rpc_proxy() as cluster:
        assert cluster.verification.check_dataset("OMIX", "OMIX001226", "zhangxx@big.ac.cn")["submitter_matches"]
        cluster.verification.send_code(payload)
        with pytest.raises(TooManyRequests):
            cluster.verification.send_code(payload)
        [mail] = smtp_sink.messages()
        assert mail["from"] == "hgrip@localhost"                     # the MAIL_FROM default
        code = code_in(mail["message"])
        with pytest.raises(InvalidInput):
            cluster.verification.verify_code(payload["file_id"], f"{(int(code) + 1) % 1000000:06d}")
        assert cluster.verification.verify_code(payload["file_id"], code)["verified"] is True
