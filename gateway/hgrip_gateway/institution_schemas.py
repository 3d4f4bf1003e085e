"""Schemas of the institution routes (法人/单位管理员) and of claims: query strings, bodies, answers.

Query strings arrive as text; these schemas turn them into typed values and refuse unknown
parameters. The backups service checks the same rules again (it decides, the gateway translates).
"""
from marshmallow import Schema, fields, validate

from hgrip_kernel.field_rules import CODE_MAX, FILING_NUMBER_MAX, NAME_MAX, PAGE_SIZE_MAX, PI_NAME_MAX, USERNAME_MAX
from hgrip_kernel.schema_fields import BlankIsAbsent, Trimmed, mobile_rule, name_rules, text_rules

from .schemas import _DATETIME, ROLES, CodeName, DataFile, Filing, RequestSchema

SORTS = ["created_at", "-created_at", "backup_number", "-backup_number", "name", "-name"]


class _ListQuery(BlankIsAbsent, RequestSchema):
    """Every institution list's query string (backups, members, delegates, the export): a filter
    left blank in the form ("", only spaces) is no filter, dropped before anything is checked,
    as the backups service does (docs/institution-views.md)."""


class _Paged(_ListQuery):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1),
                          metadata={"description": "1-based page number"})
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=PAGE_SIZE_MAX))


class _BackupFilters(_ListQuery):
    status = fields.String(load_default="completed", validate=validate.OneOf(["completed", "incomplete"]),
                           metadata={"description": "tab: completed (已完成) or incomplete (未完成)"})
    unit = fields.String(validate=validate.Length(min=1, max=CODE_MAX), metadata={"description": "unit code"})
    name = Trimmed(validate=validate.Length(min=1, max=NAME_MAX), metadata={"description": "backup name contains"})
    pi = Trimmed(validate=validate.Length(min=1, max=PI_NAME_MAX), metadata={"description": "PI name contains"})
    delegate = Trimmed(validate=validate.Length(min=1, max=NAME_MAX),
                       metadata={"description": "delegate (委托人) name contains, or exact username"})
    backup_number = Trimmed(validate=validate.Length(min=1, max=32),
                            metadata={"description": "backup number starts with"})
    filing_number = Trimmed(validate=validate.Length(min=1, max=FILING_NUMBER_MAX),
                            metadata={"description": "cited by this filing number (备案号)"})
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(SORTS))


class InstitutionBackupQuery(_BackupFilters, _Paged):
    """备份列表: the tab, the filters, the sort and the page."""


class InstitutionBackupExportQuery(_BackupFilters):
    """The export of 备份列表: the list's tab, filters and sort (every matching row: no page)."""
    format = fields.String(required=True, validate=validate.OneOf(["csv", "xlsx"]),
                           metadata={"description": "csv (UTF-8 with BOM) or xlsx"})


class MemberQuery(_Paged):
    name = Trimmed(validate=validate.Length(min=1, max=NAME_MAX), metadata={"description": "name contains"})
    unit = fields.String(validate=validate.Length(min=1, max=CODE_MAX), metadata={"description": "unit code"})
    role = fields.String(validate=validate.OneOf([r for r in ROLES if r != "operator"]))


class DelegateQuery(_Paged):
    name = Trimmed(validate=validate.Length(min=1, max=NAME_MAX), metadata={"description": "name contains"})
    unit = fields.String(validate=validate.Length(min=1, max=CODE_MAX), metadata={"description": "unit code"})
    employed = fields.Boolean(metadata={"description": "true: employed (在职) only; false: left only"})


class DelegateRef(Schema):
    account_id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    authorised_at = fields.String(allow_none=True, metadata={
        **_DATETIME, "description": "when the institution authorised the delegate (授权时间); detail only"})


class InstitutionBackupItem(Schema):
    id = fields.String(required=True)
    backup_number = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    filing_numbers = fields.List(fields.String(), required=True)
    filing_warning = fields.Boolean(required=True, metadata={
        "description": "a filing citing it declares less than its backups hold"})
    pi_name = fields.String(required=True)
    delegate = fields.Nested(DelegateRef, required=True, allow_none=True)
    unit = fields.Nested(CodeName, required=True, allow_none=True)
    created_at = fields.String(required=True, metadata=_DATETIME)
    submitted_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    status = fields.String(required=True, metadata={"enum": ["draft", "completed"]})
    file_count = fields.Integer(required=True)
    total_mb = fields.Float(required=True)
    origin = fields.String(required=True, metadata={"enum": ["new", "legacy"]})


class _Page(Schema):
    total = fields.Integer(required=True, metadata={"description": "rows matching, over all pages"})
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class InstitutionBackupPage(_Page):
    items = fields.List(fields.Nested(InstitutionBackupItem), required=True)


class ViewWarning(Schema):
    code = fields.String(required=True, metadata={"enum": ["filing_exceeds_declared"]})
    filing_number = fields.String(required=True, metadata={"description": "the filing the warning is about"})
    message = fields.String(required=True)
    message_zh = fields.String(required=True)


class ProjectRef(Schema):
    id = fields.String(required=True, allow_none=True, metadata={"description": "null for a legacy backup"})
    name = fields.String(required=True)


class AccountRef(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)


class InstitutionBackupDetail(Schema):
    """备份详细信息 as the manual shows it."""
    id = fields.String(required=True)
    project = fields.Nested(ProjectRef, required=True)
    backup_number = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    file_count = fields.Integer(required=True)
    total_mb = fields.Float(required=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "completed"]})
    filing_numbers = fields.List(fields.String(), required=True)
    filings = fields.List(fields.Nested(Filing), required=True)
    pi_name = fields.String(required=True)
    pi_email = fields.String(required=True)
    delegate = fields.Nested(DelegateRef, required=True, allow_none=True)
    institution = fields.Nested(CodeName, required=True)
    unit = fields.Nested(CodeName, required=True, allow_none=True)
    categories = fields.List(fields.String(), required=True)
    files = fields.List(fields.Nested(DataFile), required=True)
    origin = fields.String(required=True, metadata={"enum": ["new", "legacy"]})
    created_at = fields.String(required=True, metadata=_DATETIME)
    submitted_at = fields.String(required=True, allow_none=True, metadata=_DATETIME)
    warnings = fields.List(fields.Nested(ViewWarning), required=True)


class Member(Schema):
    account_id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ROLES})
    institution = fields.Nested(CodeName, required=True)
    unit = fields.Nested(CodeName, required=True, allow_none=True)
    employed = fields.Boolean(required=True)


class MemberPage(_Page):
    items = fields.List(fields.Nested(Member), required=True)


class DelegateRow(Member):
    """委托人信息浏览: one natural person with what they hold."""
    project_count = fields.Integer(required=True)
    backups_completed = fields.Integer(required=True)
    backups_incomplete = fields.Integer(required=True)


class DelegatePage(_Page):
    items = fields.List(fields.Nested(DelegateRow), required=True)


# ---- delegation transfer ----------------------------------------------------------------------
class DelegationRequest(RequestSchema):
    from_account = Trimmed(required=True, validate=text_rules(1, USERNAME_MAX),
                           metadata={"description": "username of the current delegate (原委托人)"})
    to_account = Trimmed(required=True, validate=text_rules(1, USERNAME_MAX),
                         metadata={"description": "username of the new delegate (新委托人)"})


class MovedBackup(Schema):
    id = fields.String(required=True)
    backup_number = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)


class DelegationResponse(Schema):
    transfer_id = fields.String(required=True)
    from_account = fields.Nested(AccountRef, required=True)
    to_account = fields.Nested(AccountRef, required=True)
    backups = fields.List(fields.Nested(MovedBackup), required=True)
    project_ids = fields.List(fields.String(), required=True)
    transferred_at = fields.String(required=True, metadata=_DATETIME)


# ---- claims of legacy backups -------------------------------------------------------------------
class ClaimCodeRequest(RequestSchema):
    legacy_name = Trimmed(required=True, validate=name_rules(),
                          metadata={"description": "原系统注册人姓名"})
    legacy_mobile = Trimmed(required=True, validate=mobile_rule(), metadata={"description": "原系统注册手机号"})


class ClaimRequest(ClaimCodeRequest):
    sms_code = Trimmed(required=True, validate=validate.Regexp(r"^\d{6}$", error="Enter the 6-digit code."),
                       metadata={"description": "手机验证码"})


class InstitutionClaimRequest(ClaimCodeRequest):
    delegate_account = Trimmed(required=True, validate=text_rules(1, USERNAME_MAX),
                               metadata={"description": "username of the new delegate (新委托人)"})


class SmsCodeSent(Schema):
    sent_to = fields.String(required=True, metadata={"description": "masked mobile, e.g. 138****5678"})
    expires_at = fields.String(required=True, metadata=_DATETIME)
    resend_available_at = fields.String(required=True, metadata=_DATETIME)


class ClaimResponse(Schema):
    claimed = fields.List(fields.Nested(MovedBackup), required=True)
    count = fields.Integer(required=True)
