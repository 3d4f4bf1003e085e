"""RPC payload validation: invalid_input with details per field."""
import pytest

from hgrip_kernel.errors import InvalidInput
from hgrip_projects.schemas import load_create_project

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
