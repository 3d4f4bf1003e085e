"""Claims of legacy backups (manual "备份认领"): by a natural person with an SMS code to the old
mobile, by a legal person / unit admin for a delegate; same institution only; claimed once, ever."""
import eventlet
import pytest

from hgrip_backups.domain.legacy import legacy_backup_id
from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import DomainError, TooManyRequests

LIU = ("BF2020120100005", "BF2020120100006")
HUANG = ("BF2020082400002", "BF2021011200008")


def refused(call, *args) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value


@pytest.fixture
def cast(legacy, legacy_export):
    """The demo's situation: 刘浩然 registered on the old platform with a mobile he no longer has,
    黄志强 has no account, 赵明辉 registered in another institution; and the people of NGDC."""
    legacy.import_registrants([
        legacy_export(name="刘浩然", mobile="18600001111", numbers=LIU),
        legacy_export(name="黄志强", mobile="13700137000", institution="国家基因组科学数据中心(测试)",
                      numbers=HUANG),
        legacy_export(name="赵明辉", mobile="17755556666", institution="华东医学遗传研究院",
                      numbers=("BF2021061800021",)),
    ])
    people = {
        "liu": legacy.account("liuhaoran", "刘浩然", "18633334444", unit="U-DATA"),
        "wang": legacy.account("wangyuqing", "王雨晴", "15811112222", unit="U-BIO"),
        "zhao": legacy.account("zhaominghui", "赵明辉", "17755556666", unit="U-DATA"),
        "legal": legacy.account("ngdc-legal", "国家基因组科学数据中心测试", "13800100001", role="legal_person"),
        "bio_admin": legacy.account("ngdc-bio-admin", "李文博", "13800100002", role="unit_admin", unit="U-BIO"),
        "sun": legacy.account("sunlijuan", "孙丽娟", "13677778888", institution={"code": "INST-ECMG"},
                              unit="U-ONC"),
    }
    return people


def ask(cluster, actor, name, mobile):
    return cluster.backups.request_claim_code(actor, {"legacy_name": name, "legacy_mobile": mobile})


def claim(cluster, actor, name, mobile, code):
    return cluster.backups.claim_legacy(actor, {"legacy_name": name, "legacy_mobile": mobile, "sms_code": code})


def for_delegate(cluster, actor, name, mobile, username):
    return cluster.backups.institution_claim(actor, {"legacy_name": name, "legacy_mobile": mobile,
                                                     "delegate_account": username})


# --- natural person, by SMS ------------------------------------------------------------------------
def test_a_natural_person_claims_all_of_a_registrants_backups_with_the_sms_code(legacy, cast):
    liu, wang = cast["liu"], cast["wang"]
    sms = legacy.verification
    with legacy.rpc() as cluster:
        # The mobile as typed follows the one rule the gateway publishes (hgrip_kernel.field_rules):
        # separators are refused here too, with the same field error, and nothing is sent.
        error = refused(ask, cluster, liu, "刘浩然", "186 0000 1111")
        assert (error.code, set(error.details)) == ("invalid_input", {"legacy_mobile"})
        assert sms.sms_sent == []
        sent = ask(cluster, liu, " 刘浩然 ", "18600001111")
        assert sent["sent_to"] == "186****1111" and set(sent) == {"sent_to", "expires_at", "resend_available_at"}
        request = sms.sms_sent[-1]
        assert (request["purpose"], request["mobile"], request["requester_name"]) == \
            ("legacy_claim", "18600001111", "刘浩然")
        assert len(request["subject"]) == 64 and "18600001111" not in request["subject"]

        # The code was sent for 刘浩然's claim: another claimant cannot use it.
        error = refused(claim, cluster, wang, "刘浩然", "18600001111",
                        sms.sms_codes[("legacy_claim", request["subject"])])
        assert (error.code, error.http_status) == ("sms_code_not_requested", 404)
        error = refused(claim, cluster, liu, "刘浩然", "18600001111", "000000")
        assert (error.code, error.http_status, error.details) == ("sms_code_invalid", 400, {"remaining_attempts": 4})
        assert all(row["claimed_at"] is None for row in legacy.legacy_rows().values())

        answer = claim(cluster, liu, "刘浩然", "18600001111", "482915")
        assert answer["count"] == 2
        assert answer["claimed"] == [{"id": legacy_backup_id(n), "backup_number": n,
                                      "name": f"遗传性耳聋家系外显子组测序数据备份 {i + 1}"} for i, n in enumerate(LIU)]
        backup = cluster.backups.get_backup(liu, legacy_backup_id(LIU[0]))
        history = cluster.backups.history(liu, legacy_backup_id(LIU[0]))
        assert refused(cluster.backups.get_backup, wang, legacy_backup_id(LIU[0])).code == "backup_not_found"

        # Claimed once, never again: not by him, not by anyone, not even a code is sent.
        assert refused(claim, cluster, liu, "刘浩然", "18600001111", "482915").code == "legacy_already_claimed"
        error = refused(ask, cluster, wang, "刘浩然", "18600001111")
        assert (error.code, error.http_status) == ("legacy_already_claimed", 409)
        assert len(sms.sms_sent) == 1

    assert backup["backup_number"] == LIU[0] and backup["status"] == "completed"
    assert history[-1]["summary_zh"] == "liuhaoran 通过原系统注册手机号的短信验证码认领本备份"
    assert history[-1]["actor_id"] == liu
    rows = legacy.legacy_rows()
    assert [(rows[n]["owner_id"], rows[n]["how"]) for n in LIU] == [(liu, "sms")] * 2
    events = legacy.events(event_type="BackupClaimed")
    assert len(events) == 2 and len({e.correlation_id for e in events}) == 1   # one unit of work
    for event in events:
        assert registry.validate("backups", "BackupClaimed", 1, event.data) == event.data
        assert (event.data["how"], event.data["claimed_by"], event.data["unit_code"]) == ("sms", liu, "U-DATA")
    with legacy.engine.connect() as connection:
        from sqlalchemy import select

        from hgrip_backups.adapters import tables
        row = connection.execute(select(tables.backups).where(
            tables.backups.c.id == legacy_backup_id(LIU[1]))).mappings().one()
    assert (row["owner_id"], row["institution_code"], row["unit_code"], row["origin"], row["project_id"]) == \
        (liu, "INST-NGDC", "U-DATA", "legacy", None)


def test_sms_claims_are_refused_before_any_code_is_sent(legacy, cast):
    with legacy.rpc() as cluster:
        error = refused(ask, cluster, cast["zhao"], "赵明辉", "17755556666")   # registered in ECMG
        assert (error.code, error.http_status) == ("claim_other_institution", 409)
        assert "不支持跨单位（公司）认领" in error.message_zh and "个别字词不一致" in error.message_zh
        assert "请及时联系我们" in error.message_zh and "contact us" in error.message
        assert error.details == {"registrant_institution": "华东医学遗传研究院",
                                 "claimant_institution": "国家基因组科学数据中心（测试）"}
        assert refused(claim, cluster, cast["zhao"], "赵明辉", "17755556666", "482915").code \
            == "claim_other_institution"

        error = refused(ask, cluster, cast["liu"], "刘浩然", "18633334444")   # his mobile now, not then
        assert (error.code, error.http_status) == ("legacy_registrant_not_found", 404)
        assert refused(ask, cluster, cast["liu"], "刘晓然", "18600001111").code == "legacy_registrant_not_found"

        for admin in (cast["legal"], cast["bio_admin"]):
            error = refused(ask, cluster, admin, "黄志强", "13700137000")
            assert (error.code, error.http_status) == ("natural_persons_only", 403)
            assert refused(claim, cluster, admin, "黄志强", "13700137000", "482915").code == "natural_persons_only"

        error = refused(cluster.backups.request_claim_code, cast["liu"],
                        {"legacy_name": "", "legacy_mobile": "1860000111", "extra": 1})
        assert (error.code, error.http_status) == ("invalid_input", 400)
        assert set(error.details) == {"legacy_name", "legacy_mobile", "extra"}
        assert "1860000111" not in str(error.details)
        error = refused(cluster.backups.claim_legacy, cast["liu"],
                        {"legacy_name": "刘浩然", "legacy_mobile": "18600001111", "sms_code": "abc"})
        assert error.details == {"sms_code": ["Enter the code from the SMS."]}
    assert legacy.verification.sms_sent == []
    assert all(row["claimed_at"] is None for row in legacy.legacy_rows().values())


def test_the_verification_services_refusals_pass_through_unchanged(legacy, cast):
    legacy.verification.refuse_send = TooManyRequests(
        "sms_code_too_soon", "Wait before asking for a new code.", "请稍后再获取验证码。",
        {"retry_after_seconds": 42})
    with legacy.rpc() as cluster:
        error = refused(ask, cluster, cast["liu"], "刘浩然", "18600001111")
        assert (error.code, error.http_status, error.details) == ("sms_code_too_soon", 429, {"retry_after_seconds": 42})
        error = refused(claim, cluster, cast["liu"], "刘浩然", "18600001111", "482915")   # never requested
        assert (error.code, error.http_status) == ("sms_code_not_requested", 404)


# --- legal person / unit administrator, for a delegate ---------------------------------------------
def test_an_institution_claims_for_a_delegate_of_its_own(legacy, cast):
    legal, wang = cast["legal"], cast["wang"]
    with legacy.rpc() as cluster:
        answer = for_delegate(cluster, legal, "黄志强", "13700137000", "wangyuqing")
        history = cluster.backups.history(wang, legacy_backup_id(HUANG[1]))
        assert cluster.backups.get_backup(wang, legacy_backup_id(HUANG[0]))["backup_number"] == HUANG[0]
        error = refused(for_delegate, cluster, cast["bio_admin"], "黄志强", "13700137000", "wangyuqing")
        assert (error.code, error.http_status) == ("legacy_already_claimed", 409)
    assert answer["count"] == 2 and [c["backup_number"] for c in answer["claimed"]] == list(HUANG)
    assert answer["delegate"] == {"id": wang, "username": "wangyuqing", "name": "王雨晴"}
    assert legacy.verification.sms_sent == []   # no SMS
    assert history[-1]["summary_zh"] == "法人/单位管理员认领本备份，新委托人为 wangyuqing"
    assert history[-1]["actor_id"] == legal
    rows = legacy.legacy_rows()
    assert [(rows[n]["owner_id"], rows[n]["how"]) for n in HUANG] == [(wang, "institution")] * 2
    for event in legacy.events(event_type="BackupClaimed"):
        assert registry.validate("backups", "BackupClaimed", 1, event.data) == event.data
        assert (event.data["owner_id"], event.data["claimed_by"], event.data["unit_code"]) == \
            (wang, legal, "U-BIO")


def test_an_institution_claim_checks_the_delegate_and_the_institution(legacy, cast):
    bio_admin = cast["bio_admin"]
    legacy.account("left-lab", "钱立新", "13811112222", unit="U-BIO", employed=False)
    with legacy.rpc() as cluster:
        # A unit admin's scope is its unit: 刘浩然 (数据资源部) is not one of its members.
        error = refused(for_delegate, cluster, bio_admin, "黄志强", "13700137000", "liuhaoran")
        assert (error.code, error.http_status, error.details) == \
            ("member_not_found", 404, {"field": "delegate_account", "username": "liuhaoran"})
        # Another institution's member, or nobody at all: the same answer.
        assert refused(for_delegate, cluster, cast["legal"], "黄志强", "13700137000", "sunlijuan").code \
            == "member_not_found"
        assert refused(for_delegate, cluster, cast["legal"], "黄志强", "13700137000", "nobody").code \
            == "member_not_found"
        error = refused(for_delegate, cluster, cast["legal"], "黄志强", "13700137000", "left-lab")
        assert (error.code, error.http_status) == ("delegate_not_employed", 409)
        error = refused(for_delegate, cluster, cast["legal"], "黄志强", "13700137000", "ngdc-bio-admin")
        assert (error.code, error.http_status) == ("delegate_not_natural_person", 409)
        error = refused(for_delegate, cluster, cast["wang"], "黄志强", "13700137000", "wangyuqing")
        assert (error.code, error.http_status) == ("institution_admins_only", 403)
        error = refused(for_delegate, cluster, cast["legal"], "赵明辉", "17755556666", "zhaominghui")
        assert (error.code, error.http_status) == ("claim_other_institution", 409)
        assert error.details["registrant_institution"] == "华东医学遗传研究院"
        assert refused(for_delegate, cluster, cast["legal"], "黄志强", "13700137001", "wangyuqing").code == \
            "legacy_registrant_not_found"
        error = refused(cluster.backups.institution_claim, cast["legal"],
                        {"legacy_name": "黄志强", "legacy_mobile": "13700137000"})
        assert error.code == "invalid_input" and "delegate_account" in error.details
    assert all(row["claimed_at"] is None for row in legacy.legacy_rows().values())
    assert legacy.events(event_type="BackupClaimed") == []


# --- claimed once: racing claims ---------------------------------------------------------------
def test_of_racing_claims_of_one_registrant_exactly_one_wins(make_legacy, legacy_export):
    legacy = make_legacy(backups_instances=2)
    numbers = tuple(f"BF20200824{n:05d}" for n in range(1, 6))
    legacy.import_registrants([legacy_export(name="黄志强", mobile="13700137000", numbers=numbers)])
    legal = legacy.account("ngdc-legal", "国家基因组科学数据中心测试", "13800100001", role="legal_person")
    bio_admin = legacy.account("ngdc-bio-admin", "李文博", "13800100002", role="unit_admin", unit="U-BIO")
    for username, name, mobile in (("wangyuqing", "王雨晴", "15811112222"), ("zhangxiaohan", "张晓寒", "13912345678")):
        legacy.account(username, name, mobile, unit="U-BIO")
    liu = legacy.account("liuhaoran", "刘浩然", "18633334444", unit="U-BIO")
    with legacy.rpc() as cluster:
        ask(cluster, liu, "黄志强", "13700137000")
    calls = {"legal→wangyuqing": lambda c: for_delegate(c, legal, "黄志强", "13700137000", "wangyuqing"),
             "admin→zhangxiaohan": lambda c: for_delegate(c, bio_admin, "黄志强", "13700137000", "zhangxiaohan"),
             "liuhaoran by sms": lambda c: claim(c, liu, "黄志强", "13700137000", "482915")}

    def run(call):
        with legacy.rpc() as cluster:   # one client per green thread
            try:
                return call(cluster)
            except DomainError as error:
                return error

    outcomes = dict(zip(calls, eventlet.GreenPool().imap(run, calls.values()), strict=False))
    winners = [who for who, outcome in outcomes.items() if isinstance(outcome, dict)]
    assert len(winners) == 1, outcomes
    assert outcomes[winners[0]]["count"] == 5
    assert all(outcome.code == "legacy_already_claimed" for who, outcome in outcomes.items() if who not in winners)
    rows = legacy.legacy_rows()
    assert len({rows[n]["owner_id"] for n in numbers}) == 1 and all(rows[n]["claimed_at"] for n in numbers)
    events = legacy.events(event_type="BackupClaimed")
    assert sorted(e.data["backup_number"] for e in events) == list(numbers)   # each once


def test_two_claims_that_both_passed_the_checks_cannot_both_commit(make_database, legacy_export, tmp_path):
    """The race below the RPCs: both claims saw the registrant's backups unclaimed, then both
    write. The rows are locked first, so the later one finds nothing left and is refused."""
    import json

    from hgrip_backups.adapters import legacy_store, members, queries, read_models
    from hgrip_backups.app import claims as legacy_claims
    from hgrip_backups.app.ports import Ports
    from hgrip_backups.domain.legacy import NewOwner
    from hgrip_backups.entrypoints.legacy_import import import_legacy_file
    from hgrip_kernel.logging import get_logger
    from hgrip_kernel.nameko.request_context import WorkerRequestContext
    from hgrip_kernel.store import EventStore, create_engine

    secret, numbers = "test-secret", ("BF2020082400002", "BF2021011200008", "BF2021011200009")
    engine = create_engine(make_database("backups"))
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"registrants": [legacy_export(name="黄志强", mobile="13700137000",
                                                              numbers=numbers)]}), encoding="utf-8")
    assert import_legacy_file(engine, str(path), None, secret, progress=False).imported == 3

    store = EventStore(engine, source="backups")
    ports = Ports(store=store, connect=engine.connect, backups=read_models, members=members,
                  legacy=legacy_store, institution=queries, projects=None, verification=None, identity=None,
                  secret=secret)
    request = WorkerRequestContext(None, None, get_logger("test"))
    both_checked = eventlet.event.Event()
    values = {"legacy_name": "黄志强", "legacy_mobile": "13700137000"}
    checked = []

    def claim_for(account_id, username):
        key = legacy_claims.check_registrant(ports, request, values, "国家基因组科学数据中心（测试）")
        checked.append(account_id)
        if len(checked) == 2:
            both_checked.send()
        both_checked.wait()
        owner = NewOwner(account_id, username, "INST-NGDC", "U-BIO")
        try:
            return legacy_claims.claim_registrant(ports, request, *key, owner, "国家基因组科学数据中心（测试）",
                                                  "institution", account_id)
        except DomainError as error:
            return error

    pool = eventlet.GreenPool()
    first = pool.spawn(claim_for, "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10", "wangyuqing")
    second = pool.spawn(claim_for, "6b1d9f3f-4c2e-4d7f-8a8b-1e3c5f7a9b21", "zhangxiaohan")
    outcomes = [first.wait(), second.wait()]
    try:
        assert len(checked) == 2
        assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "list"], outcomes
        assert next(o for o in outcomes if isinstance(o, DomainError)).code == "legacy_already_claimed"
        assert len(next(o for o in outcomes if isinstance(o, list))) == 3
    finally:
        engine.dispose()
