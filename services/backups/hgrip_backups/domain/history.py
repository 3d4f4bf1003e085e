"""One line per backup event, in Chinese and English, for the backup's timeline (the audit trail).

Summaries never contain an e-mail address: they are shown to anyone who may read the history, and
the account belongs to a third party (the repository submitter).
"""
from . import taxonomy
from .data_file import COMPLETE

_FIELD_LABELS = {  # field: (zh, en), as the manual's file form names them
    "detailed_type": ("详细类型", "detailed type"),
    "repository": ("数据库", "repository"),
    "cases": ("合计例数", "total cases"),
    "mb_per_case": ("规格(MB/例)", "size per case (MB)"),
    "submission_account": ("数据库提交账号", "submission account"),
    "accession": ("数据集序列号", "dataset accession"),
}  # "progress" is not here: every line about a file ends with it anyway
_PROGRESS = {COMPLETE: ("完成", "complete"), "pending_verification": ("待验证", "awaiting verification")}


def _categories(codes) -> tuple[str, str]:
    known = [taxonomy.CATEGORIES[c] for c in codes if c in taxonomy.CATEGORIES]
    return "、".join(c.label_zh for c in known), ", ".join(c.label_en for c in known)


def _type(code) -> tuple[str, str]:
    known = taxonomy.DETAILED_TYPES.get(code)
    return (known.label_zh, known.label_en) if known else (code, code)


def _progress(code) -> tuple[str, str]:
    return _PROGRESS.get(code, (code, code))


def _created(data):
    zh, en = _categories(data["categories"])
    return (f"创建备份“{data['name']}”（项目“{data['project_name']}”），涉及内容：{zh}",
            f"Created backup “{data['name']}” in project “{data['project_name']}”, covering: {en}")


def _renamed(data):
    return (f"备份名称由“{data['previous_name']}”改为“{data['name']}”",
            f"Renamed the backup from “{data['previous_name']}” to “{data['name']}”")


def _recategorised(data):
    zh, en = _categories(data["categories"])
    return f"涉及内容改为：{zh}", f"Changed the content categories to: {en}"


def _added(data):
    type_zh, type_en = _type(data["detailed_type"])
    progress_zh, progress_en = _progress(data["progress"])
    accession, repository = data["accession"], data["repository"]
    cases, size = data["cases"], data["mb_per_case"]
    zh = f"添加文件 {accession}（{type_zh}，{repository}，{cases} 例 × {size} MB/例），进度：{progress_zh}"
    en = (f"Added file {accession} ({type_en}, {repository}, {cases} cases × {size} MB per case), "
          f"progress: {progress_en}")
    return zh, en


def _updated(data):
    # Progress is said once, at the end, whether or not it changed.
    changed = [f for f in data.get("changed", []) if f in _FIELD_LABELS]
    progress_zh, progress_en = _progress(data["progress"])
    fields_zh = "、".join(_FIELD_LABELS[f][0] for f in changed)
    fields_en = ", ".join(_FIELD_LABELS[f][1] for f in changed)
    return (f"修改文件 {data['accession']}：{fields_zh}（进度：{progress_zh}）",
            f"Changed file {data['accession']}: {fields_en} (progress: {progress_en})")


def _removed(data):
    return f"删除文件 {data['accession']}", f"Deleted file {data['accession']}"


def _verified(data):
    zh = f"文件 {data['accession']} 已由提交者通过邮箱验证码确认，进度：完成"
    en = (f"File {data['accession']} was confirmed by its submitter with the e-mailed code; "
          "progress: complete")
    return zh, en


def _submitted(data):
    number, count, total = data["backup_number"], data["file_count"], data["total_mb"]
    zh = f"提交备份，获得备份号 {number}（{count} 个文件，共 {total} MB），备份已锁定"
    en = f"Submitted the backup: backup number {number} ({count} files, {total} MB); the backup is now locked"
    return zh, en


def _filing_linked(data):
    number, recipient, declared = data["filing_number"], data["recipient"], data["declared_mb"]
    zh = f"人遗系统事先报告引用本备份，备案号 {number}（接收方：{recipient}，申报数据量 {declared} MB）"
    en = (f"HGRG prior report filed citing this backup: filing number {number} "
          f"(recipient: {recipient}, declared volume {declared} MB)")
    return zh, en


def _delegated(data):
    return (f"委托调整：备份移交给新委托人 {data['to_username']}",
            f"Delegation transfer: the backup was moved to the new delegate {data['to_username']}")


# --- legacy backups (import and claims): summaries below this line -------------------------------
def _legacy_imported(data):
    number, count, registrant = data["backup_number"], len(data["files"]), data["registrant"]["name"]
    return (f"从原备份平台导入已获得备份号的备份 {number}“{data['name']}”（{count} 个文件，原系统注册人 {registrant}）",
            f"Imported from the old backup platform: backup number {number} “{data['name']}” "
            f"({count} files, registered by {registrant})")


_CLAIMED = {  # how: (zh, en), each with the new delegate's username
    "auto": ("首次登录时自动认领：原系统注册人的姓名、手机号和单位与账号 {u} 一致，备份归入该账号",
             "Claimed automatically at first login: the registrant's name, mobile and institution "
             "match account {u}, which now holds the backup"),
    "sms": ("{u} 通过原系统注册手机号的短信验证码认领本备份",
            "Claimed by {u} with an SMS code sent to the registrant's mobile on the old platform"),
    "institution": ("法人/单位管理员认领本备份，新委托人为 {u}",
                    "Claimed by a legal person or unit administrator for the new delegate {u}"),
}


def _claimed(data):
    zh, en = _CLAIMED.get(data["how"], ("认领本备份，新委托人为 {u}", "Claimed for {u}"))
    return zh.format(u=data["owner_username"]), en.format(u=data["owner_username"])


_SUMMARIES = {
    "BackupCreated": _created, "BackupRenamed": _renamed,
    "BackupCategoriesChanged": _recategorised, "DataFileAdded": _added,
    "DataFileUpdated": _updated, "DataFileRemoved": _removed, "DataFileVerified": _verified,
    "BackupSubmitted": _submitted, "FilingLinked": _filing_linked,
    "BackupDelegated": _delegated,
    "LegacyBackupImported": _legacy_imported, "BackupClaimed": _claimed,
}


def summarise(event_type: str, data: dict) -> tuple[str, str]:
    """(summary_zh, summary_en) of one event of a backup stream; unknown types are named as such."""
    summary = _SUMMARIES.get(event_type)
    return summary(data) if summary else (event_type, event_type)
