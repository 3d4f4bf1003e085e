"""Request and response schemas: the same classes validate requests and document the API.

Request schemas refuse unknown fields (marshmallow's default RAISE, stated explicitly) so that a
client never believes a misspelt or forbidden field (e.g. ``institution`` on a project) was taken.
The services validate their own payloads again; these rules are the public contract's first line.
"""
from marshmallow import RAISE, Schema, fields, validate

# The roles an HGRG account can hold (identity owns the rules that go with them).
ROLES = ["natural_person", "legal_person", "unit_admin", "operator"]


class StrictBoolean(fields.Boolean):
    """Only JSON true/false: "yes", 1 or "on" are not an answer to a yes/no question."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Trimmed(fields.String):
    """A string with surrounding whitespace removed before length rules apply."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _text(low: int, high: int) -> list:
    return [validate.Length(min=low, max=high),
            # Names end up in lists and e-mails; control characters would garble them.
            validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Must not contain control characters.")]


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE


# ---- errors -------------------------------------------------------------------------------

class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = fields.String(required=True, metadata={"description": "English message"})
    message_zh = fields.String(required=True, metadata={"description": "中文说明"})
    details = fields.Dict(required=True, metadata={"description": "per-field messages or other context"})


class ErrorResponse(Schema):
    error = fields.Nested(ErrorDetail, required=True)


# ---- auth and accounts --------------------------------------------------------------------

class LoginRequest(RequestSchema):
    username = Trimmed(required=True, validate=validate.Length(min=1, max=150))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class TokenResponse(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds until the token expires"})


class CodeName(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class AccountInstitution(CodeName):
    foreign = fields.Boolean(required=True)


class Account(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ROLES})
    mobile = fields.String(allow_none=True, metadata={"description": "masked, e.g. 138****5678"})
    institution = fields.Nested(AccountInstitution, allow_none=True)
    unit = fields.Nested(CodeName, allow_none=True)
    real_name_verified = fields.Boolean(required=True)
    authorised = fields.Boolean(required=True)
    authorised_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    employed = fields.Boolean()


# ---- projects -----------------------------------------------------------------------------

class ProjectCreateRequest(RequestSchema):
    name = Trimmed(required=True, validate=_text(1, 200))
    pi_name = Trimmed(required=True, validate=_text(1, 50), metadata={
        "description": "the principal investigator's real name"})
    pi_email = Trimmed(required=True, validate=[validate.Length(max=254), validate.Email()], metadata={
        "format": "email", "description": "later matched against repository submission accounts; "
                                          "prefer the institution's mail domain"})
    # Type-checked here; its value (must be true) is the projects service's rule (consent_required).
    consent = StrictBoolean(required=True, metadata={
        "description": "agreement to the declaration 若蓄意录入虚假信息，需录入者自行承担相应后果"})


class Project(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    pi_name = fields.String(required=True)
    pi_email = fields.String(required=True)
    institution = fields.Nested(CodeName, required=True)
    unit = fields.Nested(CodeName, allow_none=True)
    owner_id = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class ProjectList(Schema):
    items = fields.List(fields.Nested(Project), required=True)
    total = fields.Integer(required=True)


# ---- health -------------------------------------------------------------------------------

class Health(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    services = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "per service: ok, unavailable (not running), timeout, or error"})


# ---- HGRG provisioning --------------------------------------------------------------------

class UnitInput(RequestSchema):
    code = Trimmed(required=True, validate=validate.Length(min=1, max=64))
    name = Trimmed(required=True, validate=_text(1, 200))


class InstitutionUpsertRequest(RequestSchema):
    name = Trimmed(required=True, validate=_text(1, 200))
    foreign = StrictBoolean(required=True, metadata={"description": "foreign or foreign-controlled"})
    units = fields.List(fields.Nested(UnitInput), load_default=list)


class Institution(AccountInstitution):
    units = fields.List(fields.Nested(CodeName))


class InstitutionUpsertResponse(Schema):
    institution = fields.Nested(Institution, required=True)
    changed = fields.Boolean(required=True)


class AccountUpsertRequest(RequestSchema):
    """Shapes and types only: identity owns the content rules (password policy, mainland mobile
    numbers, code alphabet, role placement) and answers invalid_input with details itself.
    HGRG sends "" for "not given" on the optional fields, so "" passes here."""
    password = fields.String(allow_none=True, load_only=True, validate=validate.Length(max=1024))
    name = Trimmed(required=True, validate=_text(1, 200))
    mobile = Trimmed(allow_none=True, validate=validate.Length(max=32))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    institution = Trimmed(allow_none=True, validate=validate.Length(max=64),
                          metadata={"description": "institution code"})
    unit = Trimmed(allow_none=True, validate=validate.Length(max=64),
                   metadata={"description": "unit code within the institution"})
    real_name_verified = StrictBoolean(required=True)
    authorised = StrictBoolean(required=True)
    # Passed on as text: identity reads ISO 8601, a time without offset being Beijing time.
    authorised_at = Trimmed(allow_none=True, validate=validate.Length(max=64), metadata={
        "format": "date-time", "example": "2023-06-27T11:26:27+08:00"})
    employed = StrictBoolean()


class AccountUpsertResponse(Schema):
    account = fields.Nested(Account, required=True)
    changed = fields.Boolean(required=True)

