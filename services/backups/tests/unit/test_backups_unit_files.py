"""Use cases of data files (app/files.py) with in-memory fakes: the dataset check loop, codes,
DatasetVerified."""
import uuid
from datetime import UTC, datetime

import pytest

from hgrip_backups.app import files, lifecycle
from hgrip_kernel.envelope import Envelope
from hgrip_kernel.errors import Conflict, InvalidInput, NotFound

OWNER_ID = "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10"
PROJECT_ID = "7d1e0c3a-9b2f-4e5d-8c6b-1a2b3c4d5e6f"


@pytest.fixture
def backup(app):
    return lifecycle.create_backup(app.ports, app.request, OWNER_ID, PROJECT_ID,
                                   {"name": "备份", "categories": ["targeted"]})


def test_add_file_asks_the_repository_once_then_records_the_file(app, backup, file_payload):
    view = files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload())
    assert app.verification.checks == [("GSA-Human", "HRA000567", "data-admin@big.ac.cn")]
    assert (view["accession"], view["repository"], view["progress"], view["mb_per_case"]) == (
        "HRA000567", "GSA-Human", "complete", 2000)
    assert [e.event_type for e in app.events()] == ["BackupCreated", "DataFileAdded"]


def test_a_dataset_the_account_did_not_submit_is_refused_and_nothing_written(app, backup, file_payload):
    with pytest.raises(InvalidInput) as refused:
        files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload(submission_account="x@y.cn"))
    assert refused.value.code == "dataset_account_mismatch"
    assert len(app.events()) == 1


def test_a_domain_refusal_comes_before_any_repository_check(app, backup, file_payload):
    with pytest.raises(InvalidInput) as refused:
        files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload(accession="OMIX001226"))
    assert refused.value.code == "accession_format_invalid"
    assert app.verification.checks == []


def test_someone_elses_file_account_waits_for_a_code(app, backup, file_payload):
    added = files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload(
        detailed_type="analysis_statistics", accession="OMIX001226", submission_account="zhangxx@big.ac.cn"))
    assert added["progress"] == "pending_verification"
    sent = files.request_verification_code(app.ports, app.request, OWNER_ID, backup["id"], added["id"])
    assert set(sent) == {"sent_to", "expires_at", "resend_available_at"}
    app_sent = app.verification.sent[0]
    assert (app_sent["requester_name"], app_sent["accession"]) == ("张晓寒", "OMIX001226")
    with pytest.raises(InvalidInput):
        files.verify_file(app.ports, app.request, OWNER_ID, backup["id"], added["id"], "000000")
    verified = files.verify_file(app.ports, app.request, OWNER_ID, backup["id"], added["id"], "320000")
    assert verified["progress"] == "complete"
    with pytest.raises(Conflict) as refused:
        files.request_verification_code(app.ports, app.request, OWNER_ID, backup["id"], added["id"])
    assert refused.value.code == "file_already_verified"


@pytest.fixture(autouse=True)
def requester(app):
    app.identity.accounts[OWNER_ID] = {"id": OWNER_ID, "name": "张晓寒"}


def test_update_and_delete_a_file(app, backup, file_payload):
    added = files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload())
    updated = files.update_file(app.ports, app.request, OWNER_ID, backup["id"], added["id"], {"cases": 60})
    assert updated["cases"] == 60 and len(app.verification.checks) == 1   # same dataset: no new check
    moved = files.update_file(app.ports, app.request, OWNER_ID, backup["id"], added["id"].upper(),
                              {"accession": "HRA000568"})
    assert moved["accession"] == "HRA000568" and app.verification.checks[-1][1] == "HRA000568"
    assert files.delete_file(app.ports, app.request, OWNER_ID, backup["id"], added["id"]) == {"deleted": added["id"]}
    assert lifecycle.get_backup(app.ports, OWNER_ID, backup["id"])["files"] == []
    with pytest.raises(NotFound) as refused:
        lifecycle.get_file(app.ports, OWNER_ID, backup["id"], added["id"])
    assert refused.value.code == "file_not_found"


def test_dataset_verified_completes_the_file_once(app, backup, file_payload):
    added = files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload(
        detailed_type="analysis_statistics", accession="OMIX001226", submission_account="zhangxx@big.ac.cn"))
    envelope = Envelope(
        event_id=str(uuid.uuid4()), event_type="DatasetVerified", schema_version=1, source="verification",
        stream_type="verification", stream_id=f"verification-{added['id']}", stream_version=1,
        occurred_at=datetime.now(UTC), actor=None, correlation_id="req-v", causation_id=None,
        data={"file_id": added["id"], "backup_id": backup["id"], "repository": "OMIX",
              "accession": "OMIX001226", "verified_at": datetime.now(UTC).isoformat()})
    files.dataset_verified(app.ports, app.request, envelope)
    files.dataset_verified(app.ports, app.request, envelope)
    outcomes = [fields["outcome"] for _, event, fields in app.log.lines if event == "dataset_verified_applied"]
    assert outcomes == ["applied", "duplicate"]
    assert lifecycle.get_file(app.ports, OWNER_ID, backup["id"], added["id"])["progress"] == "complete"
