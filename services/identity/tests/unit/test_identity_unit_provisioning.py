"""Provisioning from HGRG (app/provisioning.py) over in-memory fakes."""
import pytest

from hgrip_identity.app.provisioning import upsert_account, upsert_institution
from hgrip_identity.domain import account_id_for, account_stream_id, institution_stream_id
from hgrip_kernel.errors import InvalidInput


def test_institution_upsert_is_idempotent(world, ngdc_payload):
    institution, changed = upsert_institution(world.ports, world.request, ngdc_payload)
    assert changed is True and institution.snapshot() == ngdc_payload
    reordered = dict(ngdc_payload, units=list(reversed(ngdc_payload["units"])))
    assert upsert_institution(world.ports, world.request, reordered)[1] is False
    renamed, changed = upsert_institution(world.ports, world.request, dict(ngdc_payload, name="NGDC"))
    assert changed is True and world.records.institutions["NGDC"].name == "NGDC"
    assert world.types(institution_stream_id("NGDC")) == ["InstitutionRegistered", "InstitutionUpdated"]
    assert [e.actor for e in world.store.events] == ["hgrg", "hgrg"]
    assert world.request.log.events() == ["institution_upserted"] * 3


def test_account_upsert_is_idempotent_and_hashes_the_password_once(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    row, changed = upsert_account(world.ports, world.request, zhang_payload)
    again, changed_again = upsert_account(world.ports, world.request, zhang_payload)
    account_id = account_id_for("zhangxh")
    assert (changed, changed_again) == (True, False)
    assert row.id == again.id == account_id and row.unit_name == "数据库部"
    assert row.authorised_at.isoformat() == "2023-06-27T03:26:27+00:00"
    assert world.types(account_stream_id(account_id)) == ["AccountProvisioned", "PasswordSet"]
    assert world.passwords.hashed == 1  # the repeat found the stored hash matching
    assert world.records.password_hash(account_id) == "hashed:Corr3ct-horse"
    assert ("info", "account_upserted", {"account_id": account_id, "changed": False,
                                         "password_changed": False}) in world.request.log.lines


def test_a_new_password_is_a_change_and_no_event_holds_it(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    upsert_account(world.ports, world.request, zhang_payload)
    _, changed = upsert_account(world.ports, world.request,
                                dict(zhang_payload, password="An0ther-secret"))
    assert changed is True
    assert world.types(account_stream_id(account_id_for("zhangxh"))) == \
        ["AccountProvisioned", "PasswordSet", "PasswordSet"]
    assert all("An0ther-secret" not in str(e.data) for e in world.store.events)


@pytest.mark.parametrize("change,field", [
    ({"institution": "NOPE"}, "institution"),
    ({"unit": "U9"}, "unit"),
    ({"role": "legal_person"}, "unit"),
    ({"institution": None}, "institution"),
])
def test_refused_placements_record_nothing(world, ngdc_payload, zhang_payload, change, field):
    upsert_institution(world.ports, world.request, ngdc_payload)
    with pytest.raises(InvalidInput) as info:
        upsert_account(world.ports, world.request, dict(zhang_payload, **change))
    assert field in info.value.details
    assert world.types() == ["InstitutionRegistered"]
    assert world.records.accounts == {}


def test_the_email_is_stored_changed_by_a_later_put_and_never_logged(world, ngdc_payload, zhang_payload):
    from hgrip_identity.app.views import account_view
    upsert_institution(world.ports, world.request, ngdc_payload)
    payload = dict(zhang_payload, email="zhangxiaohan@ngdc-demo.example.cn")
    row, changed = upsert_account(world.ports, world.request, payload)
    assert changed is True and account_view(row)["email"] == "zhangxiaohan@ngdc-demo.example.cn"
    row, changed = upsert_account(world.ports, world.request, dict(payload, email="zxh@ngdc-demo.example.cn"))
    assert changed is True and row.email == "zxh@ngdc-demo.example.cn"
    account_id = account_id_for("zhangxh")
    [provisioned, _, updated] = [e for e in world.store.events if e.stream_id == account_stream_id(account_id)]
    assert (provisioned.schema_version, updated.schema_version) == (3, 3)
    assert updated.data["changed"] == ["email"]
    assert "ngdc-demo" not in repr(world.request.log.lines)
