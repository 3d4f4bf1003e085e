"""RPC payload validation: invalid_input with details per field."""
import pytest

from hgrip_kernel.errors import InvalidInput
from hgrip_projects.entrypoints.schemas import load_create_project

GOOD = {"name": "  WGS of trio  ", "pi_name": " 刘晓寒 ", "pi_email": " liuxh@big.ac.cn ", "consent": True}


def refused(payload) -> dict:
    with pytest.raises(InvalidInput) as caught:
        load_create_project(payload)
    assert caught.value.code == "invalid_input"
    return caught.value.details


def test_trims_and_passes_consent_through():
    details, consent = load_create_project(GOOD)
    assert (details.name, details.pi_name, details.pi_email) == ("WGS of trio", "刘晓寒", "liuxh@big.ac.cn")
    assert consent is True


def test_missing_consent_is_left_to_the_domain():
    payload = dict(GOOD)
    del payload["consent"]
    assert load_create_project(payload)[1] is None


def test_limits_are_inclusive():
    details, _ = load_create_project(dict(GOOD, name="名" * 200, pi_name="x" * 50))
    assert len(details.name) == 200 and len(details.pi_name) == 50


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("name", "   "), ("name", "n" * 201), ("name", 42), ("name", None),
    ("name", "bad\nname"), ("pi_name", ""), ("pi_name", "p" * 51), ("pi_email", "not-an-email"),
    ("pi_email", "a@"), ("pi_email", "a b@c.cn"), ("pi_email", "x" * 250 + "@a.cn"),
])
def test_each_bad_field_is_named(field, value):
    details = refused(dict(GOOD, **{field: value}))
    assert list(details) == [field]


def test_missing_fields_are_all_reported():
    assert set(refused({"consent": True})) == {"name", "pi_name", "pi_email"}


def test_institution_can_never_come_from_input():
    assert "institution" in refused(dict(GOOD, institution={"code": "X", "name": "Mine"}))


@pytest.mark.parametrize("payload", [None, [], "name"])
def test_payload_must_be_an_object(payload):
    assert "_schema" in refused(payload)


TRANSFER = {"transfer_id": "9E4A2C6C-7F5B-4AA2-9DBE-4B6F8CAD2E54",
            "from_owner_id": "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10",
            "to_owner_id": "6b1d9f3f-4c2e-4d7f-8a8b-1e3c5f7a9b21", "to_username": "wangyuqing",
            "institution_code": "NGDC", "to_unit_code": None,
            "project_ids": ["00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000001",
                            "00000000-0000-4000-8000-000000000002"],
            "backup_ids": [], "transferred_by": "8d3f1b5b-6e4a-4f91-8cad-3a5e7b9c1d43",
            "transferred_at": "2023-07-01T10:00:00+08:00"}


def test_a_transfer_is_read_with_the_event_contract():
    from hgrip_projects.entrypoints.schemas import load_transfer

    transfer = load_transfer(TRANSFER)
    assert transfer.transfer_id == "9e4a2c6c-7f5b-4aa2-9dbe-4b6f8cad2e54"      # canonical
    assert transfer.project_ids == ("00000000-0000-4000-8000-000000000002",    # order kept, no repeats
                                    "00000000-0000-4000-8000-000000000001")
    assert transfer.to_unit_code is None and transfer.transferred_at.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("change,field", [
    ({"project_ids": "x"}, "project_ids"), ({"to_username": ""}, "to_username"),
    ({"transferred_at": "yesterday"}, "transferred_at"), ({"note": "hi"}, "note"),
])
def test_a_transfer_breaking_the_contract_is_invalid_input(change, field):
    from hgrip_projects.entrypoints.schemas import load_transfer

    with pytest.raises(InvalidInput) as caught:
        load_transfer({**TRANSFER, **change})
    assert caught.value.code == "invalid_input" and field in caught.value.details


@pytest.mark.parametrize("names", [None, "Trio", [1], [""], ["n" * 201]])
def test_names_must_be_a_list_of_project_names(names):
    from hgrip_projects.entrypoints.schemas import load_names

    with pytest.raises(InvalidInput):
        load_names(names)
