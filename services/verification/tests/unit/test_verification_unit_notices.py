"""Notices: the texts (both languages, the link), once per fact, and a mail that fails is retried."""
import uuid
from datetime import UTC, datetime

import pytest

from hgrip_kernel.envelope import Envelope
from hgrip_verification.app import notices
from hgrip_verification.app.ports import MailNotSent
from hgrip_verification.domain.notices import (
    BackupRef,
    NoticeKey,
    backup_moved_notice,
    filing_linked_notice,
    mail_address,
    sync_overdue_notice,
)

BACKUP = "7d0c5a52-3c1e-4c55-9a55-0a3c7e1e2f10"
ZHANG = "11111111-1111-4111-8111-111111111111"
WANG = "22222222-2222-4222-8222-222222222222"
ADMIN = "33333333-3333-4333-8333-333333333333"
NUMBER = "BF2023062800001"
AT = "2023-06-28T10:00:00+00:00"


def envelope(source, event_type, data, version=1, event_id=None):
    return Envelope(event_id=event_id or str(uuid.uuid4()), event_type=event_type, schema_version=1,
                    source=source, stream_type="backup", stream_id=f"backup-{data.get('backup_id')}",
                    stream_version=version, occurred_at=datetime.now(UTC), actor=ADMIN,
                    correlation_id="req-1", causation_id=None, data=data)


def delegated(sequence=6, to=WANG):
    return envelope("backups", "BackupDelegated", {
        "backup_id": BACKUP, "backup_number": NUMBER, "transfer_id": str(uuid.uuid4()), "from_owner_id": ZHANG,
        "to_owner_id": to, "to_username": "wangyuqing", "institution_code": "NGDC", "unit_code": None,
        "delegated_by": ADMIN, "delegated_at": AT, "sequence": sequence}, version=sequence)


def filing(number="备案2023-0001"):
    return envelope("backups", "FilingLinked", {"backup_id": BACKUP, "filing_number": number, "declared_mb": 12.5,
                                                "recipient": "某医院", "filed_at": AT}, version=7)


def overdue():
    return envelope("registry-sync", "BackupSyncOverdue", {
        "backup_number": NUMBER, "backup_id": BACKUP, "since": AT, "attempts": 9, "last_error": "HTTP 503",
        "threshold_seconds": 3600, "overdue_at": "2023-06-28T11:00:05+00:00"})


@pytest.fixture
def people(verification):
    verification.accounts.accounts[ZHANG] = {"id": ZHANG, "username": "zhangxiaohan", "name": "张晓寒",
                                             "email": "zhangxiaohan@ngdc-demo.example.cn"}
    verification.accounts.accounts[WANG] = {"id": WANG, "username": "wangyuqing", "name": "王雨晴",
                                            "email": "wangyuqing@ngdc-demo.example.cn"}
    return verification


# --- texts ----------------------------------------------------------------------------------------------
def test_each_text_is_chinese_then_english_with_the_link():
    key = NoticeKey("backup_delegated", f"{BACKUP}#6", WANG)
    backup = BackupRef(BACKUP, NUMBER, "肝癌队列")
    link = f"https://hgrip.example/backups/{BACKUP}"
    mails = [backup_moved_notice(key, "王雨晴", backup, False, "https://hgrip.example/"),
             backup_moved_notice(key, "王雨晴", backup, True, "https://hgrip.example"),
             filing_linked_notice(key, "王雨晴", backup, "备案2023-0001", 12.5, "https://hgrip.example"),
             sync_overdue_notice(key, "王雨晴", backup, datetime(2023, 6, 28, 10, tzinfo=UTC), 9,
                                 "https://hgrip.example")]
    for mail in mails:
        assert mail.link == link and mail.text.count(link) == 2
        assert mail.subject.startswith("【人类遗传资源信息管理备份平台】") and "HGRIP:" in mail.subject
        zh, en = mail.text.split("-" * 60)
        assert "王雨晴，您好" in zh and NUMBER in zh and "Hello 王雨晴" in en and NUMBER in en
    assert "委托调整" in mails[0].text and "delegate" in mails[0].text
    assert "备份认领" in mails[1].text and "claimed" in mails[1].text
    assert "备案号 备案2023-0001" in mails[2].text and "12.5 MB" in mails[2].text
    assert "2023-06-28 18:00 (UTC+8)" in mails[3].text and "9 attempts" in mails[3].text


def test_a_draft_has_no_number_yet():
    mail = backup_moved_notice(NoticeKey("backup_delegated", "x", WANG), "王雨晴", BackupRef(BACKUP, None), False,
                               "http://h")
    assert "尚无备份号" in mail.text and "no backup number yet" in mail.text


def test_mail_address_rule():
    """The account's provisioned e-mail, nothing else: a username is never turned into an address."""
    assert mail_address({"username": "wangyuqing", "email": "wangyuqing@ngdc-demo.example.cn"}) == \
        "wangyuqing@ngdc-demo.example.cn"
    assert mail_address({"username": "li@big.ac.cn", "email": None}) is None
    assert mail_address({"username": "wangyuqing"}) is None and mail_address({"email": " "}) is None


# --- once per fact ----------------------------------------------------------------------------------------
def test_the_new_delegate_gets_one_mail_even_when_the_event_comes_twice(people):
    event = delegated()
    assert notices.backup_delegated(people.ports, people.request, event) == notices.SENT
    assert notices.backup_delegated(people.ports, people.request, event) == notices.DUPLICATE_EVENT
    [mail] = people.mailer.sent
    assert mail["to"] == "wangyuqing@ngdc-demo.example.cn" and f"https://hgrip.example/backups/{BACKUP}" in mail["text"]
    assert mail["key"] == NoticeKey("backup_delegated", f"{BACKUP}#6", WANG).digest
    logged = [fields for _, event_name, fields in people.log.lines if event_name == "notice_sent"]
    assert logged[0]["sent_to"] != mail["to"] and "wangyuqing" not in str(logged)


def test_the_same_fact_in_another_event_is_not_mailed_again(people):
    first = delegated()
    again = envelope("backups", "BackupDelegated", first.data, version=6)   # same fact, another event id
    assert notices.backup_delegated(people.ports, people.request, first) == notices.SENT
    assert notices.backup_delegated(people.ports, people.request, again) == notices.ALREADY_SENT
    assert len(people.mailer.sent) == 1


def test_a_later_delegation_is_another_fact(people):
    notices.backup_delegated(people.ports, people.request, delegated(6, WANG))
    notices.backup_delegated(people.ports, people.request, delegated(7, ZHANG))
    assert [m["to"].split("@")[0] for m in people.mailer.sent] == ["wangyuqing", "zhangxiaohan"]


def test_only_an_institution_claim_is_mailed(people):
    def claimed(how):
        return envelope("backups", "BackupClaimed", {
            "backup_id": BACKUP, "backup_number": "BF2019010100001", "owner_id": WANG, "owner_username": "wangyuqing",
            "institution_code": "NGDC", "unit_code": None, "how": how, "claimed_by": ADMIN, "claimed_at": AT,
            "sequence": 2}, version=2)
    assert notices.backup_claimed(people.ports, people.request, claimed("sms")) == notices.NO_NOTICE
    assert notices.backup_claimed(people.ports, people.request, claimed("institution")) == notices.SENT
    [mail] = people.mailer.sent
    assert "备份认领" in mail["text"] and "BF2019010100001" in mail["text"]


def test_a_filing_goes_to_the_current_owner(people):
    people.backups.own(BACKUP, ZHANG, NUMBER)
    notices.backup_delegated(people.ports, people.request, delegated(6, WANG))
    people.backups.own(BACKUP, WANG, NUMBER)   # backups moved it
    people.mailer.sent.clear()
    event = filing()
    assert notices.filing_linked(people.ports, people.request, event) == notices.SENT
    assert notices.filing_linked(people.ports, people.request, event) == notices.DUPLICATE_EVENT
    [mail] = people.mailer.sent
    assert mail["to"].startswith("wangyuqing@") and "肝癌队列" in mail["text"] and "备案2023-0001" in mail["subject"]


def test_the_backup_is_asked_of_backups_when_a_notice_is_due(people):
    """A delegation mail names the backup as backups has it now (no copy kept here); backups away:
    nothing is recorded and the redelivered event sends the mail once."""
    people.backups.own(BACKUP, WANG, NUMBER, name="新名字")
    people.backups.down = True
    event = delegated(6, WANG)
    with pytest.raises(ConnectionError):
        notices.backup_delegated(people.ports, people.request, event)
    assert people.mailer.sent == [] and people.notices.sent == {}
    people.backups.down = False
    assert notices.backup_delegated(people.ports, people.request, event) == notices.SENT
    [mail] = people.mailer.sent
    assert "新名字" in mail["text"] and NUMBER in mail["text"]


def test_overdue_is_mailed_once_to_the_owner(people):
    people.backups.own(BACKUP, ZHANG, NUMBER)
    assert notices.sync_overdue(people.ports, people.request, overdue()) == notices.SENT
    assert notices.sync_overdue(people.ports, people.request, overdue()) == notices.ALREADY_SENT
    [mail] = people.mailer.sent
    assert mail["to"].startswith("zhangxiaohan@") and "尚未成功报送" in mail["text"]


def test_an_unknown_owner_or_address_is_skipped_and_logged(people):
    assert notices.filing_linked(people.ports, people.request, filing()) == notices.OWNER_UNKNOWN
    people.accounts.accounts[WANG] = {**people.accounts.accounts[WANG], "email": None}   # none provisioned
    assert notices.backup_delegated(people.ports, people.request, delegated()) == notices.NO_ADDRESS
    assert people.mailer.sent == []
    assert [e for _, e, _ in people.log.lines].count("notice_skipped") == 2


def test_smtp_down_records_nothing_and_the_retry_sends_once(people):
    event = delegated()
    people.mailer.down = True
    with pytest.raises(MailNotSent):
        notices.backup_delegated(people.ports, people.request, event)
    assert people.notices.sent == {}
    people.mailer.down = False
    assert notices.backup_delegated(people.ports, people.request, event) == notices.SENT
    assert notices.backup_delegated(people.ports, people.request, event) == notices.DUPLICATE_EVENT
    assert len(people.mailer.sent) == 1


def test_another_worker_sending_the_same_notice_means_retry(people):
    event = delegated()
    people.send_guard.busy.add(f"notice:{NoticeKey('backup_delegated', f'{BACKUP}#6', WANG)}")
    with pytest.raises(notices.NoticeBusy):
        notices.backup_delegated(people.ports, people.request, event)
    people.send_guard.busy.clear()
    assert notices.backup_delegated(people.ports, people.request, event) == notices.SENT
