"""Mobiles in identity (app/provisioning.py, app/personal_data.py) over in-memory fakes: sealed at
rest, only the keyed hash in events, masked in answers, resealed by a key rotation."""
from dataclasses import replace

import pytest

from hgrip_identity.app.personal_data import account_mobile, rotate_mobiles
from hgrip_identity.app.provisioning import upsert_account, upsert_institution
from hgrip_identity.app.views import account_view
from hgrip_identity.domain import account_id_for
from hgrip_kernel.personal_data import PersonalData, PersonalDataKeyError, local_keys, mobile_hash, new_key_entry

from .conftest import UNIT_HMAC_KEY

MOBILE = "13812345678"


def provisioned(world, ngdc_payload, zhang_payload, **change):
    upsert_institution(world.ports, world.request, ngdc_payload)
    return upsert_account(world.ports, world.request, dict(zhang_payload, **change))


def test_the_mobile_is_sealed_hashed_in_events_and_masked_in_answers(world, ngdc_payload, zhang_payload):
    row, _ = provisioned(world, ngdc_payload, zhang_payload)
    account_id = account_id_for("zhangxh")
    sealed = world.records.sealed[account_id]
    assert MOBILE not in sealed.token and sealed.key_id == "local"
    assert account_mobile(world.ports, account_id) == MOBILE
    assert account_view(row)["mobile"] == "138****5678"
    (provisioned_event,) = [e for e in world.store.events if e.event_type == "AccountProvisioned"]
    assert provisioned_event.data["mobile_hash"] == mobile_hash(UNIT_HMAC_KEY, MOBILE)
    assert MOBILE not in str([e.data for e in world.store.events])
    assert MOBILE not in str(world.request.log.lines)


def test_a_repeat_keeps_the_seal_and_a_new_mobile_replaces_it(world, ngdc_payload, zhang_payload):
    provisioned(world, ngdc_payload, zhang_payload)
    account_id = account_id_for("zhangxh")
    first = world.records.sealed[account_id]
    upsert_account(world.ports, world.request, zhang_payload)
    assert world.records.sealed[account_id] == first          # nothing changed: not resealed
    row, changed = upsert_account(world.ports, world.request, dict(zhang_payload, mobile="13900001111"))
    assert changed and account_view(row)["mobile"] == "139****1111"
    assert account_mobile(world.ports, account_id) == "13900001111"
    updated = world.store.events[-1]
    assert updated.event_type == "AccountUpdated" and updated.data["changed"] == ["mobile_hash"]
    row, _ = upsert_account(world.ports, world.request, dict(zhang_payload, mobile=None))
    assert account_view(row)["mobile"] is None and account_mobile(world.ports, account_id) is None
    assert world.store.events[-1].data["mobile_hash"] is None


def test_rotation_reseals_every_mobile_under_the_new_key(world, ngdc_payload, zhang_payload):
    provisioned(world, ngdc_payload, zhang_payload)
    upsert_account(world.ports, world.request, dict(zhang_payload, username="lihua", mobile="13700002222"))
    old = local_keys("unit-test-secret")
    new = new_key_entry("2027")
    rotating = replace(world.ports, personal_data=PersonalData(UNIT_HMAC_KEY, f"{new},{old}"))
    rotation = rotate_mobiles(rotating, batch=1)
    assert (rotation.key_id, rotation.resealed, rotation.by_key, rotation.done) == ("2027", 2, {"2027": 2}, True)
    assert rotate_mobiles(rotating).resealed == 0          # a second run has nothing to do
    rotated = replace(world.ports, personal_data=PersonalData(UNIT_HMAC_KEY, new))   # the old key dropped
    assert account_mobile(rotated, account_id_for("lihua")) == "13700002222"
    assert account_mobile(rotated, account_id_for("zhangxh")) == MOBILE


def test_a_mobile_under_a_dropped_key_is_refused_not_guessed(world, ngdc_payload, zhang_payload):
    provisioned(world, ngdc_payload, zhang_payload)
    ports = replace(world.ports, personal_data=PersonalData(UNIT_HMAC_KEY, new_key_entry("2027")))
    with pytest.raises(PersonalDataKeyError, match="'local' is no longer"):
        rotate_mobiles(ports)
