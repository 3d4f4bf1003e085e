"""Request and response schemas: the same classes validate requests and document the API.

Request schemas refuse unknown fields (marshmallow's default RAISE, stated explicitly) so that a
client never believes a misspelt or forbidden field (e.g. ``institution`` on a project) was taken.
The services validate their own payloads again; these rules are the public contract's first line.
"""
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from hgrip_kernel.field_errors import CODES as FIELD_ERROR_CODES
from hgrip_kernel.field_rules import (
    CODE_MAX,
    EMAIL_MAX,
    FILING_NUMBER_MAX,
    MB_PER_CASE_MAX,
    PI_NAME_MAX,
    USERNAME_MAX,
)
from hgrip_kernel.masking import mask_email
from hgrip_kernel.schema_fields import (
    MB_PER_CASE_ERROR,
    Trimmed,
    accession_rules,
    cases_rule,
    email_rules,
    name_rules,
    text_rules,
)

# The roles an HGRG account can hold (identity owns the rules that go with them).
ROLES = ["natural_person", "legal_person", "unit_admin", "operator"]


class StrictBoolean(fields.Boolean):
    """Only JSON true/false: "yes", 1 or "on" are not an answer to a yes/no question."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class _Tightened:
    """A service's rule, shared now (hgrip_kernel.field_rules) and documented, behind the gateway's
    former looser rule: what the gateway refused before it still refuses in the same words, and what
    only the service refused it now refuses in the service's words — every answer stays what it was."""
    former: validate.Validator

    def __call__(self, value):
        self.former(value)
        return super().__call__(value)  # the Range or Length it is mixed into


class TightenedRange(_Tightened, validate.Range):
    def __init__(self, rule: validate.Range, former: validate.Range):
        super().__init__(min=rule.min, max=rule.max, min_inclusive=rule.min_inclusive,
                         max_inclusive=rule.max_inclusive, error=rule.error)
        self.former = former


class TightenedLength(_Tightened, validate.Length):
    def __init__(self, rule: validate.Length, former: validate.Length):
        super().__init__(min=rule.min, max=rule.max, equal=rule.equal, error=rule.error)
        self.former = former


class StrictFloat(fields.Float):
    """Only a JSON number: "1.5" is text, not a size (Float alone would convert it)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE


class PatchSchema(RequestSchema):
    """A partial update: every field optional, but an empty one is a client mistake, not a no-op."""

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Give at least one of: {', '.join(sorted(self.fields))}.")


# ---- errors -------------------------------------------------------------------------------

class FieldProblem(Schema):
    """One problem of one field (hgrip_kernel.field_errors)."""
    code = fields.String(required=True, metadata={
        "enum": FIELD_ERROR_CODES, "description": "stable code; x-field-error-codes lists example texts"})
    message = fields.String(required=True, metadata={"description": "English"})
    message_zh = fields.String(required=True, metadata={"description": "中文"})
    params = fields.Dict(required=True, metadata={
        "description": "the rule's values, e.g. {min: 1, max: 200} (numbers as numbers)"})


class ErrorDetails(Schema):
    """Context of an error; its keys depend on the code (e.g. reason, service, backup_id, files)."""
    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: other keys are the error's own

    field_problems = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.Nested(FieldProblem)),
        metadata={"description": "invalid_input only: the problems per field path — the field's name, "
                                 "dotted for nested values (units.0.code), _schema for the whole body"})


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = fields.String(required=True, metadata={"description": "English message"})
    message_zh = fields.String(required=True, metadata={"description": "中文说明"})
    details = fields.Nested(ErrorDetails, required=True, metadata={
        "description": "per-field problems (invalid_input) or other context"})


class ErrorResponse(Schema):
    error = fields.Nested(ErrorDetail, required=True)


# ---- auth and accounts --------------------------------------------------------------------

class LoginRequest(RequestSchema):
    # identity's limit; the gateway's former 150 still answers above it.
    username = Trimmed(required=True, validate=TightenedLength(validate.Length(min=1, max=USERNAME_MAX),
                                                               former=validate.Length(min=1, max=150)))
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


class MaskedEmail(fields.String):
    """An e-mail address that leaves the platform masked (z***@ngdc-demo.example.cn), like the mobile."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(mask_email(value), attr, obj, **kwargs)


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
    email = MaskedEmail(allow_none=True, metadata={
        "description": "where the platform's notices go, as HGRG provisioned it; masked, e.g. "
                       "z***@ngdc-demo.example.cn; null: none, so no notices"})


class SessionState(Schema):
    """What a page asks first: is this browser logged in, and as whom (never a 401: it is a question)."""
    authenticated = fields.Boolean(required=True)
    account = fields.Nested(Account, required=True, allow_none=True)


# ---- projects -----------------------------------------------------------------------------

class ProjectCreateRequest(RequestSchema):
    name = Trimmed(required=True, validate=name_rules())
    pi_name = Trimmed(required=True, validate=text_rules(1, PI_NAME_MAX), metadata={
        "description": "the principal investigator's real name"})
    pi_email = Trimmed(required=True, validate=email_rules(), metadata={
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


# ---- backups ------------------------------------------------------------------------------
# Shapes and types only: backups owns the taxonomy (known and distinct categories, which detailed
# types they allow, accession patterns) and the ownership checks, and refuses with its own codes.

_CATEGORIES_HELP = "category codes from GET /api/v1/taxonomy, e.g. wgs, chip, wes"
_DATETIME = {"format": "date-time"}
_CODE = validate.Length(min=1, max=CODE_MAX)


def _categories(**kwargs) -> fields.List:
    return fields.List(Trimmed(validate=_CODE), validate=validate.Length(min=1, max=50),
                       metadata={"description": _CATEGORIES_HELP}, **kwargs)


class BackupCreateRequest(RequestSchema):
    name = Trimmed(required=True, validate=name_rules())
    categories = _categories(required=True)


class BackupUpdateRequest(PatchSchema):
    name = Trimmed(validate=name_rules())
    categories = _categories()


class _FileFields(RequestSchema):
    detailed_type = Trimmed(validate=_CODE, metadata={
        "description": "a detailed type code allowed by the backup's categories (GET /api/v1/taxonomy)"})
    # The bounds are backups' (hgrip_kernel.field_rules); outside a 32-bit integer (the column) the
    # gateway's former answer, between the two backups' answer.
    cases = fields.Integer(strict=True,
                           validate=TightenedRange(cases_rule(), former=validate.Range(min=1, max=2**31 - 1)),
                           metadata={"description": "number of cases (例数)"})
    mb_per_case = StrictFloat(validate=[validate.Range(min=0, min_inclusive=False),
                                        validate.Range(max=MB_PER_CASE_MAX, error=MB_PER_CASE_ERROR)],
                              # apispec drops min_inclusive=False; say it in the document ourselves.
                              metadata={"description": "data volume per case in MB (每例数据量)",
                                        "exclusiveMinimum": True})
    submission_account = Trimmed(validate=email_rules(), metadata={
        "format": "email", "description": "the account that submitted the dataset to its repository"})
    accession = Trimmed(validate=accession_rules(), metadata={
        "description": "dataset accession in its repository, e.g. HRA000567 (pattern per repository: taxonomy)"})


class FileAddRequest(_FileFields):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for field in self.fields.values():  # every field of a new file is needed
            field.required = True


class FileUpdateRequest(PatchSchema, _FileFields):
    pass


class VerifyRequest(RequestSchema):
    code = Trimmed(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="Must be 6 digits."),
                   metadata={"description": "the 6-digit code e-mailed to the submission account",
                             "example": "042917"})


class DataFile(Schema):
    id = fields.String(required=True)
    detailed_type = fields.String(required=True)
    repository = fields.String(required=True, metadata={"enum": ["GSA-Human", "GWH", "GVM", "GenBase", "OMIX"]})
    cases = fields.Integer(required=True)
    mb_per_case = fields.Float(required=True)
    submission_account = fields.String(required=True)
    accession = fields.String(required=True)
    progress = fields.String(required=True, metadata={"enum": ["complete", "pending_verification"]})
    created_at = fields.String(required=True, metadata=_DATETIME)
    updated_at = fields.String(required=True, metadata=_DATETIME)


class BackupSummary(Schema):
    """A backup as listed (without its files)."""
    id = fields.String(required=True)
    project_id = fields.String(required=True, allow_none=True, metadata={
        "description": "null for a legacy backup (numbered on the old platform, claimed here)"})
    project_name = fields.String(required=True)
    name = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "completed"]})
    backup_number = fields.String(required=True, allow_none=True, metadata={
        "description": "BF + Beijing date YYYYMMDD + 5-digit daily serial; null until submitted",
        "example": "BF2024060300001"})
    filing_numbers = fields.List(fields.String(), required=True)
    file_count = fields.Integer(required=True)
    total_mb = fields.Float(required=True, metadata={"description": "Σ cases × mb_per_case"})
    created_at = fields.String(required=True, metadata=_DATETIME)
    submitted_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)


class Filing(Schema):
    """An HGRG prior report (事先报告) citing the backup, with the regulator's volume warning."""
    filing_number = fields.String(required=True, metadata={
        "description": "HGRG's filing number (备案号)", "example": "BA202601150001"})
    recipient = fields.String(required=True, metadata={"description": "the foreign recipient"})
    declared_mb = fields.Float(required=True, metadata={"description": "data volume declared in the filing"})
    cited_total_mb = fields.Float(required=True, metadata={
        "description": "Σ total_mb of every backup the filing cites"})
    exceeds_declared = fields.Boolean(required=True, metadata={
        "description": "cited_total_mb > declared_mb: the filing must be changed in HGRG"})
    filed_at = fields.String(required=True, metadata=_DATETIME)


class Backup(BackupSummary):
    files = fields.List(fields.Nested(DataFile), required=True)
    filings = fields.List(fields.Nested(Filing), required=True, metadata={
        "description": "the filings citing this backup (filing_numbers, in detail)"})


class BackupList(Schema):
    items = fields.List(fields.Nested(BackupSummary), required=True, metadata={"description": "newest first"})
    total = fields.Integer(required=True)


class FileDeleted(Schema):
    deleted = fields.String(required=True, metadata={"description": "the id of the removed file"})


class VerificationCodeSent(Schema):
    sent_to = fields.String(required=True, metadata={"description": "masked e-mail, e.g. d***@big.ac.cn"})
    expires_at = fields.String(required=True, metadata=_DATETIME)
    resend_available_at = fields.String(required=True, metadata=_DATETIME)


class HistoryEntry(Schema):
    at = fields.String(required=True, metadata=_DATETIME)
    event_type = fields.String(required=True, metadata={"example": "DataFileAdded"})
    summary_zh = fields.String(required=True)
    summary_en = fields.String(required=True)
    actor_id = fields.String(required=True, allow_none=True)
    actor_name = fields.String(required=True, allow_none=True)
    correlation_id = fields.String(required=True, allow_none=True)
    details = fields.Dict(required=True)


class History(Schema):
    items = fields.List(fields.Nested(HistoryEntry), required=True, metadata={"description": "oldest first"})


class SyncState(Schema):
    backup_number = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": ["pending", "synced", "failing"]})
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True, allow_none=True)
    synced_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    next_attempt_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)


class TaxonomyCategory(Schema):
    code = fields.String(required=True)
    label_zh = fields.String(required=True)
    label_en = fields.String(required=True)
    detailed_types = fields.List(fields.String(), required=True)


class TaxonomyDetailedType(Schema):
    code = fields.String(required=True)
    label_zh = fields.String(required=True)
    label_en = fields.String(required=True)
    repository = fields.String(required=True)


class TaxonomyRepository(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    accession_pattern = fields.String(required=True, metadata={"description": "anchored regular expression"})
    accession_example = fields.String(required=True)
    url = fields.String(required=True)


class Taxonomy(Schema):
    categories = fields.List(fields.Nested(TaxonomyCategory), required=True)
    detailed_types = fields.List(fields.Nested(TaxonomyDetailedType), required=True)
    repositories = fields.List(fields.Nested(TaxonomyRepository), required=True)


# ---- health -------------------------------------------------------------------------------

class Health(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    services = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "per service: ok, unavailable (not running), timeout, or error"})


# ---- HGRG provisioning --------------------------------------------------------------------

class UnitInput(RequestSchema):
    code = Trimmed(required=True, validate=validate.Length(min=1, max=64))
    name = Trimmed(required=True, validate=name_rules())


class InstitutionUpsertRequest(RequestSchema):
    name = Trimmed(required=True, validate=name_rules())
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
    name = Trimmed(required=True, validate=name_rules())
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
    email = Trimmed(allow_none=True, validate=validate.Length(max=EMAIL_MAX), metadata={
        "description": "the address the platform's notices (mail about the person's backups) go to; "
                       "absent, null or \"\" means none (a later PUT without it clears it)",
        "example": "zhangxiaohan@ngdc-demo.example.cn"})


class AccountUpsertResponse(Schema):
    account = fields.Nested(Account, required=True)
    changed = fields.Boolean(required=True)


# ---- HGRG filings ------------------------------------------------------------------------

class FilingLinkRequest(RequestSchema):
    """Shapes only: backups validates the content (and answers invalid_input itself)."""
    filing_number = Trimmed(required=True, validate=validate.Length(min=1, max=FILING_NUMBER_MAX),
                            metadata={"example": "BA202601150001"})
    backup_numbers = fields.List(Trimmed(validate=validate.Length(min=1, max=64)), required=True,
                                 validate=validate.Length(min=1, max=1000),
                                 metadata={"description": "the backup numbers the prior report cites"})
    declared_mb = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False),
                              metadata={"description": "declared data volume (MB)"})
    recipient = Trimmed(required=True, validate=name_rules())
    filed_at = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "format": "date-time", "example": "2026-01-15T10:00:00+08:00"})


class FilingLinkResponse(Schema):
    filing_number = fields.String(required=True)
    linked = fields.List(fields.String(), required=True, metadata={
        "description": "cited backup numbers the platform knows (now linked to the filing)"})
    unknown = fields.List(fields.String(), required=True, metadata={
        "description": "cited backup numbers no backup carries"})
