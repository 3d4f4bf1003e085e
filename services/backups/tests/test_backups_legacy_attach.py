"""Auto-attach (manual "备份认领"; brief §5): at a natural person's first login, the legacy backups
whose registrant name, mobile and institution equal the account's become the account's."""
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from hgrip_backups.domain.legacy import legacy_backup_id
from hgrip_kernel.contracts import registry
from hgrip_kernel.envelope import Envelope, dump_envelope
from hgrip_kernel.store.tables import inbox

MINE = ("BF2021031500012", "BF2022110800047")


def identity_event(event_type, account_id, data, version=1) -> dict:
    """An identity event as its outbox relay would publish it."""
    return dump_envelope(Envelope(
        event_id=str(uuid.uuid4()), event_type=event_type, schema_version=1, source="identity",
        stream_type="account", stream_id=f"account-{account_id}", stream_version=version,
        occurred_at=datetime.now(UTC), actor=account_id, correlation_id="req-legacy-test",
        causation_id=None, data=data, position=1))


def test_first_login_attaches_exactly_the_matching_backups(legacy, legacy_export, wait_until):
    legacy.import_registrants([
        # The institution typed with half-width brackets and a space on the old platform: the same.
        legacy_export(institution="国家基因组科学数据中心 (测试)", numbers=MINE),
        legacy_export(mobile="13900000000", numbers=("BF2021031500013",)),       # another mobile
        legacy_export(institution="华东医学遗传研究院", numbers=("BF2021031500014",)),  # another institution
        legacy_export(name="张晓涵", numbers=("BF2021031500015",)),              # another name
    ])
    owner = legacy.account("zhangxiaohan", "张晓寒", "13912345678", unit="U-BIO")
    legacy.account("wangyuqing", "王雨晴", "15811112222", unit="U-DATA")
    assert legacy.login("zhangxiaohan")["account"]["id"] == owner

    wait_until(lambda: all(legacy.legacy_rows()[n]["owner_id"] == owner for n in MINE),
               message="auto-attach at first login")
    rows = legacy.legacy_rows()
    assert {n: rows[n]["how"] for n in MINE} == dict.fromkeys(MINE, "auto")
    assert all(rows[n]["claimed_at"] is None for n in rows if n not in MINE)

    with legacy.rpc() as cluster:
        backup = cluster.backups.get_backup(owner, legacy_backup_id("BF2021031500012"))
        history = cluster.backups.history(owner, backup["id"])
    assert (backup["backup_number"], backup["status"], backup["project_id"]) == ("BF2021031500012", "completed", None)
    assert backup["file_count"] == 2 and backup["total_mb"] == 120 * 8500 + 120 * 12.5
    assert [f["progress"] for f in backup["files"]] == ["complete", "complete"]
    assert [line["event_type"] for line in history] == ["LegacyBackupImported", "BackupClaimed"]
    assert history[1]["summary_zh"].startswith("首次登录时自动认领")
    assert history[1]["actor_id"] == owner and history[0]["actor_id"] is None
    assert "13912345678" not in str(history)

    claimed = legacy.events(event_type="BackupClaimed")
    assert len(claimed) == 2
    for event in claimed:
        assert registry.validate("backups", "BackupClaimed", 1, event.data) == event.data
        assert event.data["how"] == "auto" and event.data["claimed_by"] == owner
        assert (event.data["owner_username"], event.data["institution_code"],
                event.data["unit_code"], event.data["sequence"]) == ("zhangxiaohan", "INST-NGDC", "U-BIO", 2)
        assert event.stream_version == 2

    # A later login attaches nothing, not even a backup of the same registrant imported since.
    legacy.import_registrants([legacy_export(numbers=("BF2023010100001",))])
    legacy.login("zhangxiaohan")
    # …while another person's first login still works (so the consumer is running).
    other = legacy.account("liuhaoran", "刘浩然", "18633334444", unit="U-DATA")
    legacy.import_registrants([legacy_export(name="刘浩然", mobile="18633334444", numbers=("BF2020120100005",))])
    legacy.login("liuhaoran")
    wait_until(lambda: legacy.legacy_rows()["BF2020120100005"]["owner_id"] == other)
    time.sleep(0.5)
    assert legacy.legacy_rows()["BF2023010100001"]["claimed_at"] is None
    assert len(legacy.events(event_type="BackupClaimed")) == 3


def test_only_natural_persons_get_attachments(legacy, legacy_export, wait_until):
    legacy.import_registrants([legacy_export(name="李文博", mobile="13800100002", numbers=("BF2021031500016",))])
    legacy.account("ngdc-bio-admin", "李文博", "13800100002", role="unit_admin", unit="U-BIO")
    legacy.login("ngdc-bio-admin")
    wait_until(lambda: _login_consumed(legacy), message="the first login consumed")
    assert legacy.legacy_rows()["BF2021031500016"]["claimed_at"] is None


def _login_consumed(legacy) -> bool:
    with legacy.engine.connect() as connection:
        return connection.execute(select(inbox.c.event_id).where(
            inbox.c.consumer == "backups.on_login_succeeded")).first() is not None


def test_a_login_that_arrives_before_the_account_is_retried_until_the_member_is_known(
        make_legacy, legacy_export, wait_until):
    legacy = make_legacy(MAX_DELIVERY_ATTEMPTS=100, RETRY_DELAY_MS=100)
    legacy.import_registrants([legacy_export(name="周建国", mobile="19988889999", numbers=("BF2021092700033",))])
    account_id = str(uuid.uuid4())
    login = identity_event("LoginSucceeded", account_id, {
        "account_id": account_id, "at": datetime.now(UTC).isoformat(), "first_login": True})
    legacy.publish(login)
    legacy.publish(login)   # delivered twice: applied once
    time.sleep(0.6)         # a few attempts fail: backups does not know the member yet
    assert legacy.legacy_rows()["BF2021092700033"]["claimed_at"] is None

    legacy.publish(identity_event("AccountProvisioned", account_id, {
        "account_id": account_id, "username": "zhoujianguo", "name": "周建国", "mobile": "19988889999",
        "role": "natural_person", "institution": "INST-NGDC", "unit": "U-DATA",
        "real_name_verified": True, "authorised": True, "authorised_at": None, "employed": True}))
    wait_until(lambda: legacy.legacy_rows()["BF2021092700033"]["owner_id"] == account_id,
               message="the retried login attaches")
    time.sleep(0.5)
    assert len(legacy.events(event_type="BackupClaimed")) == 1
