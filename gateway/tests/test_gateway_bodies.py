"""Request bodies: JSON parsing, size limit, and the request schemas' rules."""
import json

import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from hgrip_gateway import schemas
from hgrip_gateway.errors import GatewayError
from hgrip_gateway.responses import MAX_BODY_BYTES, read_json

PROJECT = {"name": " 肺癌队列 ", "pi_name": "张三", "pi_email": "zhang@bigd.ac.cn", "consent": True}
ACCOUNT = {"name": "Alice", "role": "natural_person", "real_name_verified": True, "authorised": True}


def request_with(body: bytes) -> Request:
    return Request(EnvironBuilder(method="POST", data=body).get_environ())


def load(schema_cls, document):
    return read_json(request_with(json.dumps(document).encode()), schema_cls())


def errors_of(schema_cls, document) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(schema_cls, document)
    return caught.value.normalized_messages()


@pytest.mark.parametrize("body", [b"", b"{", b"not json", b"[1]", b'"text"', b"\xff\xfe{}", b"null"])
def test_non_objects_and_broken_json_are_invalid_json(body):
    with pytest.raises(GatewayError) as caught:
        read_json(request_with(body), schemas.LoginRequest())
    assert caught.value.code == "invalid_json" and caught.value.details["reason"]


def test_an_oversized_body_is_refused_before_parsing():
    with pytest.raises(GatewayError) as caught:
        read_json(request_with(b" " * (MAX_BODY_BYTES + 1)), schemas.LoginRequest())
    assert caught.value.code == "payload_too_large" and caught.value.http_status == 413


def test_a_valid_project_is_trimmed_and_passed_as_plain_data():
    assert load(schemas.ProjectCreateRequest, PROJECT) == {**PROJECT, "name": "肺癌队列"}


@pytest.mark.parametrize("schema_cls, document", [
    (schemas.LoginRequest, {"username": "a", "password": "b", "remember": True}),
    (schemas.ProjectCreateRequest, {**PROJECT, "institution": {"code": "X"}}),
    (schemas.InstitutionUpsertRequest, {"name": "I", "foreign": False, "units": [{"code": "U", "name": "u", "x": 1}]}),
    (schemas.AccountUpsertRequest, {**ACCOUNT, "is_admin": True}),
])
def test_unknown_fields_are_refused(schema_cls, document):
    assert "Unknown field." in json.dumps(errors_of(schema_cls, document))


@pytest.mark.parametrize("value", [1, "true", "yes", "on", None])
def test_consent_must_be_a_json_boolean(value):
    assert "consent" in errors_of(schemas.ProjectCreateRequest, {**PROJECT, "consent": value})


def test_consent_false_is_passed_on_for_the_projects_service_to_refuse():
    # Its refusal (consent_required) is a domain rule with its own code and messages.
    assert load(schemas.ProjectCreateRequest, {**PROJECT, "consent": False})["consent"] is False


def test_project_field_rules():
    errors = errors_of(schemas.ProjectCreateRequest, {"name": "  ", "pi_name": "x" * 51, "pi_email": "nope"})
    assert set(errors) == {"name", "pi_name", "pi_email", "consent"}
    assert "name" in errors_of(schemas.ProjectCreateRequest, {**PROJECT, "name": "a\x00b"})


def test_account_upsert_passes_hgrg_blanks_and_local_times_on_to_identity():
    document = {**ACCOUNT, "password": "", "mobile": "", "institution": "", "unit": "",
                "authorised_at": "2023-06-27 11:26:27", "employed": False}
    assert load(schemas.AccountUpsertRequest, document) == document


def test_account_upsert_takes_an_optional_email_and_answers_it_masked():
    document = {**ACCOUNT, "email": " zhangxiaohan@ngdc-demo.example.cn "}
    assert load(schemas.AccountUpsertRequest, document)["email"] == "zhangxiaohan@ngdc-demo.example.cn"
    assert load(schemas.AccountUpsertRequest, {**ACCOUNT, "email": ""})["email"] == ""   # HGRG's "none"
    assert "email" in errors_of(schemas.AccountUpsertRequest, {**ACCOUNT, "email": "a" * 250 + "@b.cn"})
    assert "email" in errors_of(schemas.AccountUpsertRequest, {**ACCOUNT, "email": 7})
    shown = schemas.Account().dump({"id": "1", "username": "zhangxiaohan", "name": "张晓寒", "role": "natural_person",
                                    "real_name_verified": True, "authorised": True,
                                    "email": "zhangxiaohan@ngdc-demo.example.cn"})
    assert shown["email"] == "z***@ngdc-demo.example.cn"
    assert schemas.Account().dump({"id": "1", "email": None})["email"] is None


def test_account_upsert_requires_the_contract_fields():
    errors = errors_of(schemas.AccountUpsertRequest, {"role": "king"})
    assert set(errors) == {"name", "role", "real_name_verified", "authorised"}


def test_institution_units_default_to_none_given():
    assert load(schemas.InstitutionUpsertRequest, {"name": "I", "foreign": True}) == \
        {"name": "I", "foreign": True, "units": []}
