"""Validation of RPC arguments. Field errors come back as one ``invalid_input`` with details."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from hgrip_kernel.errors import invalid_input

from ..domain import PURPOSES, REPOSITORIES, accession_is_well_formed
from ..domain.code_policy import CODE_LENGTH
from ..domain.sms import MOBILE_PATTERN, SUBJECT_MAX


class Trimmed(fields.String):
    """A string with surrounding whitespace removed before any other rule is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class CanonicalUUID(fields.UUID):
    """A UUID in its canonical lower-case string form (ids are stored and compared that way)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


# Names end up in an e-mail body: control characters (CR/LF, …) would garble it.
NO_CONTROL = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Must not contain control characters.")
REPOSITORY = validate.OneOf(sorted(REPOSITORIES), error="Must be one of: {choices}.")
EMAIL = [validate.Length(max=254), validate.Email(error="Not a valid e-mail address.")]


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is an error, not a silently ignored one


class CheckDatasetSchema(_Strict):
    repository = fields.String(required=True, validate=REPOSITORY)
    # Any well-bounded string: a malformed accession is simply one the repository does not have.
    accession = Trimmed(required=True, validate=[validate.Length(min=1, max=64), NO_CONTROL])
    submission_account = Trimmed(required=True, validate=EMAIL)


class SendCodeSchema(_Strict):
    file_id = CanonicalUUID(required=True)
    backup_id = CanonicalUUID(required=True)
    requester_name = Trimmed(required=True, validate=[validate.Length(min=1, max=100), NO_CONTROL])
    project_name = Trimmed(required=True, validate=[validate.Length(min=1, max=200), NO_CONTROL])
    repository = fields.String(required=True, validate=REPOSITORY)
    accession = Trimmed(required=True, validate=validate.Length(min=1, max=64))
    submission_account = Trimmed(required=True, validate=EMAIL)

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
    return fields.String(required=True, validate=[validate.Length(min=1, max=SUBJECT_MAX), NO_CONTROL])


class SendSmsCodeSchema(_Strict):
    purpose = _purpose()
    subject = _subject()
    # No +86, no spaces inside: the number as the gateway takes it. The error never echoes it.
    mobile = Trimmed(required=True, validate=validate.Regexp(
        MOBILE_PATTERN, error="Must be an 11-digit mainland-China mobile number."))
    # It goes into the text message: no control characters.
    requester_name = Trimmed(required=True, validate=[validate.Length(min=1, max=100), NO_CONTROL])


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
