"""SQL of the institution views (法人/单位管理员 "备份查看", "人员信息浏览", "委托人信息浏览").

Every query here is bounded by ``members.scope_clause(authority, …)``: a legal person reads every
unit of its institution, a unit administrator its own unit, nobody another institution. Rows
outside the scope are not filtered afterwards, they are never read.

The backup list costs three statements whatever the page: the page (the scoped, filtered and
sorted ids with LIMIT/OFFSET in a subquery, then joined to their rows, delegates and units), its
count, and the filing numbers of the page's backups with each filing's volume check. The indexes
behind them are in migrations 0004, 0006 and 0007 (tables.py declares them all): each sort's index
ends with id, the tie-breaker, so the ids of a page, however deep, are read off the index alone.

Substring filters (backup name, PI, delegate name) are case-insensitive: ILIKE '%…%', or LIKE when
the text has no letter that has a case (Chinese, digits) — the same rows, and LIKE does not lower
every candidate value first (a common search's 10 000 candidates: about 4 ms of 15). On
PostgreSQL a text of two or more characters also asks a GIN index over each value's character bigrams
(``hgrip_bigrams``: every two-character piece of lower(value)): names here are Chinese, where a
two-character search ("张晓", "测序") is common and trigram indexes (pg_trgm) cannot help. The
bigram test only narrows the rows; (I)LIKE still decides.
"""
import re
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, tuple_

from ..app.views import file_view, filing_view
from ..domain.backup import COMPLETED, DRAFT
from ..domain.data_file import as_number
from ..domain.scope import NATURAL_PERSON, OPERATOR, Authority
from . import members as m
from . import read_models
from .tables import backups, filings, known_projects, member_units, members

_unit = member_units.alias("backup_unit")

TAB_STATUS = {"completed": COMPLETED, "incomplete": DRAFT}

_SORTS = {
    "created_at": (backups.c.created_at, False), "-created_at": (backups.c.created_at, True),
    "backup_number": (backups.c.backup_number, False), "-backup_number": (backups.c.backup_number, True),
    "name": (backups.c.name, False), "-name": (backups.c.name, True),
}


def _iso(value):
    return value.isoformat() if value is not None else None


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    return f"%{_escape(text)}%"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _code_name(code, name):
    return {"code": code, "name": name} if code is not None else None


# --- 备份列表 -------------------------------------------------------------------------------------
def contains(column, text: str, dialect: str):
    """``column`` contains ``text``, case-insensitively (see the module's docstring)."""
    match = column.ilike if _has_case(text) else column.like
    condition = match(_contains(text), escape="\\")
    if dialect == "postgresql" and len(text) >= 2:
        condition = and_(func.hgrip_bigrams(column).op("@>")(func.hgrip_bigrams(text)), condition)
    return condition


def _has_case(text: str) -> bool:
    """Whether some character of ``text`` has another case: only then can ILIKE match a row LIKE
    does not (a character without case is equal only to itself, lower-cased or not)."""
    return text.lower() != text or text.upper() != text


def number_prefix(text: str) -> list:
    """Backup numbers starting with ``text``, case-insensitively. Every number is "BF" and digits
    (contracts.backups.LEGACY_OR_NEW_NUMBER), so upper-casing the text is enough, and LIKE decides.
    A prefix of that shape also becomes a range on the number ("BF2023" → ≥ "BF2023" and
    < "BF2024") that an index can answer whatever the database's collation."""
    prefix = text.upper()
    conditions = [backups.c.backup_number.like(f"{_escape(prefix)}%", escape="\\")]
    if re.fullmatch(r"BF\d*", prefix):
        conditions.append(backups.c.backup_number >= prefix)
        stem = prefix[2:].rstrip("9")
        if stem:
            conditions.append(backups.c.backup_number < f"BF{stem[:-1]}{int(stem[-1]) + 1}")
    return conditions


def backup_conditions(authority: Authority, query: dict, dialect: str) -> list:
    """The WHERE clause of the list: scope, tab, filters."""
    conditions = [m.scope_clause(authority, backups.c.institution_code, backups.c.unit_code),
                  backups.c.status == TAB_STATUS[query.get("status", "completed")]]
    if query.get("unit"):
        conditions.append(backups.c.unit_code == query["unit"])
    if query.get("name"):
        conditions.append(contains(backups.c.name, query["name"], dialect))
    if query.get("pi"):
        conditions.append(contains(backups.c.pi_name, query["pi"], dialect))
    if query.get("delegate"):
        wanted = query["delegate"]
        conditions.append(backups.c.owner_id.in_(
            select(members.c.account_id).where(or_(
                contains(members.c.name, wanted, dialect), members.c.username == wanted))))
    if query.get("backup_number"):
        conditions.extend(number_prefix(query["backup_number"]))
    if query.get("filing_number"):
        conditions.append(backups.c.id.in_(
            select(filings.c.backup_id).where(filings.c.filing_number == query["filing_number"])))
    return conditions


def _order(sort: str, columns) -> list:
    """The sort key, then id. No NULLS FIRST/LAST: it would keep PostgreSQL from reading the
    order off the indexes, and no tab mixes NULL and non-NULL keys (every completed backup has a
    number, no draft has one; created_at and name are never NULL)."""
    column, descending = _SORTS[sort]
    key, tie = columns[column.name], columns["id"]
    return [key.desc(), tie.desc()] if descending else [key.asc(), tie.asc()]


_LIST_COLUMNS = (backups.c.id, backups.c.backup_number, backups.c.name, backups.c.pi_name,
                 backups.c.owner_id, backups.c.institution_code, backups.c.unit_code,
                 backups.c.created_at, backups.c.submitted_at, backups.c.status,
                 backups.c.file_count, backups.c.total_mb, backups.c.origin)


def backup_page(connection, authority: Authority, query: dict) -> dict:
    """``{items, total, page, page_size}`` of the backup list (``query`` as institution_schemas
    loads it)."""
    page, size = query.get("page", 1), query.get("page_size", 20)
    conditions = backup_conditions(authority, query, connection.dialect.name)
    rows = _list_rows(connection, conditions, query.get("sort", "-created_at"), size, (page - 1) * size)
    total = connection.execute(select(func.count()).select_from(backups).where(*conditions)).scalar_one()
    cited = filing_summary(connection, [row["id"] for row in rows])
    return _paged([_list_item(row, cited[row["id"]]) for row in rows], total, query)


def _list_rows(connection, conditions: list, sort: str, limit: int, offset: int = 0) -> list:
    """The rows of a page (``offset``: the rows before it), joined to their delegates and units."""
    if offset:
        # The page's ids alone first, LIMIT/OFFSET over the sort's index, which ends with id: an
        # index-only range scan when no filter needs the rows; then the page's rows by id. The
        # skipped rows are never fetched from the table (page 500: 2 ms instead of 14).
        column, _ = _SORTS[sort]
        ids = (select(backups.c.id, column).where(*conditions)
               .order_by(*_order(sort, backups.c)).limit(limit).offset(offset).subquery("ids"))
        chosen = select(*_LIST_COLUMNS).select_from(ids.join(backups, backups.c.id == ids.c.id))
    else:
        # The first page or an export batch: the rows in the index's order, as many as wanted. (By
        # id here, PostgreSQL would join a batch of 1 000 by reading the whole table.)
        chosen = select(*_LIST_COLUMNS).where(*conditions).order_by(*_order(sort, backups.c)).limit(limit)
    # Then their delegates and unit names: the joins cost one lookup per row of the page.
    chosen = chosen.subquery("chosen")
    return list(connection.execute(
        select(chosen, members.c.username.label("delegate_username"),
               members.c.name.label("delegate_name"), _unit.c.name.label("unit_name"))
        .select_from(chosen
                     .outerjoin(members, members.c.account_id == chosen.c.owner_id)
                     .outerjoin(_unit, and_(_unit.c.institution_code == chosen.c.institution_code,
                                            _unit.c.code == chosen.c.unit_code)))
        .order_by(*_order(sort, chosen.c))).mappings())


def _after(sort: str, after: list) -> object:
    """The keyset condition "after the row whose (sort key, id) is ``after``", in the sort's order.
    No tab mixes NULL and non-NULL keys (see ``_order``), so a NULL key (drafts by number) is
    followed by NULL keys with a further id."""
    column, descending = _SORTS[sort]
    key, last_id = after
    if key is not None and column.name == "created_at":
        key = datetime.fromisoformat(key)
    beyond = (lambda c, v: c < v) if descending else (lambda c, v: c > v)
    if key is None:
        return and_(column.is_(None), beyond(backups.c.id, last_id))
    # A row comparison, (key, id) beyond (key, id): the sort's index ends with id, so a batch
    # starts where the last one ended instead of reading past every row before it.
    return beyond(tuple_(column, backups.c.id), tuple_(key, last_id))


def backup_batch(connection, authority: Authority, query: dict, after: list | None, limit: int) -> dict:
    """One batch of the export: ``{items (as the list's), next}`` — the rows of the list (same scope,
    tab, filters and sort) after the cursor ``after`` (``None``: from the start), at most ``limit``;
    ``next`` is the cursor of the batch's last row, ``None`` once the last batch is answered. Keyset,
    not OFFSET: every batch costs the same, however deep into 100 000 rows it is."""
    sort = query.get("sort", "-created_at")
    conditions = backup_conditions(authority, query, connection.dialect.name)
    if after is not None:
        conditions.append(_after(sort, after))
    rows = _list_rows(connection, conditions, sort, limit)
    cited = filing_summary(connection, [row["id"] for row in rows])
    following = None
    if len(rows) == limit:
        column, _ = _SORTS[sort]
        last = rows[-1]
        key = last[column.name]
        following = [key.isoformat() if isinstance(key, datetime) else key, last["id"]]
    return {"items": [_list_item(row, cited[row["id"]]) for row in rows], "next": following}


def _filing_summary_statement():
    """Built once (an expanding IN of the page's ids): its subquery is the costliest part of a
    page's statements to construct and key for SQLAlchemy's cache, and it never changes."""
    cited = filings.alias("cited")
    cited_total = (select(func.coalesce(func.sum(backups.c.total_mb), 0))
                   .select_from(cited.join(backups, backups.c.id == cited.c.backup_id))
                   .where(cited.c.filing_number == filings.c.filing_number)
                   .scalar_subquery())
    return (select(filings.c.backup_id, filings.c.filing_number, filings.c.declared_mb,
                   cited_total.label("cited_total_mb"))
            .where(filings.c.backup_id.in_(bindparam("backup_ids", expanding=True)))
            .order_by(filings.c.filed_at, filings.c.filing_number))


_FILING_SUMMARY = _filing_summary_statement()


def filing_summary(connection, backup_ids) -> dict:
    """backup id -> [(filing number, exceeds declared volume?)], oldest filing first, one query:
    each filing's cited volume is Σ total_mb of every backup it cites (not only this page's)."""
    found = {backup_id: [] for backup_id in backup_ids}
    if not found:
        return found
    for row in connection.execute(_FILING_SUMMARY, {"backup_ids": list(found)}):
        found[row.backup_id].append((row.filing_number,
                                     as_number(row.cited_total_mb) > as_number(row.declared_mb)))
    return found


def _delegate(account_id, username, name):
    if username is None:    # identity's event about this account has not arrived yet
        return None
    return {"account_id": account_id, "username": username, "name": name}


def _list_item(row, cited) -> dict:
    return {
        "id": row["id"], "backup_number": row["backup_number"], "name": row["name"],
        "filing_numbers": [number for number, _ in cited],
        "filing_warning": any(exceeds for _, exceeds in cited),
        "pi_name": row["pi_name"],
        "delegate": _delegate(row["owner_id"], row["delegate_username"], row["delegate_name"]),
        "unit": _code_name(row["unit_code"], row["unit_name"]),
        "created_at": _iso(row["created_at"]), "submitted_at": _iso(row["submitted_at"]),
        "status": row["status"], "file_count": row["file_count"],
        "total_mb": as_number(row["total_mb"]), "origin": row["origin"],
    }


# --- 备份详细信息 ---------------------------------------------------------------------------------
def backup_detail(connection, authority: Authority | None, backup_id: str) -> dict | None:
    """The manual's backup detail, or None when there is no such backup in the scope (``authority``
    None: any backup — the operator's console, which the use case allows to operators only)."""
    scope = [] if authority is None else [
        m.scope_clause(authority, backups.c.institution_code, backups.c.unit_code)]
    row = connection.execute(select(backups).where(backups.c.id == backup_id, *scope)).mappings().first()
    if row is None:
        return None
    delegate = m.get_member(connection, row["owner_id"])
    filing_rows = [filing_view(f) for f in read_models.filings_of(connection, backup_id)]
    return {
        "id": row["id"], "project": {"id": row["project_id"], "name": row["project_name"]},
        "backup_number": row["backup_number"], "name": row["name"],
        "file_count": row["file_count"], "total_mb": as_number(row["total_mb"]),
        "status": row["status"],
        "filing_numbers": [f["filing_number"] for f in filing_rows], "filings": filing_rows,
        "pi_name": row["pi_name"], "pi_email": row["pi_email"],
        "delegate": None if delegate is None else {
            "account_id": delegate["account_id"], "username": delegate["username"],
            "name": delegate["name"], "authorised_at": _iso(delegate["authorised_at"])},
        "institution": {"code": row["institution_code"],
                        "name": m.institution_name(connection, row["institution_code"])},
        "unit": _code_name(row["unit_code"],
                           m.unit_name(connection, row["institution_code"], row["unit_code"])),
        "categories": list(row["categories"]),
        "files": [file_view(f) for f in read_models.files_of(connection, backup_id)],
        "origin": row["origin"],
        "created_at": _iso(row["created_at"]), "submitted_at": _iso(row["submitted_at"]),
        "warnings": [filing_warning(f) for f in filing_rows if f["exceeds_declared"]],
    }


def filing_warning(filing: dict) -> dict:
    """The regulator's FAQ (brief §7): the backed-up volume exceeds what the filing declared."""
    number, declared, cited = filing["filing_number"], filing["declared_mb"], filing["cited_total_mb"]
    return {"code": "filing_exceeds_declared", "filing_number": number,
            "message": f"Filing {number} declares {declared} MB, but the backups it cites hold "
                       f"{cited} MB: the filing must be changed in HGRG.",
            "message_zh": f"备案号 {number} 申报的数据量为 {declared} MB，但其引用的备份合计 "
                          f"{cited} MB，已超出申报量，请在人遗系统中办理变更。"}


# --- 人员信息浏览 / 委托人信息浏览 ------------------------------------------------------------------
def _member_conditions(authority: Authority, query: dict, dialect: str) -> list:
    conditions = [m.scope_clause(authority, members.c.institution_code, members.c.unit_code),
                  members.c.role != OPERATOR]
    if query.get("name"):
        conditions.append(contains(members.c.name, query["name"], dialect))
    if query.get("unit"):
        conditions.append(members.c.unit_code == query["unit"])
    if query.get("role"):
        conditions.append(members.c.role == query["role"])
    if query.get("employed") is not None:
        conditions.append(members.c.employed == query["employed"])
    return conditions


def _member_rows(connection, authority: Authority, query: dict, *extra) -> tuple[list, int]:
    """The page of members in scope matching ``query`` (and ``extra`` conditions), and their count."""
    conditions = [*_member_conditions(authority, query, connection.dialect.name), *extra]
    page, size = query.get("page", 1), query.get("page_size", 20)
    rows = list(connection.execute(
        select(*m.MEMBER_COLUMNS).select_from(m.MEMBER_FROM).where(*conditions)
        .order_by(members.c.unit_code.asc().nulls_first(), members.c.name, members.c.account_id)
        .limit(size).offset((page - 1) * size)).mappings())
    total = connection.execute(select(func.count()).select_from(members).where(*conditions)).scalar_one()
    return rows, total


def _paged(items: list, total: int, query: dict) -> dict:
    return {"items": items, "total": total, "page": query.get("page", 1),
            "page_size": query.get("page_size", 20)}


def _member_item(row) -> dict:
    return {"account_id": row["account_id"], "username": row["username"], "name": row["name"],
            "role": row["role"],
            "institution": {"code": row["institution_code"], "name": row["institution_name"]},
            "unit": _code_name(row["unit_code"], row["unit_name"]), "employed": bool(row["employed"])}


def member_page(connection, authority: Authority, query: dict) -> dict:
    rows, total = _member_rows(connection, authority, query)
    return _paged([_member_item(row) for row in rows], total, query)


def delegate_page(connection, authority: Authority, query: dict) -> dict:
    """Natural persons in scope with what they hold in it: projects (of the institution),
    backups completed / not completed (in the administrator's scope, as the backup list counts
    them). Two grouped queries for the whole page."""
    rows, total = _member_rows(connection, authority, query, members.c.role == NATURAL_PERSON)
    ids = [row["account_id"] for row in rows]
    projects, held = {}, {}
    if ids:
        projects = dict(connection.execute(
            select(known_projects.c.owner_id, func.count())
            .where(known_projects.c.owner_id.in_(ids),
                   known_projects.c.institution_code == authority.institution_code)
            .group_by(known_projects.c.owner_id)).all())
        for owner_id, status, count in connection.execute(
                select(backups.c.owner_id, backups.c.status, func.count())
                .where(backups.c.owner_id.in_(ids),
                       m.scope_clause(authority, backups.c.institution_code, backups.c.unit_code))
                .group_by(backups.c.owner_id, backups.c.status)):
            held[(owner_id, status)] = count
    items = [{**_member_item(row), "project_count": projects.get(row["account_id"], 0),
              "backups_completed": held.get((row["account_id"], COMPLETED), 0),
              "backups_incomplete": held.get((row["account_id"], DRAFT), 0)} for row in rows]
    return _paged(items, total, query)


def primary_key_lookup(connection, backup_id: str):
    """One backup row by id: the baseline the benchmark compares a list page with."""
    return connection.execute(select(backups).where(backups.c.id == backup_id)).first()

