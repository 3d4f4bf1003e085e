"""The manual's walk-through ("备份创建") end to end over RabbitMQ and PostgreSQL: the real identity,
projects and backups services, and a test-only verification peer."""
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hgrip_backups.adapters.tables import backup_number_counters, backups, data_files
from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import Conflict, InvalidInput
from hgrip_kernel.store.tables import outbox

BACKUP_NAME = "三例样本（父母子）的测序数据对外提供"


def test_the_manual_example_from_creation_to_backup_number(lifecycle, files):
    owner = lifecycle.provision(name="张晓寒")
    project = lifecycle.project(owner)
    with lifecycle.rpc(correlation_id="req-manual-1") as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {
            "name": f"  {BACKUP_NAME} ", "categories": ["targeted"]})
    assert backup == {
        "id": backup["id"], "project_id": project["id"], "project_name": project["name"],
        "name": BACKUP_NAME, "categories": ["targeted"], "status": "draft", "backup_number": None,
        "filing_numbers": [], "file_count": 0, "total_mb": 0, "created_at": backup["created_at"],
        "submitted_at": None, "files": [], "filings": [],
    }
    uuid.UUID(backup["id"])
    assert datetime.fromisoformat(backup["created_at"]).utcoffset() == timedelta(0)

    with lifecycle.rpc() as cluster:
        # The submission account is the PI's e-mail: complete at once.
        hra = cluster.backups.add_file(owner, backup["id"], files.hra())
        assert hra == {"id": hra["id"], "detailed_type": "raw_sequencing", "repository": "GSA-Human",
                       "cases": 50, "mb_per_case": 2000, "submission_account": "data-admin@big.ac.cn",
                       "accession": "HRA000567", "progress": "complete",
                       "created_at": hra["created_at"], "updated_at": hra["created_at"]}
        # Someone else's account: awaiting verification.
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        assert (omix["repository"], omix["progress"]) == ("OMIX", "pending_verification")
        assert lifecycle.verification.checks == [
            ("GSA-Human", "HRA000567", "data-admin@big.ac.cn"),
            ("OMIX", "OMIX001226", "zhangxx@big.ac.cn")]

        with pytest.raises(Conflict) as caught:
            cluster.backups.submit(owner, backup["id"])
        assert caught.value.code == "files_not_verified"
        assert caught.value.details == {"files": [
            {"id": omix["id"], "detailed_type": "analysis_statistics", "accession": "OMIX001226"}]}

        sent = cluster.backups.request_verification_code(owner, backup["id"], omix["id"])
        assert sent["sent_to"] == "z***@big.ac.cn"
        assert set(sent) == {"sent_to", "expires_at", "resend_available_at"}
        # The mail says who asked (the actor's real name), for which project and dataset.
        assert lifecycle.verification.sent == [{
            "file_id": omix["id"], "backup_id": backup["id"], "requester_name": "张晓寒",
            "project_name": project["name"], "repository": "OMIX", "accession": "OMIX001226",
            "submission_account": "zhangxx@big.ac.cn"}]

        with pytest.raises(InvalidInput) as caught:
            cluster.backups.verify_file(owner, backup["id"], omix["id"], "999999")
        assert caught.value.code == "verification_code_invalid"  # verification's, unchanged
        assert caught.value.details == {"attempts_left": 4}

        verified = cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
        assert verified["progress"] == "complete"
        with pytest.raises(Conflict) as caught:
            cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
        assert caught.value.code == "file_already_verified"

        ready = cluster.backups.get_backup(owner, backup["id"])
        assert [f["progress"] for f in ready["files"]] == ["complete", "complete"]
        assert [f["accession"] for f in ready["files"]] == ["HRA000567", "OMIX001226"]
        assert (ready["file_count"], ready["total_mb"]) == (2, 100050)  # 50×2000 + 10×5

        submitted = cluster.backups.submit(owner, backup["id"])

    number = submitted["backup_number"]
    # The first number of the day, dated by the submission's moment in Beijing (UTC+8).
    submitted_at = datetime.fromisoformat(submitted["submitted_at"])
    assert number == f"BF{(submitted_at + timedelta(hours=8)).strftime('%Y%m%d')}00001"
    assert submitted["status"] == "completed"
    assert abs(datetime.now(UTC) - datetime.fromisoformat(submitted["submitted_at"])) \
        < timedelta(minutes=1)
    assert submitted["files"] == ready["files"]

    # The public event: the contract's payload, in the outbox with it.
    [event] = lifecycle.events(f"backup-{backup['id']}", "BackupSubmitted")
    registry.validate("backups", "BackupSubmitted", 1, event.data)
    assert event.data == {
        "backup_id": backup["id"], "backup_number": number, "project_id": project["id"],
        "project_name": project["name"], "name": BACKUP_NAME, "categories": ["targeted"],
        "owner_id": owner, "institution_code": "NGDC", "unit_code": "U1", "pi_name": "刘晓寒",
        "pi_email": "data-admin@big.ac.cn", "file_count": 2, "total_mb": 100050,
        "submitted_at": submitted["submitted_at"],
        "files": [{"file_id": hra["id"], "detailed_type": "raw_sequencing", "repository": "GSA-Human",
                   "accession": "HRA000567", "cases": 50, "mb_per_case": 2000},
                  {"file_id": omix["id"], "detailed_type": "analysis_statistics",
                   "repository": "OMIX", "accession": "OMIX001226", "cases": 10, "mb_per_case": 5}],
    }
    [row] = lifecycle.rows(select(outbox.c.event_id).where(outbox.c.event_id == event.event_id))
    assert (event.source, event.event_type) == ("backups", "BackupSubmitted")  # key backups.BackupSubmitted
    assert lifecycle.rows(select(backup_number_counters.c.day, backup_number_counters.c.last)) == \
        [(number[2:10], 1)]
    [read_model] = lifecycle.rows(select(backups.c.backup_number, backups.c.status,
                                         backups.c.file_count, backups.c.total_mb))
    assert tuple(read_model) == (number, "completed", 2, 100050.0)

    with lifecycle.rpc() as cluster:
        listed = cluster.backups.list_backups(owner, project["id"])
    assert listed == [{k: v for k, v in submitted.items() if k not in ("files", "filings")}]


def test_after_submission_only_cases_and_size_change(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        hra = cluster.backups.add_file(owner, backup["id"], files.hra())
        other = cluster.backups.add_file(owner, backup["id"], dict(files.hra(), accession="HRA000568"))
        cluster.backups.submit(owner, backup["id"])

        corrected = cluster.backups.update_file(owner, backup["id"], hra["id"],
                                                {"cases": 60, "mb_per_case": 2500.5})
        assert (corrected["cases"], corrected["mb_per_case"], corrected["progress"]) == (60, 2500.5, "complete")
        # Sending the frozen fields unchanged alongside is no change, so it is no refusal.
        same = cluster.backups.update_file(owner, backup["id"], hra["id"],
                                           dict(files.hra(), cases=61, mb_per_case=2500.5))
        assert same["cases"] == 61
        assert cluster.backups.get_backup(owner, backup["id"])["total_mb"] == 61 * 2500.5 + 50 * 2000

        locked_calls = [
            lambda: cluster.backups.add_file(owner, backup["id"], dict(files.hra(), accession="HRA000569")),
            lambda: cluster.backups.delete_file(owner, backup["id"], other["id"]),
            lambda: cluster.backups.update_file(owner, backup["id"], hra["id"], {"accession": "HRA000569"}),
            lambda: cluster.backups.update_file(owner, backup["id"], hra["id"],
                                                {"submission_account": "wangwu@big.ac.cn"}),
            lambda: cluster.backups.update_file(owner, backup["id"], hra["id"],
                                                {"detailed_type": "analysis_statistics"}),
            lambda: cluster.backups.update_backup(owner, backup["id"], {"name": "新名称"}),
            lambda: cluster.backups.update_backup(owner, backup["id"], {"categories": ["wgs"]}),
            lambda: cluster.backups.submit(owner, backup["id"]),
        ]
        for call in locked_calls:
            with pytest.raises(Conflict) as caught:
                call()
            assert caught.value.code == "backup_locked"
            assert caught.value.message_zh.startswith("备份已获得备份号并锁定")
        after = cluster.backups.get_backup(owner, backup["id"])
    assert after["file_count"] == 2 and after["name"] == backup["name"]
    assert [f["accession"] for f in after["files"]] == ["HRA000567", "HRA000568"]
    assert lifecycle.count(data_files) == 2


def test_history_is_the_bilingual_masked_timeline(lifecycle, files):
    owner = lifecycle.provision(name="张晓寒")
    project = lifecycle.project(owner)
    with lifecycle.rpc(correlation_id="req-history-create") as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {
            "name": BACKUP_NAME, "categories": ["targeted"]})
    with lifecycle.rpc(correlation_id="req-history-files") as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        cluster.backups.update_file(owner, backup["id"], omix["id"], {"cases": 12})
        cluster.backups.request_verification_code(owner, backup["id"], omix["id"])
        cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
        cluster.backups.update_backup(owner, backup["id"], {"name": "改名后的备份"})
    with lifecycle.rpc(correlation_id="req-history-submit") as cluster:
        submitted = cluster.backups.submit(owner, backup["id"])
        history = cluster.backups.history(owner, backup["id"])

    assert [h["event_type"] for h in history] == [
        "BackupCreated", "DataFileAdded", "DataFileUpdated", "DataFileVerified", "BackupRenamed",
        "BackupSubmitted"]
    assert {(h["actor_id"], h["actor_name"]) for h in history} == {(owner, "张晓寒")}
    assert [h["correlation_id"] for h in history] == [
        "req-history-create"] + ["req-history-files"] * 4 + ["req-history-submit"]
    times = [datetime.fromisoformat(h["at"]) for h in history]
    assert times == sorted(times)  # oldest first
    assert history[0]["summary_zh"] == (f"创建备份“{BACKUP_NAME}”（项目“{project['name']}”），"
                                        "涉及内容：基因组靶向测序相关数据")
    assert history[1]["summary_en"] == ("Added file OMIX001226 (Statistics and analysis data, OMIX, "
                                        "10 cases × 5 MB per case), progress: awaiting verification")
    assert history[2]["summary_zh"] == "修改文件 OMIX001226：合计例数（进度：待验证）"
    assert history[4]["summary_en"] == f"Renamed the backup from “{BACKUP_NAME}” to “改名后的备份”"
    assert submitted["backup_number"] in history[5]["summary_zh"]
    # Details are the event data with e-mail addresses masked; nothing in clear anywhere.
    assert history[1]["details"]["submission_account"] == "z***@big.ac.cn"
    assert history[5]["details"]["pi_email"] == "d***@big.ac.cn"
    assert history[5]["details"]["backup_number"] == submitted["backup_number"]
    dumped = json.dumps(history, ensure_ascii=False)
    assert "zhangxx@" not in dumped and "data-admin@" not in dumped
