"""Members and institutions as backups knows them: read models of identity's events.

Over the bus (a running BackupsService, real RabbitMQ and PostgreSQL) and applied directly on a
connection: a newer stream version wins, an older or redelivered event changes nothing, and a
mobile number is only ever stored as its keyed hash.
"""
import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, select

from hgrip_backups.adapters import members, tables
from hgrip_backups.domain.mobile import mobile_hash
from hgrip_backups.domain.scope import Authority
from hgrip_kernel.envelope import load_envelope
from hgrip_kernel.store.tables import inbox

SECRET = "members-test-mobile-hash-secret"


def _deliver(backups, handler, envelope):
    with entrypoint_waiter(backups.container, handler) as waited:
        backups.publish(envelope)
    assert waited.get() is None


def _row(engine, table, **key):
    with engine.connect() as connection:
        query = select(table).where(*(table.c[k] == v for k, v in key.items()))
        return connection.execute(query).mappings().first()


# --- over the bus -------------------------------------------------------------------------------
def test_account_provisioned_builds_the_member_and_keeps_the_mobile_as_a_hash(backups, identity_events):
    _deliver(backups, "on_institution_registered", identity_events.institution())
    account = identity_events.account(name="张晓寒", username="zhangxiaohan", mobile="13800138000")
    _deliver(backups, "on_account_provisioned", account)

    account_id = account["data"]["account_id"]
    with backups.engine.connect() as connection:
        member = members.get_member(connection, account_id)
    assert (member["username"], member["name"], member["role"], member["institution_code"],
            member["unit_code"], member["employed"], member["authorised"], member["version"]) == (
        "zhangxiaohan", "张晓寒", "natural_person", "NGDC", "U1", True, True, 1)
    assert member["authorised_at"].isoformat() == "2023-06-27T03:26:27+00:00"
    assert (member["institution_name"], member["unit_name"]) == ("国家基因组科学数据中心测试", "生物信息研究部")
    secret = backups.container.config["MOBILE_HASH_SECRET"]
    assert member["mobile_hash"] == mobile_hash(secret, "13800138000")
    # The number itself is nowhere in the row.
    assert not any("13800138000" in str(value) for value in dict(member).values())


def test_a_newer_account_version_wins_and_an_older_one_changes_nothing(backups, identity_events):
    first = identity_events.account(name="张晓寒")
    account_id = first["data"]["account_id"]
    second = identity_events.account(version=2, account_id=account_id,
                                     username=first["data"]["username"], name="张晓涵",
                                     employed=False, changed=["name", "employed"])
    # Delivered out of order: the newer one first, then the older one.
    _deliver(backups, "on_account_updated", second)
    _deliver(backups, "on_account_provisioned", first)
    row = _row(backups.engine, tables.members, account_id=account_id)
    assert (row["name"], row["employed"], row["version"]) == ("张晓涵", False, 2)

    # A redelivery of the same event (same id) is recognised by the inbox and changes nothing.
    _deliver(backups, "on_account_updated", second)
    assert _row(backups.engine, tables.members, account_id=account_id) == row
    with backups.engine.connect() as connection:
        marks = connection.execute(select(inbox.c.event_id).where(
            inbox.c.consumer == "backups.on_account_updated")).scalars().all()
    assert marks == [second["event_id"]]


def test_institution_events_replace_the_units_and_an_older_one_is_ignored(backups, identity_events):
    registered = identity_events.institution()
    _deliver(backups, "on_institution_registered", registered)
    updated = identity_events.institution(version=2, name="国家基因组科学数据中心", changed=["name", "units"],
                                          units=[{"code": "U2", "name": "数据资源部（新）"},
                                                 {"code": "U3", "name": "生物样本部"}])
    _deliver(backups, "on_institution_updated", updated)
    # The registration arrives again, as a new message (another event id) carrying version 1.
    again = identity_events.institution(version=1, name="旧名称")
    _deliver(backups, "on_institution_registered", again)

    with backups.engine.connect() as connection:
        assert members.institution_name(connection, "NGDC") == "国家基因组科学数据中心"
        units = connection.execute(select(tables.member_units.c.code, tables.member_units.c.name)
                                   .order_by(tables.member_units.c.code)).all()
    assert units == [("U2", "数据资源部（新）"), ("U3", "生物样本部")]
    row = _row(backups.engine, tables.member_institutions, code="NGDC")
    assert (row["version"], row["foreign"], row["name_key"]) == (2, False, "国家基因组科学数据中心")


# --- applied on a connection --------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(make_database):
    engine = create_engine(make_database("backups"))
    yield engine
    engine.dispose()


def _apply_account(engine, envelope) -> bool:
    with engine.begin() as connection:
        return members.apply_account(connection, load_envelope(envelope), SECRET)


def test_apply_account_moves_only_forward(engine, identity_events):
    v1 = identity_events.account(name="王雨晴", mobile="+86 138-0013-8001")
    account_id = v1["data"]["account_id"]
    same = {"account_id": account_id, "username": v1["data"]["username"]}
    v2 = identity_events.account(version=2, **same, name="王雨晴", unit="U2", changed=["unit"])
    v3 = identity_events.account(version=3, **same, name="王雨晴", unit="U2", mobile=None,
                                 authorised=False, authorised_at=None,
                                 changed=["mobile", "authorised", "authorised_at"])

    assert _apply_account(engine, v1) is True
    row = _row(engine, tables.members, account_id=account_id)
    assert row["mobile_hash"] == mobile_hash(SECRET, "13800138001")   # normalised before hashing
    assert _apply_account(engine, v3) is True
    assert _apply_account(engine, v2) is False      # older than the row
    assert _apply_account(engine, v3) is False      # the same version again
    row = _row(engine, tables.members, account_id=account_id)
    assert (row["version"], row["unit_code"], row["mobile_hash"], row["authorised"],
            row["authorised_at"]) == (3, "U2", None, False, None)


def test_apply_institution_moves_only_forward(engine, identity_events):
    code = "APPLY-TEST"
    v1 = identity_events.institution(code=code, units=[{"code": "A", "name": "甲"}])
    v2 = identity_events.institution(version=2, code=code, units=[])
    with engine.begin() as connection:
        assert members.apply_institution(connection, load_envelope(v2)) is True
        assert members.apply_institution(connection, load_envelope(v1)) is False
        assert members.unit_name(connection, code, "A") is None
        assert members.institution_name(connection, code) == "国家基因组科学数据中心测试"


def test_scope_clause_agrees_with_authority_covers(engine, identity_events):
    """The SQL form of the scope rule selects exactly the members ``Authority.covers`` admits."""
    placements = [("SCOPE-A", None), ("SCOPE-A", "A1"), ("SCOPE-A", "A2"), ("SCOPE-B", "B1"),
                  ("SCOPE-B", None)]
    ids = {}
    for institution, unit in placements:
        envelope = identity_events.account(institution=institution, unit=unit, mobile=None)
        _apply_account(engine, envelope)
        ids[envelope["data"]["account_id"]] = (institution, unit)
    authorities = [Authority("x", "legal_person", "SCOPE-A", None),
                   Authority("x", "unit_admin", "SCOPE-A", "A1"),
                   Authority("x", "unit_admin", "SCOPE-B", "B1"),
                   Authority("x", "legal_person", "SCOPE-B", None)]
    table = tables.members
    with engine.connect() as connection:
        for authority in authorities:
            seen = set(connection.execute(select(table.c.account_id).where(
                table.c.account_id.in_(list(ids)),
                members.scope_clause(authority, table.c.institution_code, table.c.unit_code))).scalars())
            assert seen == {i for i, placed in ids.items() if authority.covers(*placed)}, authority
