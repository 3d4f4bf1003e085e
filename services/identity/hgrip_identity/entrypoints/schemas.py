"""marshmallow schemas of identity's RPC payloads; ``load`` turns failures into InvalidInput."""
from datetime import timedelta, timezone

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from hgrip_kernel.errors import invalid_input
from hgrip_kernel.field_rules import CODE_MAX, NAME_MAX, USERNAME_MAX
from hgrip_kernel.schema_fields import EMAIL_ERROR, Trimmed, email_rules, mobile_rule

from ..domain import password_policy
from ..domain.roles import ROLES

# Codes end up inside stream ids and URLs: keep them to a plain, bounded alphabet.
CODE = validate.Regexp(rf"^[A-Za-z0-9][A-Za-z0-9_.\-]{{0,{CODE_MAX - 1}}}$",
                       error=f"must be 1-{CODE_MAX} letters, digits, '_', '.' or '-'")
NAME = validate.Length(min=1, max=NAME_MAX)
# HGRG sends local times without an offset (e.g. "2023-06-27 11:26:27"): those are Beijing time.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is an error, not a silently ignored one

    optional_blank = ()  # fields where "" from HGRG means "not given"

    @pre_load
    def _tidy(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        tidy = {k: (v.strip() if isinstance(v, str) and k != "password" else v) for k, v in data.items()}
        for key in self.optional_blank:
            if tidy.get(key) == "":
                tidy[key] = None
        return tidy


class UnitSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=NAME)


class InstitutionPayloadSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=NAME)
    foreign = fields.Boolean(load_default=False)
    units = fields.List(fields.Nested(UnitSchema), load_default=list)

    @validates_schema
    def _unique_units(self, data, **kwargs):
        codes = [unit["code"] for unit in data.get("units", [])]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValidationError(f"duplicate unit codes: {', '.join(duplicates)}", "units")


class AccountPayloadSchema(_Strict):
    optional_blank = ("password", "mobile", "institution", "unit", "authorised_at", "email")

    username = fields.String(required=True, validate=validate.Regexp(
        rf"^\S{{1,{USERNAME_MAX}}}$", error=f"must be 1-{USERNAME_MAX} characters without spaces"))
    password = fields.String(load_default=None, allow_none=True)
    name = fields.String(required=True, validate=NAME)
    mobile = fields.String(load_default=None, allow_none=True,
                           validate=mobile_rule(error="must be an 11-digit mainland mobile number"))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    institution = fields.String(load_default=None, allow_none=True, validate=CODE)
    unit = fields.String(load_default=None, allow_none=True, validate=CODE)
    real_name_verified = fields.Boolean(load_default=False)
    authorised = fields.Boolean(load_default=False)
    authorised_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=BEIJING)
    employed = fields.Boolean(load_default=True)
    # Where the platform's notices go. Absent or "" means none: like every field of this full
    # profile, a PUT without it clears what an earlier one gave.
    email = Trimmed(load_default=None, allow_none=True, validate=email_rules(error=EMAIL_ERROR))

    @validates("password")
    def _password_policy(self, value, **kwargs):
        if value is not None and password_policy.problems(value):
            raise ValidationError(password_policy.problems(value))


class LoginSchema(_Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=USERNAME_MAX))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenSchema(_Strict):
    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class AccountIdSchema(_Strict):
    account_id = fields.UUID(required=True)


class MessageIdSchema(_Strict):
    """A dead letter's message id (an event id, or whatever the producer set): printable, ≤ 200."""
    message_id = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                        validate.Regexp(r"^[\x21-\x7e]+$")])


def load(schema_cls: type[Schema], payload) -> dict:
    try:
        return schema_cls().load(payload)
    except ValidationError as exc:
        raise invalid_input(exc.normalized_messages()) from None
