"""Field problems: every marshmallow message the platform can produce gets a code and Chinese."""
import pytest
from marshmallow import Schema, ValidationError, fields, validate

from hgrip_kernel.field_errors import CODES, UNKNOWN_CODE, UNKNOWN_ZH, field_errors, field_problem


class Unit(Schema):
    code = fields.String(required=True)


class Sample(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    cases = fields.Integer(strict=True, validate=validate.Range(min=0, min_inclusive=False, max=5))
    size = fields.Float(validate=validate.Range(min=1))
    tags = fields.List(fields.String())
    units = fields.List(fields.Nested(Unit))
    role = fields.String(required=True, validate=validate.OneOf(["a", "b"]))
    mail = fields.String(validate=validate.Email())
    flag = fields.Boolean(allow_none=False)


def load_errors(payload: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        Sample().load(payload)
    return field_errors(caught.value.normalized_messages())["fields"]


def test_marshmallow_messages_become_codes_with_params_and_both_languages():
    found = load_errors({"name": "", "cases": 9, "size": 0, "tags": [1], "units": [{}], "extra": 1,
                         "mail": "nope", "flag": None})
    assert found["name"] == [{"code": "length_out_of_range", "message": "Length must be between 1 and 200.",
                              "message_zh": "长度须在 1 到 200 之间。", "params": {"min": 1, "max": 200}}]
    assert found["cases"][0]["code"] == "out_of_range"
    assert found["cases"][0]["params"] == {"min": 0, "max": 5, "min_inclusive": False, "max_inclusive": True}
    assert found["cases"][0]["message_zh"] == "须大于 0 且小于或等于 5。"
    assert found["size"][0]["code"] == "too_small" and found["size"][0]["params"]["min"] == 1
    assert found["tags.0"][0]["code"] == "invalid_type" and found["tags.0"][0]["params"] == {"type": "string"}
    assert found["tags.0"][0]["message_zh"] == "类型不正确，应为字符串。"
    assert found["units.0.code"][0]["code"] == "required"
    assert found["role"][0]["code"] == "required"
    assert found["extra"][0]["code"] == "unknown_field"
    assert found["mail"][0]["code"] == "invalid_email"
    assert found["flag"][0]["code"] == "null"


def test_one_of_keeps_its_choices():
    problem = load_errors({"role": "c"})["role"][0]
    assert problem["code"] == "not_one_of"
    assert problem["params"] == {"choices": "a, b"} and problem["message_zh"] == "须为以下之一：a, b。"


def test_unknown_text_keeps_its_english_and_gets_a_generic_chinese_one():
    assert field_problem("Something new.") == {"code": UNKNOWN_CODE, "message": "Something new.",
                                                "message_zh": UNKNOWN_ZH, "params": {}}
    # The sender's own Chinese (or a known translation) wins over the generic text.
    assert field_errors({"x": ["Something new."]}, {"Something new.": "新情况。"})["fields"]["x"][0][
        "message_zh"] == "新情况。"


def test_services_bilingual_items_and_schema_level_messages():
    details = {"page": [{"message": "Must be a whole number from 1 to 100.", "message_zh": "页码须为 1–100。"}],
               "_schema": ["The payload must be an object."]}
    found = field_errors(details)["fields"]
    assert found["page"] == [{"code": "out_of_range", "message": "Must be a whole number from 1 to 100.",
                              "message_zh": "页码须为 1–100。", "params": {"min": 1, "max": 100}}]
    assert found["_schema"][0]["code"] == "payload_not_object"
    assert field_errors("whole payload wrong")["fields"]["_schema"][0]["message"] == "whole payload wrong"


def test_already_coded_details_pass_unchanged():
    coded = field_errors({"name": ["Unknown field."]})
    assert field_errors(coded) == coded


def test_every_code_is_snake_case():
    assert all(code.replace("_", "").isalpha() and code.islower() for code in CODES)
