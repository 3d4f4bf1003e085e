"""Query parameters of the institution views (institution_backups, institution_members,
institution_delegates): marshmallow schemas, defaults, and bilingual field messages.

Queries come from filter forms and query strings, so a blank or missing filter means "no
filter" and numbers may arrive as digit strings; anything else wrong is one ``invalid_input``
whose ``details`` name each bad field with its messages in both languages::

    {"page_size": [{"message": "Must be a whole number from 1 to 100.",
                    "message_zh": "必须是 1 到 100 之间的整数。"}]}

Unknown parameters are refused (a misspelt filter must not silently show everything).
"""
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from hgrip_kernel.errors import invalid_input
from hgrip_kernel.schema_fields import BlankIsAbsent, Trimmed, no_control

from ..domain.scope import LEGAL_PERSON, NATURAL_PERSON, UNIT_ADMIN

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
PAGE_MAX = 100_000            # beyond any list; keeps OFFSET arithmetic sane
STATUSES = ("completed", "incomplete")          # tabs: 已完成 / 未完成 (draft)
SORTS = ("created_at", "-created_at", "backup_number", "-backup_number", "name", "-name")
MEMBER_ROLES = (NATURAL_PERSON, LEGAL_PERSON, UNIT_ADMIN)   # operators are nobody's members

# English message -> Chinese message, for every message these schemas can produce.
_ZH: dict[str, str] = {
    "Unknown field.": "不支持此查询参数。",
    "Not a valid string.": "必须是文本。",
    "Not a valid integer.": "必须是整数。",
    "Not a valid boolean.": "必须是 true 或 false。",
    "Field may not be null.": "不能为空值。",
    "Must not contain control characters.": "不能包含控制字符。",   # schema_fields.no_control
}
_ZH_FALLBACK = "该参数不符合要求。"


def _bilingual(en: str, zh: str) -> str:
    _ZH[en] = zh
    return en


class QueryText(Trimmed):
    """A filter text, trimmed (the schema drops a blank one before it gets here)."""

    def __init__(self, max_length: int, **kwargs):
        super().__init__(validate=[validate.Length(max=max_length, error=_bilingual(
            f"Must be at most {max_length} characters.", f"不能超过 {max_length} 个字符。")),
            no_control()], **kwargs)


class QueryInteger(fields.Integer):
    """A whole number, as a JSON integer or a string of digits (query strings); not 2.5 or true."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        if isinstance(value, str) and not value.strip().isdigit():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _one_of(choices, zh_hint: str = ""):
    listed = ", ".join(choices)
    return validate.OneOf(choices, error=_bilingual(f"Must be one of: {listed}.",
                                                    f"必须是以下之一：{listed}{zh_hint}。"))


class _Filters(BlankIsAbsent):
    """A query of filters: unknown keys refused, blank values dropped."""
    class Meta:
        unknown = RAISE


class _Query(_Filters):
    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX, error=_bilingual(
        f"Must be a whole number from 1 to {PAGE_MAX}.", f"必须是 1 到 {PAGE_MAX} 之间的整数。")))
    page_size = QueryInteger(load_default=PAGE_SIZE_DEFAULT, validate=validate.Range(
        min=1, max=PAGE_SIZE_MAX, error=_bilingual(f"Must be a whole number from 1 to {PAGE_SIZE_MAX}.",
                                                   f"必须是 1 到 {PAGE_SIZE_MAX} 之间的整数。")))


class BackupFilters(_Filters):
    """备份列表's tab, the filters of the manual's form and the sort (the export's whole query)."""
    status = fields.String(load_default="completed",
                           validate=_one_of(STATUSES, "（completed 已完成，incomplete 未完成）"))
    unit = QueryText(64)                # unit code
    name = QueryText(200)               # backup name contains (case-insensitive)
    pi = QueryText(50)                  # 项目负责人 contains
    delegate = QueryText(200)           # 委托人: name contains, or exact username
    backup_number = QueryText(32)       # starts with (case-insensitive)
    filing_number = QueryText(64)       # 备案号, exact
    sort = fields.String(load_default="-created_at", validate=_one_of(SORTS))


class BackupListQuery(BackupFilters, _Query):
    """备份列表: the tab, the filters of the manual's form, paging and sorting."""


class MemberListQuery(_Query):
    """人员信息浏览."""
    name = QueryText(200)
    unit = QueryText(64)
    role = fields.String(validate=_one_of(MEMBER_ROLES))


class DelegateListQuery(_Query):
    """委托人信息浏览: natural persons; ``employed`` true = 在职 only, false = left only."""
    name = QueryText(200)
    unit = QueryText(64)
    employed = fields.Boolean()


_backups, _members, _delegates = BackupListQuery(), MemberListQuery(), DelegateListQuery()
_export = BackupFilters()
EXPORT_BATCH_MAX = 5000


def bilingual_messages(messages):
    """marshmallow's ``{field: [English, …]}`` → ``{field: [{message, message_zh}, …]}``."""
    if isinstance(messages, dict):
        return {key: bilingual_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [bilingual_messages(message) if isinstance(message, (dict, list))
                else {"message": message, "message_zh": _ZH.get(message, _ZH_FALLBACK)}
                for message in messages]
    return [{"message": messages, "message_zh": _ZH.get(messages, _ZH_FALLBACK)}]


def _load(schema: Schema, query) -> dict:
    if query is None:
        query = {}
    if not isinstance(query, dict):
        raise invalid_input({"_schema": [{"message": "The query must be an object.",
                                          "message_zh": "查询条件必须是一个对象。"}]})
    try:
        return schema.load(query)
    except ValidationError as exc:
        raise invalid_input(bilingual_messages(exc.normalized_messages())) from exc


def load_backup_query(query) -> dict:
    return _load(_backups, query)


def load_member_query(query) -> dict:
    return _load(_members, query)


def load_delegate_query(query) -> dict:
    return _load(_delegates, query)


def load_backup_export(query, after, limit) -> tuple[dict, list | None, int]:
    """The export's filters (as the list's, without paging), its keyset cursor (``None`` or the
    ``next`` of the previous batch: ``[sort key, id]``) and its batch size (1‥5000)."""
    values = _load(_export, query)
    problems = {}
    if after is not None and not (isinstance(after, list) and len(after) == 2
                                  and (after[0] is None or isinstance(after[0], str))
                                  and isinstance(after[1], str)):
        problems["after"] = [{"message": "Must be the next cursor of the previous batch.",
                              "message_zh": "必须是上一批返回的 next 游标。"}]
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= EXPORT_BATCH_MAX:
        problems["limit"] = [{"message": f"Must be a whole number from 1 to {EXPORT_BATCH_MAX}.",
                              "message_zh": f"必须是 1 到 {EXPORT_BATCH_MAX} 之间的整数。"}]
    if problems:
        raise invalid_input(problems)
    return values, after, limit
