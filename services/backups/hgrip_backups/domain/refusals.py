"""Every refusal of the backups service: a stable code, an English and a Chinese message.

A refusal changes nothing. ``dataset_account_mismatch`` is not here: verification owns it and
its refusal reaches the caller unchanged.
"""
from hgrip_kernel.errors import (
    ConcurrencyError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    invalid_input,
)


def backup_not_found() -> NotFound:
    # Also for someone else's backup: existence is never revealed.
    return NotFound("backup_not_found", "Backup not found.", "备份不存在。")


def file_not_found() -> NotFound:
    return NotFound("file_not_found", "Data file not found in this backup.", "该备份中不存在此数据文件。")


def invalid_categories(messages: list[str]) -> InvalidInput:
    return invalid_input({"categories": messages})


def invalid_name(messages: list[str]) -> InvalidInput:
    return invalid_input({"name": messages})


def category_change_strands_files(files: list[dict]) -> Conflict:
    return Conflict("category_change_strands_files",
                    "The new content categories do not allow the detailed type of some files; "
                    "change or delete those files first.",
                    "修改后的涉及内容不再包含部分文件的详细类型，请先修改或删除这些文件。",
                    {"files": files})


def detailed_type_not_allowed(detailed_type: str, allowed: list[str]) -> InvalidInput:
    return InvalidInput("detailed_type_not_allowed",
                        "This detailed type is not allowed by the backup's content categories.",
                        "备份的涉及内容不包含该详细类型。",
                        {"detailed_type": detailed_type, "allowed": allowed})


def accession_format_invalid(repository: str, pattern: str, example: str) -> InvalidInput:
    return InvalidInput("accession_format_invalid",
                        f"The dataset accession does not have the format of {repository} "
                        f"(for example {example}).",
                        f"数据集序列号不符合 {repository} 的编号格式（例如 {example}）。",
                        {"repository": repository, "pattern": pattern, "example": example})


def accession_already_in_backup(accession: str) -> Conflict:
    return Conflict("accession_already_in_backup",
                    "This dataset accession is already in the backup.",
                    "该数据集序列号已在本备份中。",
                    {"accession": accession})


def backup_locked() -> Conflict:
    return Conflict("backup_locked",
                    "The backup has a backup number and is locked: files cannot be added or "
                    "removed, and only a file's case count and size per case can be corrected.",
                    "备份已获得备份号并锁定：不能追加或删除文件，仅可修改文件的合计例数和规格。")


def backup_has_no_files() -> Conflict:
    return Conflict("backup_has_no_files",
                    "Add at least one data file before submitting the backup.",
                    "请至少添加一个数据文件后再提交备份。")


def files_not_verified(files: list[dict]) -> Conflict:
    return Conflict("files_not_verified",
                    "Every data file must be complete before the backup can be submitted; "
                    "some are still awaiting verification.",
                    "所有数据文件的进度为“完成”后才能提交备份，部分文件仍待验证。",
                    {"files": files})


def file_already_verified() -> Conflict:
    return Conflict("file_already_verified",
                    "This data file is already complete; it needs no verification.",
                    "该数据文件已完成，无需验证。")


def verification_outdated() -> Conflict:
    # The code confirmed a dataset the file no longer cites (its accession changed since).
    return Conflict("verification_outdated",
                    "The code confirmed a dataset this file no longer cites; request a new code.",
                    "验证码所确认的数据集已不是该文件当前的数据集，请重新发送验证码。")


def backup_numbers_exhausted(day: str) -> ServiceUnavailable:
    return ServiceUnavailable("backup_numbers_exhausted",
                              "No backup numbers are left for today; please submit again tomorrow.",
                              "今日备份号已用尽，请明日再提交。", {"day": day})


def service_unavailable(service: str) -> ServiceUnavailable:
    return ServiceUnavailable("service_unavailable",
                              "A service this request needs is not available; nothing was changed. "
                              "Please try again later.",
                              "请求所需的服务暂不可用，未做任何修改，请稍后重试。", {"service": service})


def concurrent_modification() -> ConcurrencyError:
    # The kernel's wording: a request that kept losing races to other writers of the same backup.
    return ConcurrencyError(
        "concurrent_modification",
        "The record was changed by someone else at the same time; please reload and try again.",
        "该记录同时被他人修改，请刷新后重试。")


# --- institution views, delegation, claims ------------------------------------------------------
def operators_only() -> Forbidden:
    return Forbidden("operators_only", "Only a platform operator may do this.", "仅平台运维人员可以进行此操作。")


def institution_admins_only() -> Forbidden:
    return Forbidden("institution_admins_only",
                     "Only a legal person or a unit administrator of an institution may do this.",
                     "仅法人或单位管理员可以进行此操作。")


def member_not_found(field: str, username: str) -> NotFound:
    # Also for someone in another institution or unit: who exists elsewhere is not revealed.
    return NotFound("member_not_found",
                    f"{username!r} is not a member of your institution (or unit).",
                    f"“{username}”不是本单位（公司）的成员。",
                    {"field": field, "username": username})


def delegate_not_natural_person(username: str) -> Conflict:
    return Conflict("delegate_not_natural_person",
                    "Backups can be delegated to natural persons only.",
                    "备份只能委托给自然人。", {"username": username})


def delegate_not_employed(username: str) -> Conflict:
    return Conflict("delegate_not_employed",
                    "The new delegate has left the institution; choose a member who is employed.",
                    "新委托人已不在职，请选择在职成员。", {"username": username})


def delegate_not_authorised(username: str) -> Conflict:
    return Conflict("delegate_not_authorised",
                    "The new delegate is not authorised by the institution.",
                    "新委托人尚未获得单位授权。", {"username": username})


def delegation_to_same_person() -> InvalidInput:
    return InvalidInput("delegation_to_same_person",
                        "The new delegate is the current delegate.",
                        "新委托人与原委托人相同。")


def delegate_has_project_named(names: list[str]) -> Conflict:
    return Conflict("delegate_has_project_named",
                    "The new delegate already has projects with these names; project names are "
                    "unique per person, so the transfer cannot be made.",
                    "新委托人名下已有同名项目，项目名称在个人名下须唯一，无法完成委托调整。",
                    {"names": names})


# --- legacy backups: claims (manual "备份认领") ------------------------------------------------------
_SAME_INSTITUTION_ZH = "新委托人必须与原系统注册人属于同一家单位（公司），不支持跨单位（公司）认领"
_SAME_INSTITUTION_EN = ("The new delegate must belong to the same institution (company) as the "
                        "registrant on the old platform; claims across institutions are not supported")


def natural_persons_only() -> Forbidden:
    return Forbidden("natural_persons_only",
                     "Only a natural person can claim legacy backups this way; a legal person or "
                     "unit administrator claims them for a delegate instead.",
                     "仅自然人可以通过此方式认领原备份平台的备份信息；法人或单位管理员请使用为新委托人认领的功能。")


def legacy_registrant_not_found() -> NotFound:
    return NotFound("legacy_registrant_not_found",
                    "No backup with a backup number on the old platform is registered under this "
                    "name and mobile number.",
                    "原备份平台中没有以该注册人姓名和手机号登记的已获得备份号的备份信息。")


def legacy_already_claimed() -> Conflict:
    return Conflict("legacy_already_claimed",
                    "These legacy backups have already been claimed; a backup claimed once cannot "
                    "be claimed again.",
                    "该备份信息已被认领，备份信息一旦认领成功，不可再次认领。")


def claim_other_institution(registrant_institution: str, claimant_institution: str | None) -> Conflict:
    return Conflict("claim_other_institution",
                    f"{_SAME_INSTITUTION_EN}. The registrant's institution on the old platform is "
                    f"“{registrant_institution}”, the new delegate's is “{claimant_institution or '—'}”. "
                    "If the claim fails only because a few characters of the institution's name "
                    "differ, please contact us.",
                    f"{_SAME_INSTITUTION_ZH}。原系统注册人的单位为“{registrant_institution}”，新委托人的单位为"
                    f"“{claimant_institution or '—'}”。"
                    "如果因单位（公司）名称中个别字词不一致造成无法认领，请及时联系我们。",
                    {"registrant_institution": registrant_institution,
                     "claimant_institution": claimant_institution})


def not_a_legacy_backup() -> Conflict:
    return Conflict("not_a_legacy_backup",
                    "Only backups numbered on the old platform can be claimed.",
                    "仅原备份平台中已获得备份号的备份信息可以认领。")
