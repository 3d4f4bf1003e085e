"""The shared field rules and the marshmallow validators built from them (no server needed)."""
import pytest
from marshmallow import Schema, ValidationError

from hgrip_kernel import field_rules
from hgrip_kernel.field_errors import field_problem
from hgrip_kernel.schema_fields import (
    Trimmed,
    accession_rules,
    cases_rule,
    email_rules,
    mb_per_case_rule,
    mobile_rule,
    name_rules,
    no_control,
    text_rules,
)


def _errors(schema: Schema, payload: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.load(payload)
    return caught.value.normalized_messages()


def test_limits_are_the_platform_limits():
    assert (field_rules.NAME_MAX, field_rules.PI_NAME_MAX, field_rules.EMAIL_MAX) == (200, 50, 254)
    assert (field_rules.ACCESSION_MAX, field_rules.USERNAME_MAX, field_rules.FILING_NUMBER_MAX) == (64, 100, 64)
    assert field_rules.CASES_MAX == field_rules.MB_PER_CASE_MAX == 1_000_000_000
    assert field_rules.PAGE_SIZE_MAX == 100


@pytest.mark.parametrize("text", ["a\nb", "tab\there", "\x00", "del\x7f", "\x1f"])
def test_control_characters_are_found(text):
    assert field_rules.has_control_characters(text)
    assert field_rules.CONTROL_CHARACTERS.search(text)


@pytest.mark.parametrize("text", ["", "plain name", "名字 · 项目", "\u0080 is not C0", "emoji 🧬"])
def test_ordinary_text_has_no_control_characters(text):
    assert not field_rules.has_control_characters(text)


@pytest.mark.parametrize(("typed", "number"), [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("138-0013-8000", "13800138000"),
    ("+8613800138000", "13800138000"), ("86 138 0013 8000", "13800138000"),
    ("１３８００１３８０００", "13800138000"), ("19912345678", "19912345678")])
def test_normalise_mobile_forgives_old_platform_spellings(typed, number):
    assert field_rules.normalise_mobile(typed) == number


@pytest.mark.parametrize("typed", [None, 13800138000, "", "12800138000", "1380013800", "138001380001",
                                   "+1 13800138000", "8513800138000", "not a number"])
def test_normalise_mobile_refuses_what_is_no_mainland_mobile(typed):
    assert field_rules.normalise_mobile(typed) is None


@pytest.mark.parametrize(("text", "ok"), [
    ("a@b.cn", True), ("wang.li@pku.edu.cn", True), ("no-at.example.org", False), ("a@b", False),
    ("a b@c.cn", False), ("a@@b.cn", False), ("", False)])
def test_is_email(text, ok):
    assert field_rules.is_email(text) is ok


class _Form(Schema):
    name = Trimmed(validate=name_rules())
    trimmed_name = Trimmed(validate=name_rules(error="Must be between {min} and {max} characters (after trimming)."))
    pi_name = Trimmed(validate=text_rules(1, field_rules.PI_NAME_MAX))
    email = Trimmed(validate=email_rules())
    service_email = Trimmed(validate=email_rules(error="Not a valid e-mail address."))
    mobile = Trimmed(validate=mobile_rule())
    accession = Trimmed(validate=accession_rules())
    remark = Trimmed(validate=no_control())


def test_trimmed_strips_before_the_rules():
    assert _Form().load({"name": "  a name  ", "mobile": " 13800138000 "}) == {
        "name": "a name", "mobile": "13800138000"}
    assert _errors(_Form(), {"name": "   "}) == {"name": ["Length must be between 1 and 200."]}


def test_text_rules_give_todays_messages():
    too_long = "x" * 201
    assert _errors(_Form(), {"name": too_long}) == {"name": ["Length must be between 1 and 200."]}
    assert _errors(_Form(), {"trimmed_name": too_long}) == {
        "trimmed_name": ["Must be between 1 and 200 characters (after trimming)."]}
    assert _errors(_Form(), {"name": "a\nb"}) == {"name": ["Must not contain control characters."]}
    assert _errors(_Form(), {"pi_name": "p" * 51}) == {"pi_name": ["Length must be between 1 and 50."]}
    assert _Form().load({"name": "n" * 200, "pi_name": "p" * 50}) == {"name": "n" * 200, "pi_name": "p" * 50}


def test_email_rules():
    assert _errors(_Form(), {"email": "nope"}) == {"email": ["Not a valid email address."]}
    assert _errors(_Form(), {"service_email": "nope"}) == {"service_email": ["Not a valid e-mail address."]}
    long_one = "a" * 250 + "@b.cn"
    assert "Longer than maximum length 254." in _errors(_Form(), {"email": long_one})["email"]


@pytest.mark.parametrize("typed", ["138 0013 8000", "+8613800138000", "12800138000", "1380013800"])
def test_mobile_rule_is_strict(typed):
    assert _errors(_Form(), {"mobile": typed}) == {
        "mobile": ["Must be an 11-digit mainland-China mobile number."]}


def test_accession_rules():
    assert _Form().load({"accession": "HRA000567"}) == {"accession": "HRA000567"}
    assert _errors(_Form(), {"accession": "A" * 65}) == {"accession": ["Length must be between 1 and 64."]}


def test_number_rules_and_their_codes():
    with pytest.raises(ValidationError) as caught:
        cases_rule()(field_rules.CASES_MAX + 1)
    assert caught.value.messages == ["Must be a whole number from 1 to 1000000000."]
    assert field_problem(caught.value.messages[0])["code"] == "out_of_range"
    assert cases_rule()(field_rules.CASES_MAX) == field_rules.CASES_MAX
    with pytest.raises(ValidationError) as caught:
        mb_per_case_rule()(0)
    assert caught.value.messages == ["Must be a number greater than 0 (at most 1000000000)."]
    assert field_problem(caught.value.messages[0])["params"] == {"max": 1_000_000_000}
    assert mb_per_case_rule()(0.5) == 0.5


@pytest.mark.parametrize("message", ["Must not contain control characters.",
                                     "Must be an 11-digit mainland-China mobile number.",
                                     "Not a valid e-mail address.",
                                     "Must be between 1 and 200 characters (after trimming)."])
def test_the_messages_have_stable_codes(message):
    assert field_problem(message)["code"] != "invalid"


def test_the_mobile_rule_takes_ascii_digits_only_as_javascript_reads_its_pattern():
    from marshmallow import ValidationError

    from hgrip_kernel.schema_fields import mobile_rule
    rule = mobile_rule()
    assert rule("13800138000") == "13800138000"
    for typed in ("１３８００１３８０００", "13８00138000", "1380013800", "+8613800138000", "138 0013 8000"):
        with pytest.raises(ValidationError):
            rule(typed)
    assert rule.regex.pattern == field_rules.MOBILE_PATTERN == r"^1[3-9]\d{9}$"   # what OpenAPI publishes
