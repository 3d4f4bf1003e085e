"""Identity domain rules in plain Python: no database, no broker."""
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_identity.domain import (
    Account,
    Institution,
    account_id_for,
    account_stream_id,
    institution_stream_id,
)
from hgrip_identity.domain.roles import check_membership, check_placement
from hgrip_kernel.contracts import registry
from hgrip_kernel.contracts.identity import upcast_account
from hgrip_kernel.errors import InvalidInput
from hgrip_kernel.personal_data import mobile_hash

NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


class Stored:
    """What the store hands back to rehydrate: just enough of an Envelope."""

    def __init__(self, event_type, data, stream_version):
        self.event_type, self.data, self.stream_version = event_type, data, stream_version


def saved(aggregate):
    """Simulate a save + reload, so each test sees state folded from stored events only."""
    events = getattr(aggregate, "_history", []) + [
        Stored(e.type, e.data, aggregate.version + i + 1) for i, e in enumerate(aggregate.pending)]
    fresh = type(aggregate).rehydrate(aggregate.id, events)
    fresh._history = events
    return fresh


HMAC_KEY = "unit-test-hmac-key"
ZHANG_MOBILE_HASH = mobile_hash(HMAC_KEY, "13812345678")


def profile(**overrides):
    """What provisioning hands the aggregate: the mobile already hashed (app/provisioning.py)."""
    base = {"username": "zhang", "name": "张晓寒", "mobile_hash": ZHANG_MOBILE_HASH, "role": "natural_person",
            "institution": "NGDC", "unit": None, "real_name_verified": True, "authorised": True,
            "authorised_at": "2023-06-27T03:26:27+00:00", "employed": True}
    base.update(overrides)
    return base


def new_account(username="zhang"):
    return Account(account_stream_id(account_id_for(username)))


def contract_ok(aggregate):
    for event in aggregate.pending:
        registry.validate("identity", event.type, event.schema_version, event.data)


# --- institution ----------------------------------------------------------------------------------
def test_institution_first_upsert_registers_and_repeat_is_a_no_op():
    inst = Institution(institution_stream_id("NGDC"))
    units = [{"code": "U2", "name": "二部"}, {"code": "U1", "name": "一部"}]
    assert inst.upsert("NGDC", "国家基因组科学数据中心", False, units) is True
    assert [e.type for e in inst.pending] == ["InstitutionRegistered"]
    contract_ok(inst)
    inst = saved(inst)
    # Same content in another unit order is the same institution: nothing recorded.
    assert inst.upsert("NGDC", "国家基因组科学数据中心", False, list(reversed(units))) is False
    assert inst.pending == []
    assert inst.version == 1


def test_institution_change_records_update_naming_changed_fields():
    inst = Institution(institution_stream_id("NGDC"))
    inst.upsert("NGDC", "NGDC", False, [{"code": "U1", "name": "一部"}])
    inst = saved(inst)
    assert inst.upsert("NGDC", "NGDC", True, [{"code": "U9", "name": "九部"}]) is True
    (event,) = inst.pending
    assert event.type == "InstitutionUpdated"
    assert event.data["changed"] == ["foreign", "units"]
    contract_ok(inst)
    inst = saved(inst)
    assert inst.foreign is True and inst.units == {"U9": "九部"}  # HGRG's list replaces ours


# --- account provisioning --------------------------------------------------------------------------
def test_account_id_is_stable_per_username():
    assert account_id_for("zhang") == account_id_for("zhang") != account_id_for("li")


def test_provisioning_is_idempotent():
    acc = new_account()
    assert acc.provision(profile(), NOW) is True
    assert [e.type for e in acc.pending] == ["AccountProvisioned"]
    contract_ok(acc)
    acc = saved(acc)
    assert acc.provision(profile(), NOW + timedelta(hours=1)) is False
    assert acc.pending == []


def test_provisioning_change_records_one_update_with_changed_fields():
    acc = saved(_provisioned())
    assert acc.provision(profile(employed=False, mobile_hash=mobile_hash(HMAC_KEY, "13900000000")), NOW) is True
    (event,) = acc.pending
    assert event.type == "AccountUpdated"
    assert event.data["changed"] == ["employed", "mobile_hash"]
    assert "13900000000" not in str(event.data)
    assert event.data["employed"] is False  # full profile, not a diff
    contract_ok(acc)


def test_account_events_are_v3_with_the_email_and_a_change_of_it_is_an_update():
    acc = new_account()
    acc.provision(profile(email="zhangxiaohan@ngdc-demo.example.cn"), NOW)
    (event,) = acc.pending
    assert (event.type, event.schema_version) == ("AccountProvisioned", 3)
    assert "mobile" not in event.data and event.data["mobile_hash"] == ZHANG_MOBILE_HASH
    assert event.data["email"] == "zhangxiaohan@ngdc-demo.example.cn"
    contract_ok(acc)
    acc = saved(acc)
    assert acc.provision(profile(email="zhangxiaohan@ngdc-demo.example.cn"), NOW) is False
    assert acc.provision(profile(email="zxh@ngdc-demo.example.cn"), NOW) is True
    (event,) = acc.pending
    assert (event.type, event.schema_version, event.data["changed"]) == ("AccountUpdated", 3, ["email"])
    contract_ok(acc)
    acc = saved(acc)
    assert acc.provision(profile(), NOW) is True   # a PUT without it clears it (a full profile)
    assert acc.pending[0].data["changed"] == ["email"] and acc.profile["email"] is None


def _v1_payload():
    """A v1 payload as stored before e-mails and hashes: the clear mobile, no email key."""
    v1 = {"account_id": account_id_for("zhang"), **profile(), "mobile": "13812345678"}
    del v1["mobile_hash"]
    return v1


def test_v1_events_upcast_as_migration_0003_does_fold_to_no_email_and_the_hash():
    v1 = _v1_payload()
    registry.validate("identity", "AccountProvisioned", 1, v1)
    updated = {**v1, "employed": False, "mobile": "13900000000", "changed": ["employed", "mobile"]}
    registry.validate("identity", "AccountUpdated", 1, updated)
    hashed = [upcast_account(payload, 1, lambda mobile: mobile_hash(HMAC_KEY, mobile)) for payload in (v1, updated)]
    for event_type, payload in zip(("AccountProvisioned", "AccountUpdated"), hashed, strict=True):
        registry.validate("identity", event_type, 3, payload)   # exactly the v3 contract
        assert "mobile" not in payload and "139000" not in str(payload) and "138123" not in str(payload)
    assert hashed[1]["changed"] == ["employed", "mobile_hash"]
    acc = Account.rehydrate(account_stream_id(account_id_for("zhang")),
                            [Stored("AccountProvisioned", hashed[0], 1), Stored("AccountUpdated", hashed[1], 2)])
    new_hash = mobile_hash(HMAC_KEY, "13900000000")
    assert acc.profile["email"] is None and acc.profile["employed"] is False
    assert acc.profile["mobile_hash"] == new_hash
    assert acc.provision(profile(employed=False, mobile_hash=new_hash), NOW) is False     # nothing new: no event
    assert acc.provision(profile(employed=False, mobile_hash=new_hash, email="zhang@big.ac.cn"), NOW) is True
    (event,) = acc.pending
    assert (event.schema_version, event.data["changed"]) == (3, ["email"])
    contract_ok(acc)


def test_the_v3_contract_carries_a_hash_and_refuses_a_clear_mobile():
    v3 = {"account_id": account_id_for("zhang"), **profile(), "email": None}
    registry.validate("identity", "AccountProvisioned", 3, v3)
    registry.validate("identity", "AccountProvisioned", 3, {**v3, "mobile_hash": None})
    with pytest.raises(InvalidInput):   # closed: no clear number beside the hash
        registry.validate("identity", "AccountProvisioned", 3, {**v3, "mobile": "13812345678"})
    with pytest.raises(InvalidInput):   # the hash field takes a hash, not a number
        registry.validate("identity", "AccountProvisioned", 3, {**v3, "mobile_hash": "13812345678"})


def test_the_v1_and_v2_contracts_differ_only_by_the_email():
    v1 = _v1_payload()
    with pytest.raises(InvalidInput):   # closed: v1 knows no email
        registry.validate("identity", "AccountProvisioned", 1, {**v1, "email": None})
    with pytest.raises(InvalidInput):   # v2 requires it (null allowed)
        registry.validate("identity", "AccountProvisioned", 2, v1)
    registry.validate("identity", "AccountProvisioned", 2, {**v1, "email": None})
    with pytest.raises(InvalidInput):
        registry.validate("identity", "AccountProvisioned", 2, {**v1, "email": "not an address"})


def test_authorised_without_time_takes_now_once_then_keeps_it():
    acc = new_account()
    acc.provision(profile(authorised_at=None), NOW)
    assert acc.pending[0].data["authorised_at"] == NOW.isoformat()
    acc = saved(acc)
    # HGRG repeats the payload later, still without a time: not a change.
    assert acc.provision(profile(authorised_at=None), NOW + timedelta(days=3)) is False
    assert acc.profile["authorised_at"] == NOW.isoformat()


def test_not_authorised_means_no_authorisation_time():
    acc = new_account()
    acc.provision(profile(authorised=False, authorised_at="2023-06-27T03:26:27+00:00"), NOW)
    assert acc.pending[0].data["authorised_at"] is None


def test_employed_defaults_to_true():
    acc = new_account()
    acc.provision(profile(employed=None), NOW)
    assert acc.pending[0].data["employed"] is True


def test_no_event_ever_holds_a_password():
    acc = saved(_provisioned())
    acc.password_set()
    (event,) = acc.pending
    assert event.data == {"account_id": acc.account_id}


# --- roles -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role,institution,unit,field", [
    ("natural_person", None, None, "institution"),
    ("legal_person", "NGDC", "U1", "unit"),
    ("unit_admin", "NGDC", None, "unit"),
    ("unit_admin", None, "U1", "institution"),
    ("operator", None, "U1", "unit"),
    ("emperor", "NGDC", None, "role"),
])
def test_role_placement_refused(role, institution, unit, field):
    with pytest.raises(InvalidInput) as info:
        check_placement(role, institution, unit)
    assert info.value.code == "invalid_input"
    assert field in info.value.details
    assert info.value.message and info.value.message_zh


@pytest.mark.parametrize("role,institution,unit", [
    ("natural_person", "NGDC", None), ("natural_person", "NGDC", "U1"), ("legal_person", "NGDC", None),
    ("unit_admin", "NGDC", "U1"), ("operator", None, None), ("operator", "NGDC", None),
])
def test_role_placement_allowed(role, institution, unit):
    check_placement(role, institution, unit)


def test_provision_applies_role_rules():
    with pytest.raises(InvalidInput):
        new_account().provision(profile(role="unit_admin", unit=None), NOW)


def test_membership_unknown_institution_and_unit():
    with pytest.raises(InvalidInput) as info:
        check_membership("NOPE", None, None)
    assert "institution" in info.value.details
    with pytest.raises(InvalidInput) as info:
        check_membership("NGDC", "U9", {"U1": "一部"})
    assert "unit" in info.value.details
    check_membership("NGDC", "U1", {"U1": "一部"})
    check_membership(None, None, None)  # operator without institution


# --- logins ----------------------------------------------------------------------------------------
def _provisioned():
    acc = new_account()
    acc.provision(profile(), NOW)
    return acc


def test_old_lockout_events_are_still_read_and_lock_nothing():
    """Streams written before failed logins stopped locking still hold LoginFailed/AccountLocked."""
    acc = _provisioned()
    history = [Stored(e.type, e.data, i + 1) for i, e in enumerate(acc.pending)]
    account_id = account_id_for("zhang")
    history += [Stored("LoginFailed", {"account_id": account_id, "at": NOW.isoformat(), "failures": 5}, 2),
                Stored("AccountLocked", {"account_id": account_id, "failures": 5,
                                         "locked_until": (NOW + timedelta(minutes=15)).isoformat()}, 3)]
    acc = Account.rehydrate(acc.id, history)
    assert acc.version == 3 and acc.exists and acc.last_login_at is None
    assert not hasattr(acc, "locked_until") and not hasattr(acc, "login_failed")


def test_first_login_flag():
    acc = saved(_provisioned())
    acc.login_succeeded(NOW)
    assert acc.pending[-1].data["first_login"] is True
    acc = saved(acc)
    acc.login_succeeded(NOW + timedelta(minutes=1))
    assert acc.pending[-1].data["first_login"] is False
    contract_ok(acc)
