"""BackupsService RPCs on PostgreSQL + RabbitMQ: refusals, privacy, repository checks, peers."""
import uuid

import pytest
from sqlalchemy import select

from hgrip_backups.adapters.tables import backups, data_files
from hgrip_kernel.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from hgrip_kernel.store.tables import events, outbox


def test_health_and_taxonomy(lifecycle):
    with lifecycle.rpc() as cluster:
        assert cluster.backups.health() == {"service": "backups", "ok": True, "database": "ok"}
        served = cluster.backups.taxonomy()
        assert cluster.backups.taxonomy(str(uuid.uuid4())) == served
    assert [c["code"] for c in served["categories"]] == [
        "wgs", "chip", "wes", "targeted", "epigenome", "transcriptome"]
    assert len(served["detailed_types"]) == 10 and len(served["repositories"]) == 5


def test_list_is_the_projects_backups_newest_first_without_files(lifecycle, manual_backup, files):
    owner, project, first = manual_backup
    other_project = lifecycle.project(owner)
    with lifecycle.rpc() as cluster:
        cluster.backups.add_file(owner, first["id"], files.hra())
        second = cluster.backups.create_backup(owner, project["id"], {"name": "第二个", "categories": ["wgs"]})
        cluster.backups.create_backup(owner, other_project["id"], {"name": "别的项目", "categories": ["wgs"]})
        listed = cluster.backups.list_backups(owner, project["id"])
    assert [b["id"] for b in listed] == [second["id"], first["id"]]
    assert "files" not in listed[0]
    assert (listed[1]["file_count"], listed[1]["total_mb"]) == (1, 100000)


def test_dataset_refusals_pass_through_and_change_nothing(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    before = lifecycle.count(events)
    with lifecycle.rpc() as cluster:
        for payload in (dict(files.hra(), accession="HRA000999"),                 # unknown dataset
                        dict(files.hra(), submission_account="zhangxx@big.ac.cn")):  # someone else's
            with pytest.raises(InvalidInput) as caught:
                cluster.backups.add_file(owner, backup["id"], payload)
            assert caught.value.code == "dataset_account_mismatch"
            assert caught.value.message_zh == "提交账号与数据集序列号不匹配"
            assert caught.value.message == "The submission account and the dataset accession do not match."
        with pytest.raises(ServiceUnavailable) as caught:
            cluster.backups.add_file(owner, backup["id"], {
                "detailed_type": "other_biomarker", "cases": 1, "mb_per_case": 1,
                "submission_account": "a@big.ac.cn", "accession": "OMIX999999"})
        assert (caught.value.code, caught.value.http_status) == ("repository_unavailable", 503)
        backup_now = cluster.backups.get_backup(owner, backup["id"])
    assert backup_now["files"] == [] and backup_now["file_count"] == 0
    assert lifecycle.count(events) == before and lifecycle.count(data_files) == 0


def test_domain_refusals_come_before_any_repository_check(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        cluster.backups.add_file(owner, backup["id"], files.hra())
        checks = list(lifecycle.verification.checks)
        refusals = [
            (dict(files.hra(), detailed_type="gwas", accession="GVM000404"), "detailed_type_not_allowed"),
            (dict(files.hra(), accession="HRA00567"), "accession_format_invalid"),
            (dict(files.hra(), cases=3), "accession_already_in_backup"),
            (dict(files.hra(), cases=0, extra=1), "invalid_input"),
        ]
        for payload, code in refusals:
            with pytest.raises((InvalidInput, Conflict)) as caught:
                cluster.backups.add_file(owner, backup["id"], payload)
            assert caught.value.code == code
    assert lifecycle.verification.checks == checks
    assert caught.value.details.keys() == {"cases", "extra"}


def test_changing_account_or_accession_rechecks_ownership(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        lifecycle.verification.checks.clear()

        resized = cluster.backups.update_file(owner, backup["id"], omix["id"], {"cases": 11})
        assert resized["cases"] == 11 and lifecycle.verification.checks == []

        # OMIX001228 belongs to the PI: re-checked, and complete by the PI rule.
        moved = cluster.backups.update_file(owner, backup["id"], omix["id"], {
            "accession": "OMIX001228", "submission_account": "DATA-ADMIN@big.ac.cn"})
        assert (moved["accession"], moved["progress"]) == ("OMIX001228", "complete")
        assert lifecycle.verification.checks == [("OMIX", "OMIX001228", "DATA-ADMIN@big.ac.cn")]

        with pytest.raises(InvalidInput) as caught:  # zhangxx did not submit OMIX001228
            cluster.backups.update_file(owner, backup["id"], omix["id"],
                                        {"submission_account": "zhangxx@big.ac.cn"})
        assert caught.value.code == "dataset_account_mismatch"

        back = cluster.backups.update_file(owner, backup["id"], omix["id"], {
            "accession": "OMIX001227", "submission_account": "zhangxx@big.ac.cn"})
        assert back["progress"] == "pending_verification"
        assert back["updated_at"] > back["created_at"]
        stored = cluster.backups.get_backup(owner, backup["id"])["files"]
    assert stored == [back]


def test_category_change_refusal_names_the_stranded_files(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        with pytest.raises(Conflict) as caught:
            cluster.backups.update_backup(owner, backup["id"], {"categories": ["chip"]})
        assert caught.value.code == "category_change_strands_files"
        assert caught.value.details == {"files": [
            {"id": omix["id"], "detailed_type": "analysis_statistics", "accession": "OMIX001226"}]}
        changed = cluster.backups.update_backup(owner, backup["id"], {
            "name": " 改名 ", "categories": ["wgs", "targeted"]})
    assert (changed["name"], changed["categories"]) == ("改名", ["wgs", "targeted"])
    [row] = lifecycle.rows(select(backups.c.name, backups.c.categories, backups.c.version))
    assert tuple(row) == ("改名", ["wgs", "targeted"], 4)


def test_delete_file(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        hra = cluster.backups.add_file(owner, backup["id"], files.hra())
        assert cluster.backups.get_file(owner, backup["id"], hra["id"].upper()) == hra
        assert cluster.backups.delete_file(owner, backup["id"], hra["id"].upper()) == {"deleted": hra["id"]}
        with pytest.raises(NotFound) as caught:
            cluster.backups.get_file(owner, backup["id"], hra["id"])
        assert caught.value.code == "file_not_found"
        with pytest.raises(NotFound) as caught:
            cluster.backups.delete_file(owner, backup["id"], hra["id"])
        assert caught.value.code == "file_not_found"
        again = cluster.backups.add_file(owner, backup["id"], files.hra())  # the accession is free
        assert cluster.backups.get_backup(owner, backup["id"])["files"] == [again]


def test_someone_elses_backup_is_not_found_by_every_rpc(lifecycle, manual_backup, files):
    owner, project, backup = manual_backup
    with lifecycle.rpc() as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
    stranger = lifecycle.provision(name="王五")
    before = lifecycle.count(events)
    calls = {
        "get_backup": lambda c, b: c.backups.get_backup(stranger, b),
        "get_file": lambda c, b: c.backups.get_file(stranger, b, omix["id"]),
        "update_backup": lambda c, b: c.backups.update_backup(stranger, b, {"name": "偷改"}),
        "add_file": lambda c, b: c.backups.add_file(stranger, b, files.hra()),
        "update_file": lambda c, b: c.backups.update_file(stranger, b, omix["id"], {"cases": 1}),
        "delete_file": lambda c, b: c.backups.delete_file(stranger, b, omix["id"]),
        "request_verification_code": lambda c, b: c.backups.request_verification_code(stranger, b, omix["id"]),
        "verify_file": lambda c, b: c.backups.verify_file(stranger, b, omix["id"], "320000"),
        "submit": lambda c, b: c.backups.submit(stranger, b),
        "history": lambda c, b: c.backups.history(stranger, b),
    }
    with lifecycle.rpc() as cluster:
        for name, call in calls.items():
            # Someone else's, missing, malformed: the same answer, so existence is never revealed.
            for backup_id in (backup["id"], str(uuid.uuid4()), "not-a-uuid"):
                with pytest.raises(NotFound) as caught:
                    call(cluster, backup_id)
                assert (caught.value.code, caught.value.message_zh) == ("backup_not_found", "备份不存在。"), name
        # The project is not theirs either.
        for call in (lambda: cluster.backups.list_backups(stranger, project["id"]),
                     lambda: cluster.backups.create_backup(stranger, project["id"],
                                                           {"name": "x", "categories": ["wgs"]})):
            with pytest.raises(NotFound) as caught:
                call()
            assert caught.value.code == "project_not_found"
        assert cluster.backups.get_backup(owner, backup["id"])["files"] == [omix]
    assert lifecycle.count(events) == before
    assert lifecycle.verification.sent == []


def test_a_missing_peer_is_a_503_not_a_crash(backups):
    # Only backups runs on this vhost: projects has never declared its queue.
    with backups.rpc() as cluster, pytest.raises(ServiceUnavailable) as caught:
        cluster.backups.create_backup(str(uuid.uuid4()), str(uuid.uuid4()),
                                      {"name": "x", "categories": ["wgs"]})
    assert (caught.value.code, caught.value.details) == ("service_unavailable", {"service": "projects"})
    assert backups.count(events) == backups.count(outbox) == 0


def test_a_code_for_the_previous_accession_does_not_complete_the_file(lifecycle, manual_backup, files):
    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        cluster.backups.request_verification_code(owner, backup["id"], omix["id"])
        cluster.backups.update_file(owner, backup["id"], omix["id"], {"accession": "OMIX001227"})
        with pytest.raises(Conflict) as caught:
            cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
        assert caught.value.code == "verification_outdated"
        [still] = cluster.backups.get_backup(owner, backup["id"])["files"]
    assert (still["accession"], still["progress"]) == ("OMIX001227", "pending_verification")
    assert lifecycle.events(f"backup-{backup['id']}", "DataFileVerified") == []
