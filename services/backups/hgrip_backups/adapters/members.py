"""Members and institutions as the backups service knows them: read models of identity's events.

The tables are in tables.py. The institution views (member list, delegate list, the delegate and authorisation time of a
backup), the scope of every administrator and the checks of delegation transfer and claims all
read these tables, so none of them needs identity to answer. Identity's account payloads carry
the full profile and its stream version: a row only moves forward (a late or redelivered event
changes nothing). Mobile numbers are kept as keyed hashes only (domain/mobile.py), as identity's
events carry them.
"""
from datetime import datetime
from functools import partial

from sqlalchemy import and_, bindparam, insert, select, update

from hgrip_kernel.contracts.identity import upcast_account

from ..domain.mobile import mobile_hash
from ..domain.names import name_key
from ..domain.scope import LEGAL_PERSON, Authority
from .tables import member_institutions, member_units, members

_unit = member_units.alias("unit")
_institution = member_institutions.alias("institution")

# A member row with the names of its institution and unit.
MEMBER_COLUMNS = (members, _institution.c.name.label("institution_name"),
                  _institution.c.name_key.label("institution_key"), _unit.c.name.label("unit_name"))
MEMBER_FROM = members.outerjoin(_institution, _institution.c.code == members.c.institution_code) \
    .outerjoin(_unit, and_(_unit.c.institution_code == members.c.institution_code,
                           _unit.c.code == members.c.unit_code))


# --- applying identity's events -------------------------------------------------------------------
def apply_account(connection, envelope, secret: str) -> bool:
    """AccountProvisioned / AccountUpdated → the member row; False when the row is newer already.
    v3 carries the mobile's keyed hash; an older event met here (a backlog) is hashed on reading."""
    data = upcast_account(envelope.data, envelope.schema_version, partial(mobile_hash, secret))
    row = {
        "username": data["username"], "name": data["name"], "name_key": name_key(data["name"]),
        "mobile_hash": data["mobile_hash"], "role": data["role"],
        "institution_code": data.get("institution"), "unit_code": data.get("unit"),
        "employed": bool(data["employed"]), "authorised": bool(data["authorised"]),
        "authorised_at": _time(data.get("authorised_at")), "version": envelope.stream_version,
    }
    return _upsert(connection, members, members.c.account_id, str(data["account_id"]), row,
                   envelope.stream_version)


def apply_institution(connection, envelope) -> bool:
    """InstitutionRegistered / InstitutionUpdated → the institution and its full list of units."""
    data = envelope.data
    row = {"name": data["name"], "name_key": name_key(data["name"]), "foreign": bool(data["foreign"]),
           "version": envelope.stream_version}
    if not _upsert(connection, member_institutions, member_institutions.c.code, data["code"], row,
                   envelope.stream_version):
        return False
    connection.execute(member_units.delete().where(member_units.c.institution_code == data["code"]))
    if data["units"]:
        connection.execute(insert(member_units), [
            {"institution_code": data["code"], "code": unit["code"], "name": unit["name"]}
            for unit in data["units"]])
    return True


def _upsert(connection, table, key_column, key, row, version) -> bool:
    done = connection.execute(update(table).where(key_column == key, table.c.version < version)
                              .values(**row))
    if done.rowcount:
        return True
    if connection.execute(select(key_column).where(key_column == key)).first() is not None:
        return False   # the row already reflects this version or a newer one
    connection.execute(insert(table).values({key_column.name: key, **row}))
    return True


def _time(value):
    return datetime.fromisoformat(value) if value else None


# --- reading ------------------------------------------------------------------------------------
_MEMBER_BY_ID = (select(*MEMBER_COLUMNS).select_from(MEMBER_FROM)   # built once: every view asks it
                 .where(members.c.account_id == bindparam("account_id")))


def get_member(connection, account_id: str):
    return connection.execute(_MEMBER_BY_ID, {"account_id": account_id}).mappings().first()


def find_member(connection, username: str):
    query = select(*MEMBER_COLUMNS).select_from(MEMBER_FROM).where(members.c.username == username)
    return connection.execute(query).mappings().first()


def scope_clause(authority: Authority, institution_column, unit_column):
    """The SQL form of ``Authority.covers``: what an administrator may see."""
    clause = institution_column == authority.institution_code
    if authority.role != LEGAL_PERSON:
        clause = and_(clause, unit_column == authority.unit_code)
    return clause


def institution_name(connection, code: str | None) -> str | None:
    if code is None:
        return None
    return connection.execute(select(member_institutions.c.name)
                              .where(member_institutions.c.code == code)).scalar()


def unit_name(connection, institution_code: str | None, code: str | None) -> str | None:
    if institution_code is None or code is None:
        return None
    return connection.execute(select(member_units.c.name).where(
        member_units.c.institution_code == institution_code, member_units.c.code == code)).scalar()
