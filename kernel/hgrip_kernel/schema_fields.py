"""marshmallow pieces built from ``hgrip_kernel.field_rules``, for the gateway's and the services' schemas.

Each builder returns fresh validators; ``error`` replaces the English message where a schema has
its own (the texts are part of the API: ``hgrip_kernel.field_errors`` translates them, and tests
compare them), otherwise marshmallow's default text is given.
"""
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from . import field_rules
from .errors import invalid_input

CONTROL_CHARACTERS_ERROR = "Must not contain control characters."
AFTER_TRIMMING_ERROR = "Must be between {min} and {max} characters (after trimming)."
MOBILE_ERROR = "Must be an 11-digit mainland-China mobile number."
EMAIL_ERROR = "Not a valid e-mail address."
CASES_ERROR = "Must be a whole number from {min} to {max}."
MB_PER_CASE_ERROR = "Must be a number greater than 0 (at most {max})."


class BlankIsAbsent(Schema):
    """A query of filters: a filter left empty in the form ("", "  " or null) is no filter, dropped
    before anything is checked (the gateway and the services read query strings alike)."""

    @pre_load
    def _blank_is_absent(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        return {key: value for key, value in data.items()
                if value is not None and not (isinstance(value, str) and not value.strip())}


class Trimmed(fields.String):
    """A string with surrounding whitespace removed before any rule is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def no_control() -> validate.Regexp:
    """Refuses text holding a control character."""
    return validate.Regexp(field_rules.NO_CONTROL_PATTERN, error=CONTROL_CHARACTERS_ERROR)


def text_rules(low: int, high: int, *, error: str | None = None) -> list[validate.Validator]:
    """A length from ``low`` to ``high`` and no control characters (names, titles, usernames)."""
    return [validate.Length(min=low, max=high, error=error), no_control()]


def name_rules(*, error: str | None = None) -> list[validate.Validator]:
    """A name (of a project, backup, person, …): 1 to NAME_MAX characters, no control characters."""
    return text_rules(1, field_rules.NAME_MAX, error=error)


def email_rules(*, error: str | None = None) -> list[validate.Validator]:
    """At most EMAIL_MAX characters and an e-mail address (marshmallow's check)."""
    return [validate.Length(max=field_rules.EMAIL_MAX), validate.Email(error=error)]


def mobile_rule(*, error: str = MOBILE_ERROR) -> validate.Regexp:
    """A mainland-China mobile number as typed: exactly 11 digits, no prefix or separators."""
    return validate.Regexp(field_rules.MOBILE, error=error)   # compiled with re.ASCII


def accession_rules(*, error: str | None = None) -> list[validate.Validator]:
    """A dataset accession: 1 to ACCESSION_MAX characters (its pattern is the repository's rule)."""
    return [validate.Length(min=1, max=field_rules.ACCESSION_MAX, error=error)]


def cases_rule() -> validate.Range:
    """A number of cases: a whole number from 1 to CASES_MAX."""
    return validate.Range(min=1, max=field_rules.CASES_MAX, error=CASES_ERROR)


def mb_per_case_rule() -> validate.Range:
    """Data volume per case in MB: above 0, at most MB_PER_CASE_MAX."""
    return validate.Range(min=0, max=field_rules.MB_PER_CASE_MAX, min_inclusive=False, error=MB_PER_CASE_ERROR)


def load_object(schema: Schema, payload: object) -> dict:
    """The values ``schema`` loads from a JSON object, or ``invalid_input`` with details per field
    (``{"_schema": ["The payload must be an object."]}`` when ``payload`` is no object at all)."""
    if not isinstance(payload, dict):
        raise invalid_input({"_schema": ["The payload must be an object."]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise invalid_input(exc.normalized_messages()) from exc
