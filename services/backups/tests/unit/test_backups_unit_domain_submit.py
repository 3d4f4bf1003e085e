"""Submission: numbering, the public event, and what stays editable afterwards (plain Python)."""
from datetime import UTC, datetime

import pytest

from hgrip_backups.domain import COMPLETED
from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import Conflict


@pytest.fixture
def submitted(domain):
    backup = domain.backup(categories=["targeted"])
    hra = domain.add(backup)
    omix = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                      cases=10, mb_per_case=5, submission_account="zhangxx@big.ac.cn")
    backup.dataset_verified(omix.id, "OMIX", "OMIX001226", "2023-06-28T10:03:53+00:00")
    asked = []
    number = backup.submit(datetime(2023, 6, 28, 8, 3, 53, tzinfo=UTC),
                           lambda day: asked.append(day) or 16036)
    return backup, hra, omix, number, asked


def test_submit_numbers_locks_and_publishes(submitted, domain):
    backup, hra, omix, number, asked = submitted
    assert number == "BF2023062816036"  # the manual's example number
    assert asked == ["20230628"]
    assert (backup.status, backup.locked, backup.backup_number) == (COMPLETED, True, number)
    event = backup.pending[-1]
    assert event.type == "BackupSubmitted"
    registry.validate("backups", "BackupSubmitted", 1, event.data)  # the published contract
    assert event.data == {
        "backup_id": backup.backup_id, "backup_number": "BF2023062816036",
        "project_id": domain.project["id"], "project_name": domain.project["name"],
        "name": "三例样本（父母子）的测序数据对外提供", "categories": ["targeted"],
        "owner_id": domain.project["owner_id"], "institution_code": "NGDC", "unit_code": "U1",
        "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "file_count": 2, "total_mb": 100050,
        "submitted_at": "2023-06-28T08:03:53+00:00",
        "files": [
            {"file_id": hra.id, "detailed_type": "raw_sequencing", "repository": "GSA-Human",
             "accession": "HRA000567", "cases": 50, "mb_per_case": 2000},
            {"file_id": omix.id, "detailed_type": "analysis_statistics", "repository": "OMIX",
             "accession": "OMIX001226", "cases": 10, "mb_per_case": 5}],
    }


def test_the_submission_date_is_beijings(domain):
    backup = domain.backup()
    domain.add(backup)
    # 16:30 UTC on the 28th is 00:30 on the 29th in Beijing.
    number = backup.submit(datetime(2023, 6, 28, 16, 30, tzinfo=UTC), lambda day: 1)
    assert number == "BF2023062900001"


def test_after_submission_only_cases_and_size_per_case_change(submitted, domain):
    backup, hra, omix, number, _ = submitted
    corrected = backup.update_file(hra.id, {"cases": 52, "mb_per_case": 1999.5}, domain.now)
    assert (corrected.cases, corrected.mb_per_case) == (52, 1999.5)
    assert backup.total_mb == 52 * 1999.5 + 50
    # The frozen fields, sent with their current values, are no change.
    backup.update_file(hra.id, {"accession": "HRA000567", "detailed_type": "raw_sequencing",
                                "submission_account": "data-admin@big.ac.cn", "cases": 53},
                       domain.now)
    refused = [
        lambda: backup.update_file(hra.id, {"accession": "HRA000568"}, domain.now, domain.confirmed),
        lambda: backup.update_file(hra.id, {"submission_account": "a@b.cn"}, domain.now, domain.confirmed),
        lambda: backup.update_file(omix.id, {"detailed_type": "other_biomarker", "cases": 3},
                                   domain.now, domain.confirmed),
        lambda: backup.delete_file(hra.id, domain.now),
        lambda: domain.add(backup, accession="HRA000568"),
        lambda: backup.update(name="新名称"),
        lambda: backup.update(categories=["wgs"]),
        lambda: backup.submit(domain.now, lambda day: 2),
    ]
    count = len(backup.pending)
    for command in refused:
        with pytest.raises(Conflict) as caught:
            command()
        assert caught.value.code == "backup_locked"
    assert len(backup.pending) == count
    assert backup.backup_number == number and backup.files[omix.id].cases == 10
