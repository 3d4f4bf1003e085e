"""Validation of RPC arguments. Field errors come back as one ``invalid_input`` with details.

The platform's field rules come from ``hgrip_kernel.schema_fields`` (names, e-mail, accession, control
characters, ``Trimmed``); the texts of the errors are the ones this service always gave.
"""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from hgrip_kernel.errors import invalid_input
from hgrip_kernel.schema_fields import (
    EMAIL_ERROR,
    Trimmed,
    accession_rules,
    email_rules,
    mobile_rule,
    name_rules,
    no_control,
    text_rules,
)

from ..domain import PURPOSES, REPOSITORIES, accession_is_well_formed
from ..domain.code_policy import CODE_LENGTH
from ..domain.sms import SUBJECT_MAX

REQUESTER_NAME_MAX = 100   # the requester's name, as it appears in the mail or the text message


class CanonicalUUID(fields.UUID):
    """A UUID in its canonical lower-case string form (ids are stored and compared that way)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


REPOSITORY = validate.OneOf(sorted(REPOSITORIES), error="Must be one of: {choices}.")


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is an error, not a silently ignored one


class CheckDatasetSchema(_Strict):
    repository = fields.String(required=True, validate=REPOSITORY)
    # Any well-bounded string: a malformed accession is simply one the repository does not have.
    accession = Trimmed(required=True, validate=[*accession_rules(), no_control()])
    submission_account = Trimmed(required=True, validate=email_rules(error=EMAIL_ERROR))


class SendCodeSchema(_Strict):
    file_id = CanonicalUUID(required=True)
    backup_id = CanonicalUUID(required=True)
    # Names end up in an e-mail body: control characters (CR/LF, …) would garble it.
    requester_name = Trimmed(required=True, validate=text_rules(1, REQUESTER_NAME_MAX))
    project_name = Trimmed(required=True, validate=name_rules())
    repository = fields.String(required=True, validate=REPOSITORY)
    accession = Trimmed(required=True, validate=accession_rules())
    submission_account = Trimmed(required=True, validate=email_rules(error=EMAIL_ERROR))

    @validates_schema
    def _accession_format(self, data, **kwargs):
        # A mail about a malformed accession would only confuse its reader.
        if "repository" in data and "accession" in data and \
                not accession_is_well_formed(data["repository"], data["accession"]):
            raise ValidationError("Not a valid accession for this repository.", "accession")


def _code() -> fields.Field:
    return Trimmed(required=True, validate=validate.Regexp(
        rf"^[0-9]{{{CODE_LENGTH}}}\Z", error=f"Must be {CODE_LENGTH} digits."))


class VerifyCodeSchema(_Strict):
    file_id = CanonicalUUID(required=True)
    code = _code()


def _purpose() -> fields.Field:
    return fields.String(required=True, validate=validate.OneOf(sorted(PURPOSES), error="Must be one of: {choices}."))


def _subject() -> fields.Field:
    # Opaque and compared as given (not trimmed); it names a stream, so no control characters.
    return fields.String(required=True, validate=text_rules(1, SUBJECT_MAX))


class SendSmsCodeSchema(_Strict):
    purpose = _purpose()
    subject = _subject()
    # No +86, no spaces inside: the number as the gateway takes it. The error never echoes it.
    mobile = Trimmed(required=True, validate=mobile_rule())   # ASCII digits only (docs/protocols/sms-sink.md)
    # It goes into the text message: no control characters.
    requester_name = Trimmed(required=True, validate=text_rules(1, REQUESTER_NAME_MAX))


class VerifySmsCodeSchema(_Strict):
    purpose = _purpose()
    subject = _subject()
    code = _code()


def load(schema_cls: type[Schema], payload) -> dict:
    """The validated values, or InvalidInput("invalid_input", details per field)."""
    if not isinstance(payload, dict):
        raise invalid_input({"_schema": ["The payload must be an object."]})
    try:
        return schema_cls().load(payload)
    except ValidationError as exc:
        raise invalid_input(exc.normalized_messages()) from exc
