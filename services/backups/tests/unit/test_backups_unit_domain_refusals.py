"""Every refusal of the backups domain, raised by the rule it belongs to: code, HTTP status,
English and Chinese message, details; and the command that raised it recorded nothing."""
import pytest

from hgrip_backups.domain import refusals
from hgrip_kernel.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable

MISSING = "00000000-0000-4000-8000-000000000000"


def _submitted(domain):
    backup = domain.backup()
    domain.add(backup)
    backup.submit(domain.now, lambda day: 1)
    return backup


def _pending_file(domain):
    backup = domain.backup()
    pending = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                         cases=10, mb_per_case=5, submission_account="zhangxx@big.ac.cn")
    return backup, pending


def _stranding(domain):
    backup = domain.backup(categories=["targeted"])
    domain.add(backup, detailed_type="sequence_biomarker", accession="C_AA004835.1")
    return backup, lambda: backup.update(categories=["wgs"])


# Each situation: domain builders -> (backup, the command that must be refused).
def locked(d):
    backup = _submitted(d)
    return backup, lambda: d.add(backup, accession="HRA000568")


def type_not_allowed(d):
    backup = d.backup(categories=["targeted"])
    return backup, lambda: d.add(backup, detailed_type="gwas", accession="GVM000404")


def bad_accession(d):
    backup = d.backup()  # the manual's own typo: "OMX001226" is not an OMIX accession
    return backup, lambda: d.add(backup, detailed_type="analysis_statistics", accession="OMX001226")


def duplicate_accession(d):
    backup = d.backup()
    d.add(backup)
    return backup, lambda: d.add(backup, cases=1)


def no_files(d):
    backup = d.backup()
    return backup, lambda: backup.submit(d.now, lambda day: 1)


def unverified(d):
    backup, _ = _pending_file(d)
    return backup, lambda: backup.submit(d.now, lambda day: 1)


def already_verified(d):
    backup = d.backup()
    complete = d.add(backup)
    return backup, lambda: backup.file_awaiting_verification(complete.id)


def missing_file(d):
    backup = d.backup()
    return backup, lambda: backup.update_file(MISSING, {"cases": 2}, d.now)


def repeated_category(d):
    backup = d.backup()
    return backup, lambda: backup.update(categories=["wgs", "wgs"])


def serials_used_up(d):
    backup = d.backup()
    d.add(backup)
    return backup, lambda: backup.submit(d.now, lambda day: 100_000)


CASES = {
    # code: (situation, error class, HTTP status, message, message_zh)
    "backup_locked": (
        locked, Conflict, 409,
        "The backup has a backup number and is locked: files cannot be added or removed, and only "
        "a file's case count and size per case can be corrected.",
        "备份已获得备份号并锁定：不能追加或删除文件，仅可修改文件的合计例数和规格。"),
    "category_change_strands_files": (
        _stranding, Conflict, 409,
        "The new content categories do not allow the detailed type of some files; change or "
        "delete those files first.",
        "修改后的涉及内容不再包含部分文件的详细类型，请先修改或删除这些文件。"),
    "detailed_type_not_allowed": (
        type_not_allowed, InvalidInput, 400,
        "This detailed type is not allowed by the backup's content categories.",
        "备份的涉及内容不包含该详细类型。"),
    "accession_format_invalid": (
        bad_accession, InvalidInput, 400,
        "The dataset accession does not have the format of OMIX (for example OMIX001226).",
        "数据集序列号不符合 OMIX 的编号格式（例如 OMIX001226）。"),
    "accession_already_in_backup": (
        duplicate_accession, Conflict, 409,
        "This dataset accession is already in the backup.", "该数据集序列号已在本备份中。"),
    "backup_has_no_files": (
        no_files, Conflict, 409,
        "Add at least one data file before submitting the backup.", "请至少添加一个数据文件后再提交备份。"),
    "files_not_verified": (
        unverified, Conflict, 409,
        "Every data file must be complete before the backup can be submitted; some are still "
        "awaiting verification.",
        "所有数据文件的进度为“完成”后才能提交备份，部分文件仍待验证。"),
    "file_already_verified": (
        already_verified, Conflict, 409,
        "This data file is already complete; it needs no verification.", "该数据文件已完成，无需验证。"),
    "file_not_found": (
        missing_file, NotFound, 404,
        "Data file not found in this backup.", "该备份中不存在此数据文件。"),
    "invalid_input": (
        repeated_category, InvalidInput, 400,
        "The request contains invalid fields.", "请求中有字段不符合要求。"),
    "backup_numbers_exhausted": (
        serials_used_up, ServiceUnavailable, 503,
        "No backup numbers are left for today; please submit again tomorrow.", "今日备份号已用尽，请明日再提交。"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_refusal_names_itself_in_both_languages_and_changes_nothing(domain, code):
    situation, error, status, message, message_zh = CASES[code]
    backup, command = situation(domain)
    before = (list(backup.pending), dict(backup.files), backup.name, list(backup.categories),
              backup.backup_number)
    with pytest.raises(error) as caught:
        command()
    refusal = caught.value
    assert (refusal.code, refusal.http_status) == (code, status)
    assert (refusal.message, refusal.message_zh) == (message, message_zh)
    after = (list(backup.pending), dict(backup.files), backup.name, list(backup.categories),
             backup.backup_number)
    assert after == before


def test_refusals_that_only_the_service_raises(domain):
    missing = refusals.backup_not_found()
    assert (missing.code, missing.http_status, missing.message, missing.message_zh) == (
        "backup_not_found", 404, "Backup not found.", "备份不存在。")
    outdated = refusals.verification_outdated()
    assert (outdated.code, outdated.http_status) == ("verification_outdated", 409)
    assert outdated.message_zh == "验证码所确认的数据集已不是该文件当前的数据集，请重新发送验证码。"
    away = refusals.service_unavailable("verification")
    assert (away.code, away.http_status, away.details) == ("service_unavailable", 503,
                                                           {"service": "verification"})
    assert away.message_zh == "请求所需的服务暂不可用，未做任何修改，请稍后重试。"
    raced = refusals.concurrent_modification()
    assert (raced.code, raced.http_status) == ("concurrent_modification", 409)
    assert raced.message_zh == "该记录同时被他人修改，请刷新后重试。"


def test_refusal_details(domain):
    backup, command = _stranding(domain)
    stranded_file = next(iter(backup.files.values()))
    with pytest.raises(Conflict) as caught:
        command()
    assert caught.value.details == {"files": [{"id": stranded_file.id,
                                               "detailed_type": "sequence_biomarker",
                                               "accession": "C_AA004835.1"}]}

    with pytest.raises(InvalidInput) as caught:
        domain.add(domain.backup(categories=["targeted"]), detailed_type="gwas", accession="GVM000404")
    assert caught.value.details == {"detailed_type": "gwas", "allowed": [
        "raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics"]}

    with pytest.raises(InvalidInput) as caught:
        domain.add(domain.backup(), accession="HRA00567")
    assert caught.value.details == {"repository": "GSA-Human", "pattern": r"^HRA\d{6}$",
                                    "example": "HRA000567"}

    with pytest.raises(Conflict) as caught:
        backup = domain.backup()
        domain.add(backup)
        domain.add(backup, cases=3)
    assert caught.value.details == {"accession": "HRA000567"}

    backup, pending = _pending_file(domain)
    domain.add(backup)
    with pytest.raises(Conflict) as caught:
        backup.submit(domain.now, lambda day: 1)
    assert caught.value.details == {"files": [{"id": pending.id, "detailed_type": "analysis_statistics",
                                               "accession": "OMIX001226"}]}


def test_a_refused_submit_allocates_no_serial(domain):
    asked = []
    backup, _ = _pending_file(domain)
    with pytest.raises(Conflict):
        backup.submit(domain.now, lambda day: asked.append(day) or 1)
    assert asked == []
