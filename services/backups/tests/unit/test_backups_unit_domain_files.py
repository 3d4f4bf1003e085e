"""Data files: detailed type → repository, accession rules, repository checks, progress (plain Python)."""
import pytest

from hgrip_backups.domain import (
    ALREADY_COMPLETE,
    APPLIED,
    COMPLETE,
    DATASET_CHANGED,
    FILE_GONE,
    PENDING,
    DatasetCheckNeeded,
)
from hgrip_backups.domain.data_file import as_number, progress_for, total_mb
from hgrip_kernel.errors import Conflict, InvalidInput

FILE_ID = "9f0c1e2d-3b4a-4c5d-8e6f-7a8b9c0d1e2f"


def test_the_pi_account_is_complete_at_once_case_insensitively(domain):
    backup = domain.backup()
    data_file = domain.add(backup, submission_account="Data-Admin@BIG.ac.cn")
    assert data_file.progress == COMPLETE
    [_, added] = backup.pending
    assert added.type == "DataFileAdded"
    assert added.data == {
        "backup_id": backup.backup_id, "file_id": data_file.id, "detailed_type": "raw_sequencing",
        "repository": "GSA-Human", "cases": 50, "mb_per_case": 2000,
        "submission_account": "Data-Admin@BIG.ac.cn", "accession": "HRA000567",
        "progress": "complete", "at": "2023-06-28T08:00:00+00:00"}
    assert (data_file.created_at, data_file.updated_at) == (added.data["at"], added.data["at"])


def test_another_account_awaits_verification(domain):
    backup = domain.backup()
    data_file = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                           cases=10, mb_per_case=5, submission_account="zhangxx@big.ac.cn")
    assert (data_file.repository, data_file.progress) == ("OMIX", PENDING)
    assert backup.file_awaiting_verification(data_file.id) == data_file


@pytest.mark.parametrize("account,expected", [
    ("data-admin@big.ac.cn", COMPLETE), ("DATA-ADMIN@BIG.AC.CN", COMPLETE),
    (" data-admin@big.ac.cn ", COMPLETE), ("data-admin@big.ac.com", PENDING),
    ("admin@big.ac.cn", PENDING),
])
def test_progress_rule(account, expected):
    assert progress_for(account, "Data-Admin@big.ac.cn") == expected


def test_the_repository_must_confirm_before_anything_is_recorded(domain):
    backup = domain.backup()
    with pytest.raises(DatasetCheckNeeded) as caught:
        backup.add_file(FILE_ID, domain.details(), domain.now)
    assert caught.value.dataset == ("GSA-Human", "HRA000567", "data-admin@big.ac.cn")
    assert backup.files == {} and len(backup.pending) == 1
    # Confirmed for another account is not confirmed for this one.
    with pytest.raises(DatasetCheckNeeded):
        backup.add_file(FILE_ID, domain.details(), domain.now,
                        {("GSA-Human", "HRA000567", "someone@big.ac.cn")})
    added = backup.add_file(FILE_ID, domain.details(), domain.now,
                            {("GSA-Human", "HRA000567", "data-admin@big.ac.cn")})
    assert added.id == FILE_ID


def test_rules_are_checked_before_asking_the_repository(domain):
    backup = domain.backup(categories=["targeted"])
    with pytest.raises(InvalidInput) as caught:  # not DatasetCheckNeeded: no pointless remote call
        backup.add_file(FILE_ID, domain.details(accession="HRA0005670"), domain.now)
    assert caught.value.code == "accession_format_invalid"


@pytest.mark.parametrize("detailed_type,good,bad", [
    ("raw_sequencing", "HRA000567", ["HRA00567", "hra000567", "HRA0005670", "CRA000567", "HRA000567\n"]),
    ("genome_assembly", "GWHAAAA00000000", ["GWHAAA00000000", "GWHaaaa00000000", "GWHAAAA0000000"]),
    ("genome_assembly", "GWHBCDE12345678.2", ["GWHBCDE12345678.", "GWHBCDE12345678.x"]),
    ("genome_variation", "GVM000404", ["GVM00404", "GVM0004041"]),
    ("sequence_biomarker", "C_AA004835.1", ["C_AA004835", "C_A004835.1", "CAA004835.1"]),
    ("analysis_statistics", "OMIX001226", ["OMX001226", "OMIX001226-1", "OMIX1226"]),
    ("analysis_statistics", "OMIX001226-01", ["OMIX001226-001"]),
])
def test_accession_must_have_its_repository_format(domain, detailed_type, good, bad):
    backup = domain.backup(categories=["wgs", "targeted"])
    assert domain.add(backup, detailed_type=detailed_type, accession=good).accession == good
    for accession in bad:
        with pytest.raises(InvalidInput) as caught:
            domain.add(backup, detailed_type=detailed_type, accession=accession)
        assert caught.value.code == "accession_format_invalid", accession


def test_the_same_accession_once_per_backup_but_in_many_backups(domain):
    first, second = domain.backup(), domain.backup()
    domain.add(first)
    domain.add(second)
    with pytest.raises(Conflict) as caught:
        domain.add(first, cases=1, submission_account="x@y.cn")
    assert caught.value.code == "accession_already_in_backup"


def test_update_cases_and_size_needs_no_check(domain):
    backup = domain.backup()
    data_file = domain.add(backup)
    updated = backup.update_file(data_file.id, {"cases": 60, "mb_per_case": 2500.5}, domain.now)
    assert (updated.cases, updated.mb_per_case, updated.progress) == (60, 2500.5, COMPLETE)
    assert backup.pending[-1].data["changed"] == ["cases", "mb_per_case"]
    assert backup.total_mb == as_number(60 * 2500.5)


def test_changing_account_or_accession_rechecks_and_resets_progress(domain):
    backup = domain.backup()
    data_file = domain.add(backup)
    with pytest.raises(DatasetCheckNeeded) as caught:
        backup.update_file(data_file.id, {"submission_account": "wangwu@big.ac.cn",
                                          "accession": "HRA000569"}, domain.now)
    assert caught.value.dataset == ("GSA-Human", "HRA000569", "wangwu@big.ac.cn")
    assert backup.files[data_file.id] == data_file  # nothing changed

    pending = backup.update_file(data_file.id, {"submission_account": "wangwu@big.ac.cn",
                                                "accession": "HRA000569"}, domain.now,
                                 domain.confirmed)
    assert pending.progress == PENDING
    assert backup.pending[-1].data["changed"] == ["submission_account", "accession", "progress"]
    # Back to the PI's own account: complete again, by the same rule.
    complete = backup.update_file(data_file.id, {"submission_account": "DATA-ADMIN@big.ac.cn"},
                                  domain.now, domain.confirmed)
    assert complete.progress == COMPLETE


def test_a_verified_file_that_changes_dataset_must_be_verified_again(domain):
    backup = domain.backup()
    data_file = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                           submission_account="zhangxx@big.ac.cn")
    backup.dataset_verified(data_file.id, "OMIX", "OMIX001226", "2023-06-28T10:00:00+00:00")
    assert backup.files[data_file.id].progress == COMPLETE
    moved = backup.update_file(data_file.id, {"accession": "OMIX001227"}, domain.now, domain.confirmed)
    assert moved.progress == PENDING


def test_changing_the_type_moves_the_file_to_its_repository(domain):
    backup = domain.backup(categories=["wgs"])
    variation = domain.add(backup, detailed_type="genome_variation", accession="GVM000404",
                           submission_account="gvm-submitter@big.ac.cn")
    # Same repository (GVM): same dataset, no new check, progress kept.
    gwas = backup.update_file(variation.id, {"detailed_type": "gwas"}, domain.now)
    assert (gwas.repository, gwas.progress) == ("GVM", PENDING)
    assert backup.pending[-1].data["changed"] == ["detailed_type"]
    # Another repository: the accession must fit it …
    with pytest.raises(InvalidInput) as caught:
        backup.update_file(variation.id, {"detailed_type": "raw_sequencing"}, domain.now, domain.confirmed)
    assert caught.value.code == "accession_format_invalid"
    assert caught.value.details["repository"] == "GSA-Human"
    # … and the repository must confirm it.
    with pytest.raises(DatasetCheckNeeded) as needed:
        backup.update_file(variation.id, {"detailed_type": "raw_sequencing", "accession": "HRA000567",
                                          "submission_account": "data-admin@big.ac.cn"}, domain.now)
    assert needed.value.dataset == ("GSA-Human", "HRA000567", "data-admin@big.ac.cn")
    # A type the categories do not allow is refused as such.
    with pytest.raises(InvalidInput) as caught:
        backup.update_file(variation.id, {"detailed_type": "chip_raw"}, domain.now, domain.confirmed)
    assert caught.value.code == "detailed_type_not_allowed"


def test_an_update_to_the_same_values_records_nothing(domain):
    backup = domain.backup()
    data_file = domain.add(backup)
    count = len(backup.pending)
    same = backup.update_file(data_file.id, {"cases": 50, "mb_per_case": 2000.0,
                                             "accession": "HRA000567"}, domain.now)
    assert same == data_file and len(backup.pending) == count


def test_an_accession_may_not_move_onto_another_files(domain):
    backup = domain.backup()
    domain.add(backup)
    other = domain.add(backup, accession="HRA000568")
    with pytest.raises(Conflict) as caught:
        backup.update_file(other.id, {"accession": "HRA000567"}, domain.now, domain.confirmed)
    assert caught.value.code == "accession_already_in_backup"


def test_delete_before_submission(domain):
    backup = domain.backup()
    data_file = domain.add(backup)
    backup.delete_file(data_file.id, domain.now)
    assert backup.files == {}
    assert backup.pending[-1].data == {"backup_id": backup.backup_id, "file_id": data_file.id,
                                       "accession": "HRA000567", "at": "2023-06-28T08:00:00+00:00"}
    # The accession is free again in this backup.
    assert domain.add(backup).accession == "HRA000567"


def test_dataset_verified_applies_once_and_ignores_stale_news(domain):
    backup = domain.backup()
    pending = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                         submission_account="zhangxx@big.ac.cn")
    at = "2023-06-28T10:03:53+00:00"
    assert backup.dataset_verified(pending.id, "OMIX", "OMIX001227", at) == DATASET_CHANGED
    assert backup.dataset_verified(FILE_ID, "OMIX", "OMIX001226", at) == FILE_GONE
    assert backup.files[pending.id].progress == PENDING
    assert backup.dataset_verified(pending.id, "OMIX", "OMIX001226", at) == APPLIED
    assert backup.pending[-1].type == "DataFileVerified"
    assert backup.pending[-1].data == {"backup_id": backup.backup_id, "file_id": pending.id,
                                       "repository": "OMIX", "accession": "OMIX001226",
                                       "verified_at": at}
    assert (backup.files[pending.id].progress, backup.files[pending.id].updated_at) == (COMPLETE, at)
    count = len(backup.pending)
    assert backup.dataset_verified(pending.id, "OMIX", "OMIX001226", at) == ALREADY_COMPLETE
    assert len(backup.pending) == count


def test_total_mb_is_the_sum_of_cases_times_size():
    class F:
        def __init__(self, cases, mb):
            self.cases, self.mb_per_case = cases, mb

    assert total_mb([]) == 0
    assert total_mb([F(50, 2000), F(10, 5)]) == 100050
    assert isinstance(total_mb([F(50, 2000), F(10, 5)]), int)
    assert total_mb([F(3, 0.1)]) == 0.3          # not 0.30000000000000004
    assert total_mb([F(2, 2.25), F(1, 0.5)]) == 5
    assert as_number(2000.0) == 2000 and as_number(2.5) == 2.5
