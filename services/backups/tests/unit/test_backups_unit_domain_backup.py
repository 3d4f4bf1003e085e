"""The Backup aggregate: creation from a project, renaming, content categories (plain Python)."""
import pytest

from hgrip_backups.domain import DRAFT, Backup
from hgrip_kernel.errors import Conflict, InvalidInput


def _types(backup):
    return [e.type for e in backup.pending]


def test_create_snapshots_the_project(domain):
    backup = domain.backup(categories=["targeted", "wgs"], name="  对外提供  ")
    [created] = backup.pending
    assert created.type == "BackupCreated"
    assert created.data == {
        "backup_id": backup.backup_id, "project_id": domain.project["id"],
        "project_name": "三例样本（父母子）的测序数据开放共享备案",
        "owner_id": domain.project["owner_id"], "name": "对外提供",
        "categories": ["targeted", "wgs"], "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn",
        "institution_code": "NGDC", "unit_code": "U1", "created_at": "2023-06-28T08:00:00+00:00",
    }
    assert backup.id == f"backup-{backup.backup_id}" and Backup.stream_type == "backup"
    assert (backup.status, backup.backup_number, backup.files, backup.total_mb) == (DRAFT, None, {}, 0)


def test_a_project_without_unit_gives_a_null_unit(domain):
    assert domain.backup(unit=None).pending[0].data["unit_code"] is None


@pytest.mark.parametrize("name,categories,field", [
    ("", ["wgs"], "name"),
    ("   ", ["wgs"], "name"),
    ("x" * 201, ["wgs"], "name"),
    ("ok", [], "categories"),
    ("ok", ["wgs", "wgs"], "categories"),
    ("ok", ["metagenome"], "categories"),
    ("ok", "wgs", "categories"),
])
def test_create_refuses_bad_name_or_categories(domain, name, categories, field):
    with pytest.raises(InvalidInput) as caught:
        domain.backup(name=name, categories=categories)
    assert caught.value.code == "invalid_input" and set(caught.value.details) == {field}


def test_rename_and_recategorise(domain):
    backup = domain.backup(categories=["targeted"])
    domain.add(backup)  # raw_sequencing: allowed by wgs too
    backup.update(name=" 新名称 ", categories=["wgs", "chip"])
    assert _types(backup)[-2:] == ["BackupRenamed", "BackupCategoriesChanged"]
    assert backup.pending[-2].data == {"backup_id": backup.backup_id, "name": "新名称",
                                       "previous_name": "三例样本（父母子）的测序数据对外提供"}
    assert backup.pending[-1].data == {"backup_id": backup.backup_id, "categories": ["wgs", "chip"],
                                       "previous_categories": ["targeted"]}
    assert (backup.name, backup.categories) == ("新名称", ["wgs", "chip"])


def test_equal_values_are_no_change(domain):
    backup = domain.backup(categories=["targeted", "wgs"])
    backup.update(name=" 三例样本（父母子）的测序数据对外提供", categories=["wgs", "targeted"])
    backup.update()
    assert _types(backup) == ["BackupCreated"]


def test_a_category_change_may_not_strand_files_and_says_which(domain):
    backup = domain.backup(categories=["targeted", "chip"])
    raw = domain.add(backup)                                                   # wgs allows it
    biomarker = domain.add(backup, detailed_type="sequence_biomarker", accession="C_AA004835.1")
    chip = domain.add(backup, detailed_type="chip_raw", accession="OMIX001227")
    with pytest.raises(Conflict) as caught:
        backup.update(categories=["wgs"])
    assert caught.value.code == "category_change_strands_files"
    assert caught.value.details["files"] == [
        {"id": biomarker.id, "detailed_type": "sequence_biomarker", "accession": "C_AA004835.1"},
        {"id": chip.id, "detailed_type": "chip_raw", "accession": "OMIX001227"}]
    assert backup.categories == ["targeted", "chip"]
    # Once those files are gone the change goes through; a rename in the same call does not
    # happen when the category change is refused.
    with pytest.raises(Conflict):
        backup.update(name="另一个名字", categories=["wgs"])
    assert backup.name == "三例样本（父母子）的测序数据对外提供"
    backup.delete_file(biomarker.id, domain.now)
    backup.delete_file(chip.id, domain.now)
    backup.update(categories=["wgs"])
    assert backup.categories == ["wgs"] and list(backup.files) == [raw.id]


def test_rehydrating_the_stream_gives_the_same_state(domain):
    from types import SimpleNamespace

    backup = domain.backup()
    kept = domain.add(backup)
    gone = domain.add(backup, accession="HRA000568")
    pending = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                         submission_account="zhangxx@big.ac.cn", cases=10, mb_per_case=5)
    backup.update_file(kept.id, {"cases": 7}, domain.now)
    backup.delete_file(gone.id, domain.now)
    backup.dataset_verified(pending.id, "OMIX", "OMIX001226", "2023-06-28T10:03:53+00:00")
    backup.update(name="新名称")
    backup.submit(domain.now, lambda day: 36)

    stored = [SimpleNamespace(event_type=e.type, data=e.data, stream_version=n)
              for n, e in enumerate(backup.pending, start=1)]
    folded = Backup.rehydrate(backup.id, stored)
    assert folded.version == len(stored)
    for attribute in ("backup_id", "project_id", "project_name", "owner_id", "name", "categories",
                      "pi_name", "pi_email", "institution_code", "unit_code", "created_at", "files",
                      "backup_number", "submitted_at", "status", "total_mb"):
        assert getattr(folded, attribute) == getattr(backup, attribute), attribute
    assert folded.backup_number == "BF2023062800036"
    assert folded.total_mb == 7 * 2000 + 10 * 5
