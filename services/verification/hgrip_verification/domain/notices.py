"""Notices: the mail that tells a person what happened to their backups, Chinese first, then English,
with a link to the backup's page.

Four kinds, each about one fact, to one recipient (the fact id in brackets):

- ``backup_delegated`` (``<backup_id>#<sequence>``): the new delegate, from backups.BackupDelegated;
- ``backup_claimed`` (``<backup_id>``: claimed once and for all): the new delegate, from
  backups.BackupClaimed with ``how = institution``;
- ``filing_linked`` (``<backup_id>#<filing_number>``): the backup's owner, from backups.FilingLinked;
- ``sync_overdue`` (``<backup_number>``: a number has one failing spell, synced being final): the
  backup's owner, from registry-sync.BackupSyncOverdue.

``(kind, fact id, recipient)`` is the notice's key: a notice is sent once per key (``app/notices.py``).
"""
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

BACKUP_DELEGATED = "backup_delegated"
BACKUP_CLAIMED = "backup_claimed"
FILING_LINKED = "filing_linked"
SYNC_OVERDUE = "sync_overdue"
KINDS = (BACKUP_DELEGATED, BACKUP_CLAIMED, FILING_LINKED, SYNC_OVERDUE)

BEIJING = timezone(timedelta(hours=8))   # times in the mail are the recipient's clock
PREFIX = "【人类遗传资源信息管理备份平台】"
_SEPARATOR = "------------------------------------------------------------"
_FOOTER_ZH = "注意：这封邮件是由系统自动发送，请不要直接回复它。"
_FOOTER_EN = "Note: this e-mail was sent automatically; please do not reply to it."


@dataclass(frozen=True)
class NoticeKey:
    kind: str
    fact_id: str
    recipient_id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.fact_id}:{self.recipient_id}"

    @property
    def digest(self) -> str:
        """A short stable id of the key: the mail's Message-ID and dedupe header are made from it,
        so a mail sent twice (a crash between SMTP's answer and the commit) carries the same ids."""
        return hashlib.sha256(str(self).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class BackupRef:
    """What the mail says about the backup (``number`` None for a draft; ``name`` None if unknown)."""
    backup_id: str
    number: str | None
    name: str | None = None


@dataclass(frozen=True)
class Notice:
    key: NoticeKey
    subject: str
    text: str
    link: str


def backup_link(platform_url: str, backup_id: str) -> str:
    """The backup's page in the web application (a researcher's: every recipient is a natural person)."""
    return f"{platform_url.rstrip('/')}/backups/{backup_id}"


def mail_address(account: Mapping[str, Any]) -> str | None:
    """The recipient's address: the e-mail HGRG provisioned for the account (identity's
    ``get_account``); None (no mail) when it has none."""
    email = (account.get("email") or "").strip()
    return email or None


def _beijing(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"


def _backup_zh(backup: BackupRef) -> str:
    number = backup.number or "（草稿，尚无备份号）"
    return f"{number}“{backup.name}”" if backup.name else number


def _backup_en(backup: BackupRef) -> str:
    number = backup.number or "(a draft, no backup number yet)"
    return f'{number} "{backup.name}"' if backup.name else number


def _mail(key: NoticeKey, subject_zh: str, subject_en: str, greeting: str, zh: list[str], en: list[str],
          link: str, platform_url: str) -> Notice:
    text = "\n\n".join([
        f"{greeting}，您好：", *zh, f"查看备份：{link}", f"人类遗传资源信息管理备份平台网址：{platform_url}",
        _FOOTER_ZH, _SEPARATOR,
        f"Hello {greeting},", *en, f"See the backup: {link}", f"HGRIP: {platform_url}", _FOOTER_EN,
    ]) + "\n"
    return Notice(key=key, subject=f"{PREFIX}{subject_zh} / HGRIP: {subject_en}", text=text, link=link)


def backup_moved_notice(key: NoticeKey, recipient_name: str, backup: BackupRef, by_claim: bool,
                        platform_url: str) -> Notice:
    """To the new delegate (委托人) of a backup moved by a delegation (委托调整) or an institution's claim."""
    link = backup_link(platform_url, backup.backup_id)
    if by_claim:
        zh = [f"您所在单位的管理员通过“备份认领”将原系统的备份 {_backup_zh(backup)} 认领给您，您现在是该备份的委托人。"]
        en = [f"Your institution's administrator claimed the legacy backup {_backup_en(backup)} from the "
              "old platform for you (备份认领): you are now its delegate."]
        return _mail(key, "备份已认领给您", "a legacy backup was claimed for you", recipient_name, zh, en,
                     link, platform_url)
    zh = [f"您所在单位的管理员通过“委托调整”将备份 {_backup_zh(backup)} 委托给您，您现在是该备份的委托人。"]
    en = [f"Your institution's administrator moved the backup {_backup_en(backup)} to you (委托调整, "
          "delegation): you are now its delegate."]
    return _mail(key, "备份已委托给您", "a backup was delegated to you", recipient_name, zh, en, link,
                 platform_url)


def filing_linked_notice(key: NoticeKey, recipient_name: str, backup: BackupRef, filing_number: str,
                         declared_mb: float, platform_url: str) -> Notice:
    """To the owner: HGRG filed a prior report (事先报告) citing the backup; its filing number (备案号)."""
    link = backup_link(platform_url, backup.backup_id)
    zh = [f"人类遗传资源管理部门的备案（备案号 {filing_number}）引用了您的备份 {_backup_zh(backup)}，"
          f"申报数据量 {declared_mb:g} MB。该备案号已关联到此备份。"]
    en = [f"A filing with the human genetic resources authority (filing number {filing_number}) cites "
          f"your backup {_backup_en(backup)}, declaring {declared_mb:g} MB. The filing number is now "
          "linked to the backup."]
    return _mail(key, f"备份已关联备案号 {filing_number}", f"filing number {filing_number} linked to your backup",
                 recipient_name, zh, en, link, platform_url)


def sync_overdue_notice(key: NoticeKey, recipient_name: str, backup: BackupRef, since: datetime,
                        attempts: int, platform_url: str) -> Notice:
    """To the owner: the backup's number has not reached HGRG for longer than the threshold."""
    link = backup_link(platform_url, backup.backup_id)
    zh = [f"您的备份 {_backup_zh(backup)} 的备份号自 {_beijing(since)} 起尚未成功报送至人类遗传资源管理部门"
          f"（已尝试 {attempts} 次）。平台会持续自动重试，您无需操作；如长时间未恢复，请联系平台运维人员。"]
    en = [f"The number of your backup {_backup_en(backup)} has not reached the human genetic resources "
          f"authority (HGRG) since {_beijing(since)} ({attempts} attempts). The platform keeps trying "
          "by itself and you need do nothing; if this lasts, please contact the platform's operators."]
    return _mail(key, "备份号报送延迟", "your backup number has not reached HGRG yet", recipient_name, zh, en,
                 link, platform_url)
