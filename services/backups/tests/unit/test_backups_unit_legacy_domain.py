"""Legacy backups in plain Python: tolerant names, the aggregate's import and claim, the contract of
BackupClaimed, the timeline lines, and the refusals' wording."""
import re
from datetime import UTC, datetime

import pytest

from hgrip_backups.domain import Backup, refusals
from hgrip_backups.domain.history import summarise
from hgrip_backups.domain.legacy import (
    NewOwner,
    Registrant,
    check_same_institution,
    claim_subject,
    legacy_backup_id,
)
from hgrip_backups.domain.mobile import mobile_hash
from hgrip_backups.domain.names import name_key, same_name
from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import Conflict

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OWNER = NewOwner("5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10", "zhangxiaohan", "INST-NGDC", "U-BIO")
OTHER = NewOwner("6b1d9f3f-4c2e-4d7f-8a8b-1e3c5f7a9b21", "wangyuqing", "INST-NGDC", None)
REGISTRANT = Registrant("张晓寒", mobile_hash("secret", "13912345678"), "139****5678",
                        "国家基因组科学数据中心（测试）")


def legacy_backup(number="BF2021031500012", files=2, saved=True) -> Backup:
    record = {"backup_number": number, "name": "遗传性耳聋家系外显子组测序数据备份",
              "project_name": "汉族遗传性耳聋家系全外显子组测序研究", "pi_name": None, "pi_email": None,
              "categories": ["wes"], "submitted_at": datetime(2021, 3, 15, 2, 24, 37, tzinfo=UTC),
              "files": [{"detailed_type": "raw_sequencing", "repository": "GSA-Human",
                         "accession": f"HRA00012{i}", "cases": 120, "mb_per_case": 8500}
                        for i in range(files)]}
    backup = Backup.import_legacy(record, REGISTRANT, NOW)
    if saved:
        backup.mark_saved()
    return backup


def stored(events) -> list:
    """Domain events as the store gives them back (event_type, data, stream_version)."""
    return [type("Stored", (), {"event_type": e.type, "data": e.data, "stream_version": i})()
            for i, e in enumerate(events, start=1)]


# --- tolerant comparison of names ------------------------------------------------------------
@pytest.mark.parametrize("typed", [
    "国家基因组科学数据中心（测试）",
    "国家基因组科学数据中心(测试)",            # half-width brackets
    "国家基因组科学数据中心 (测试) ",          # and spaces
    "国家基因组科学数据中心【测试】",          # other brackets
    " 国家基因组 科学数据中心\u3000（测试）",   # ideographic space
    "国家基因组科学数据中心﹙测试﹚",           # small-form brackets fold by NFKC
])
def test_small_differences_of_typing_are_the_same_institution(typed):
    assert same_name(typed, "国家基因组科学数据中心（测试）")
    check_same_institution("国家基因组科学数据中心（测试）", typed)   # no refusal


@pytest.mark.parametrize("a, b", [
    ("ＢＧＩ　Ｓｈｅｎｚｈｅｎ", "BGI Shenzhen"),     # full-width letters and space
    ("bgi-shenzhen", "BGI-SHENZHEN"),               # case
    ("张 晓寒", "张晓寒"),
])
def test_width_case_and_spaces_are_forgiven(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a, b", [
    ("国家基因组科学数据中心（测试）", "国家基因组科学数据中心"),        # a word missing
    ("中国科学院北京基因组研究所", "中国科学院北京基因研究所"),          # a character differs
    ("华东医学遗传研究院", "华东医学遗传研究所"),
    ("张晓寒", "张晓涵"),
    ("BGI-Shenzhen", "BGI Shenzhen"),                                  # a dash is no space
])
def test_real_differences_still_differ(a, b):
    assert not same_name(a, b)


def test_empty_names_never_match():
    assert not same_name("", "")
    assert not same_name(None, None)
    assert not same_name("  ", "\u3000")


def test_other_institution_is_refused_with_the_manuals_reasons_in_both_languages():
    with pytest.raises(Conflict) as refused:
        check_same_institution("华东医学遗传研究院", "国家基因组科学数据中心（测试）")
    error = refused.value
    assert error.code == "claim_other_institution" and error.http_status == 409
    assert "新委托人必须与原系统注册人属于同一家单位（公司），不支持跨单位（公司）认领" in error.message_zh
    assert "如果因单位（公司）名称中个别字词不一致造成无法认领，请及时联系我们" in error.message_zh
    assert "same institution" in error.message and "contact us" in error.message
    assert error.details == {"registrant_institution": "华东医学遗传研究院",
                             "claimant_institution": "国家基因组科学数据中心（测试）"}
    with pytest.raises(Conflict):
        check_same_institution("华东医学遗传研究院", None)   # a claimant without institution


# --- the aggregate -----------------------------------------------------------------------------
def test_an_imported_backup_is_numbered_locked_and_owned_by_nobody():
    backup = legacy_backup()
    assert backup.backup_id == legacy_backup_id("BF2021031500012")
    assert backup.id == f"backup-{backup.backup_id}"
    assert backup.origin == "legacy" and backup.locked and backup.status == "completed"
    assert backup.owner_id is None and not backup.claimed
    assert backup.project_id is None and backup.pi_name == "" and backup.pi_email == ""
    assert backup.total_mb == 2 * 120 * 8500
    assert all(f.complete for f in backup.files.values())
    assert backup.submitted_at == backup.created_at == "2021-03-15T02:24:37+00:00"
    with pytest.raises(Conflict) as refused:
        backup.delete_file(next(iter(backup.files)), NOW)
    assert refused.value.code == "backup_locked"


def test_the_same_number_always_names_the_same_stream_and_files():
    first, again = legacy_backup(), legacy_backup()
    assert first.id == again.id and list(first.files) == list(again.files)
    assert legacy_backup("BF2021031500013").id != first.id


def test_the_event_keeps_the_registrant_without_the_clear_mobile():
    backup = Backup.import_legacy(
        {"backup_number": "BF2021031500012", "name": "n", "project_name": "p", "categories": [],
         "submitted_at": NOW, "files": []}, REGISTRANT, NOW)
    event = backup.pending[0]
    assert event.type == "LegacyBackupImported"
    assert event.data["registrant"] == {"name": "张晓寒", "mobile_masked": "139****5678",
                                        "mobile_hash": REGISTRANT.mobile_hash,
                                        "institution_name": "国家基因组科学数据中心（测试）"}
    assert "13912345678" not in repr(event.data)


def test_a_claim_gives_the_backup_its_owner_and_placement():
    backup = legacy_backup()
    backup.claim(OWNER, "sms", OWNER.account_id, NOW)
    assert backup.owner_id == OWNER.account_id and backup.claimed
    assert (backup.institution_code, backup.unit_code) == ("INST-NGDC", "U-BIO")
    claimed = backup.pending[-1]
    assert claimed.type == "BackupClaimed"
    assert claimed.data["sequence"] == backup.version + 1 == 2


def test_claimed_once_never_again_whoever_asks_and_however():
    backup = legacy_backup()
    backup.claim(OWNER, "auto", OWNER.account_id, NOW)
    for owner, how in ((OTHER, "sms"), (OTHER, "institution"), (OWNER, "auto")):
        with pytest.raises(Conflict) as refused:
            backup.claim(owner, how, owner.account_id, NOW)
        assert refused.value.code == "legacy_already_claimed"
    assert backup.owner_id == OWNER.account_id and len(backup.pending) == 1


def test_a_claimed_backup_folded_from_its_events_refuses_a_second_claim():
    backup = legacy_backup(saved=False)
    backup.claim(OWNER, "sms", OWNER.account_id, NOW)
    reloaded = Backup.rehydrate(backup.id, stored(backup.pending))
    assert (reloaded.origin, reloaded.owner_id, reloaded.claimed_how) == ("legacy", OWNER.account_id, "sms")
    assert reloaded.version == 2 and reloaded.registrant["name"] == "张晓寒"
    with pytest.raises(Conflict) as refused:
        reloaded.claim(OTHER, "institution", OTHER.account_id, NOW)
    assert refused.value.code == "legacy_already_claimed"


def test_a_new_backup_is_no_legacy_backup_and_cannot_be_claimed(domain):
    backup = domain.backup()
    with pytest.raises(Conflict) as refused:
        backup.claim(OTHER, "sms", OTHER.account_id, NOW)
    assert refused.value.code == "not_a_legacy_backup"


@pytest.mark.parametrize("how", ["auto", "sms", "institution"])
def test_backup_claimed_is_valid_against_its_published_contract(how):
    backup = legacy_backup()
    backup.claim(OWNER, how, "7c2e0a4b-5d3f-4e8a-9b9c-2f4d6a8b0c32", NOW)
    event = backup.pending[-1]
    assert registry.validate("backups", "BackupClaimed", 1, event.data) == event.data
    assert set(event.data) == {"backup_id", "backup_number", "owner_id", "owner_username",
                               "institution_code", "unit_code", "how", "claimed_by", "claimed_at",
                               "sequence"}


def test_sms_subject_binds_claimant_and_registrant():
    key, hashed = name_key("张晓寒"), REGISTRANT.mobile_hash
    subject = claim_subject(OWNER.account_id, key, hashed)
    assert len(subject) == 64 and re.fullmatch(r"[0-9a-f]{64}", subject)
    assert subject == claim_subject(OWNER.account_id, key, hashed)
    assert subject != claim_subject(OTHER.account_id, key, hashed)
    assert subject != claim_subject(OWNER.account_id, key, mobile_hash("secret", "13912345679"))
    assert subject != claim_subject(OWNER.account_id, name_key("张晓涵"), hashed)


# --- timeline and refusals -------------------------------------------------------------------
def test_timeline_lines_of_import_and_each_way_of_claiming():
    imported = summarise("LegacyBackupImported", legacy_backup(saved=False).pending[0].data)
    assert imported[0].startswith("从原备份平台导入已获得备份号的备份 BF2021031500012")
    assert "原系统注册人 张晓寒" in imported[0]
    assert imported[1].startswith("Imported from the old backup platform: backup number BF2021031500012")
    lines = {}
    for how in ("auto", "sms", "institution"):
        fresh = legacy_backup()
        fresh.claim(OWNER, how, OWNER.account_id, NOW)
        lines[how] = summarise("BackupClaimed", fresh.pending[-1].data)
    assert lines["auto"] == (
        "首次登录时自动认领：原系统注册人的姓名、手机号和单位与账号 zhangxiaohan 一致，备份归入该账号",
        "Claimed automatically at first login: the registrant's name, mobile and institution match "
        "account zhangxiaohan, which now holds the backup")
    assert lines["sms"] == ("zhangxiaohan 通过原系统注册手机号的短信验证码认领本备份",
                            "Claimed by zhangxiaohan with an SMS code sent to the registrant's mobile "
                            "on the old platform")
    assert lines["institution"] == ("法人/单位管理员认领本备份，新委托人为 zhangxiaohan",
                                    "Claimed by a legal person or unit administrator for the new "
                                    "delegate zhangxiaohan")


@pytest.mark.parametrize("refusal, status", [
    (refusals.natural_persons_only(), 403), (refusals.legacy_registrant_not_found(), 404),
    (refusals.legacy_already_claimed(), 409), (refusals.not_a_legacy_backup(), 409),
])
def test_legacy_refusals_speak_both_languages(refusal, status):
    assert refusal.http_status == status
    assert refusal.message and refusal.message_zh and refusal.message != refusal.message_zh
    assert re.search(r"[\u4e00-\u9fff]", refusal.message_zh)
