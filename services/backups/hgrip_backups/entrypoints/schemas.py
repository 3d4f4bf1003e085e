"""Validation of RPC payloads. Field errors come back as one ``invalid_input`` with details.

Unknown keys are refused (RAISE): a client sending ``backup_number`` or ``progress`` must learn
that they are not accepted, not believe they were.
"""
from datetime import UTC

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from hgrip_kernel import field_rules
from hgrip_kernel.errors import invalid_input
from hgrip_kernel.schema_fields import (
    AFTER_TRIMMING_ERROR,
    Trimmed,
    accession_rules,
    cases_rule,
    email_rules,
    load_object,
    mb_per_case_rule,
    name_rules,
    text_rules,
)

from ..domain import FileDetails, taxonomy
from ..domain.data_file import as_number


class StrictInteger(fields.Integer):
    """An integer, and only an integer: not "3", 3.0 or true."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictNumber(fields.Float):
    """A JSON number (int or float), not a numeric string or a boolean; normalised for display."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return as_number(super()._deserialize(value, attr, data, **kwargs))


EMAIL_ERROR = "Not a valid e-mail address."
NAME_ERROR = AFTER_TRIMMING_ERROR.format(min=1, max=field_rules.NAME_MAX)


def _categories_field(**kwargs):
    return fields.List(
        fields.String(validate=validate.OneOf(list(taxonomy.CATEGORIES),
                                              error="Unknown content category.")),
        validate=validate.Length(min=1, error="Choose at least one content category."), **kwargs)


class _Distinct:
    @validates("categories")
    def _distinct(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("Each content category may be chosen once.")


class CreateBackupSchema(_Distinct, Schema):
    class Meta:
        unknown = RAISE

    name = Trimmed(required=True, validate=name_rules(error=NAME_ERROR))
    categories = _categories_field(required=True)


class UpdateBackupSchema(_Distinct, Schema):
    class Meta:
        unknown = RAISE

    name = Trimmed(validate=name_rules(error=NAME_ERROR))
    categories = _categories_field()


def _file_fields(required: bool) -> dict:
    return {
        "detailed_type": fields.String(required=required, validate=validate.OneOf(
            list(taxonomy.DETAILED_TYPES), error="Unknown detailed type.")),
        "cases": StrictInteger(required=required, validate=cases_rule()),
        "mb_per_case": StrictNumber(required=required, validate=mb_per_case_rule()),
        "submission_account": Trimmed(required=required, validate=email_rules(error=EMAIL_ERROR)),
        "accession": Trimmed(required=required, validate=accession_rules(
            error=AFTER_TRIMMING_ERROR.format(min=1, max=field_rules.ACCESSION_MAX))),
    }


class _Closed(Schema):
    class Meta:
        unknown = RAISE


AddFileSchema = _Closed.from_dict(_file_fields(required=True), name="AddFileSchema")
UpdateFileSchema = _Closed.from_dict(_file_fields(required=False), name="UpdateFileSchema")

_create, _update = CreateBackupSchema(), UpdateBackupSchema()
_add_file, _update_file = AddFileSchema(), UpdateFileSchema()


def load_create_backup(payload) -> dict:
    """``{name, categories}``, trimmed and checked."""
    return load_object(_create, payload)


def load_update_backup(payload) -> dict:
    """The subset of ``{name, categories}`` the caller sent."""
    return load_object(_update, payload)


def load_add_file(payload) -> FileDetails:
    return FileDetails(**load_object(_add_file, payload))


def load_update_file(payload) -> dict:
    """The subset of the file's fields the caller sent."""
    return load_object(_update_file, payload)


def load_code(code) -> str:
    if not isinstance(code, str) or not code.strip() or len(code) > 32:
        raise invalid_input({"code": ["Enter the code from the e-mail."]})
    return code.strip()


# --- HGRG filings (link_filing) ------------------------------------------------------------
MAX_DECLARED_MB = 1e15


class LinkFilingSchema(_Closed):
    """What HGRG says about one prior report (事先报告): its filing number and the backups it cites."""
    filing_number = Trimmed(required=True, validate=text_rules(1, field_rules.FILING_NUMBER_MAX))
    backup_numbers = fields.List(Trimmed(validate=validate.Length(min=1, max=64)), required=True,
                                 validate=validate.Length(min=1, max=1000))
    declared_mb = StrictNumber(required=True, validate=validate.Range(
        min=0, max=MAX_DECLARED_MB, min_inclusive=False))
    recipient = Trimmed(required=True, validate=name_rules())
    filed_at = fields.AwareDateTime(required=True)


_link_filing = LinkFilingSchema()


def load_link_filing(payload) -> dict:
    """The filing with ``filed_at`` as ISO 8601 UTC and the cited numbers without repeats (in order)."""
    values = load_object(_link_filing, payload)
    values["filed_at"] = values["filed_at"].astimezone(UTC).isoformat()
    values["backup_numbers"] = list(dict.fromkeys(values["backup_numbers"]))
    return values


# --- delegation transfer (委托调整) -----------------------------------------------------------
_USERNAME_ERROR = f"Must be between 1 and {field_rules.USERNAME_MAX} characters."


def _username() -> list:
    return text_rules(1, field_rules.USERNAME_MAX, error=_USERNAME_ERROR)


class _TransferSchema(Schema):
    class Meta:
        unknown = RAISE

    from_account = Trimmed(required=True, validate=_username())   # username of the current delegate
    to_account = Trimmed(required=True, validate=_username())     # username of the new delegate


_transfer = _TransferSchema()


def load_transfer(payload) -> dict:
    return load_object(_transfer, payload)
