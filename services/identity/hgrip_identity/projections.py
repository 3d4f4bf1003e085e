"""Read models of identity (rebuilt from events) and the non-evented credentials table.

Projections are written in the same transaction as the events they follow, from the aggregate's
state after the save, so a reader never sees one without the other.
"""
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.store.tables import UTCDateTime

from .domain import Account, Institution

metadata = MetaData()

institutions = Table(
    "institutions", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("foreign", Boolean, nullable=False),  # foreign-controlled: never an applicant
    Column("version", Integer, nullable=False),  # stream version this row reflects
    Column("updated_at", UTCDateTime, nullable=False),
)

units = Table(
    "units", metadata,
    Column("institution_code", String(64), ForeignKey("institutions.code", ondelete="CASCADE"),
           primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("mobile", String(20)),
    Column("role", String(20), nullable=False),
    Column("institution_code", String(64), ForeignKey("institutions.code"), index=True),
    Column("unit_code", String(64)),
    Column("real_name_verified", Boolean, nullable=False),
    Column("authorised", Boolean, nullable=False),
    Column("authorised_at", UTCDateTime),
    Column("employed", Boolean, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("last_login_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Not evented on purpose: a hash in an event would be published and kept forever.
credentials = Table(
    "credentials", metadata,
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


def _upsert(connection, table, key: dict, values: dict) -> None:
    # Portable (SQLite and PostgreSQL): the stream's optimistic lock already serialises writers.
    where = [table.c[name] == value for name, value in key.items()]
    if connection.execute(update(table).where(*where).values(**values)).rowcount == 0:
        connection.execute(insert(table).values(**key, **values))


def project_institution(connection, institution: Institution) -> None:
    _upsert(connection, institutions, {"code": institution.code},
            {"name": institution.name, "foreign": institution.foreign,
             "version": institution.version, "updated_at": utcnow()})
    connection.execute(delete(units).where(units.c.institution_code == institution.code))
    if institution.units:
        connection.execute(insert(units), [{"institution_code": institution.code, "code": code, "name": name}
                                           for code, name in institution.units.items()])


def project_account(connection, account: Account) -> None:
    profile = account.profile
    authorised_at = profile["authorised_at"]
    _upsert(connection, accounts, {"id": account.account_id}, {
        "username": profile["username"], "name": profile["name"], "mobile": profile["mobile"],
        "role": profile["role"], "institution_code": profile["institution"], "unit_code": profile["unit"],
        "real_name_verified": profile["real_name_verified"], "authorised": profile["authorised"],
        "authorised_at": datetime.fromisoformat(authorised_at) if authorised_at else None,
        "employed": profile["employed"], "failures": account.failures,
        "locked_until": account.locked_until, "last_login_at": account.last_login_at,
        "version": account.version, "updated_at": utcnow()})


def set_password_hash(connection, account_id: str, password_hash: str) -> None:
    _upsert(connection, credentials, {"account_id": account_id},
            {"password_hash": password_hash, "updated_at": utcnow()})


def password_hash(connection, account_id: str) -> str | None:
    return connection.execute(select(credentials.c.password_hash)
                              .where(credentials.c.account_id == account_id)).scalar_one_or_none()


def institution_units(connection, code: str) -> dict | None:
    """{unit code: name} of a registered institution, or None when HGRG never registered it."""
    if connection.execute(select(institutions.c.code).where(institutions.c.code == code)).first() is None:
        return None
    rows = connection.execute(select(units.c.code, units.c.name).where(units.c.institution_code == code))
    return {row.code: row.name for row in rows}


def find_account(connection, *, account_id: str | None = None, username: str | None = None):
    """The account row joined with its institution's and unit's names, or None."""
    unit = units.alias("unit")
    query = (select(accounts, institutions.c.name.label("institution_name"),
                    institutions.c.foreign.label("institution_foreign"), unit.c.name.label("unit_name"))
             .select_from(accounts
                          .outerjoin(institutions, institutions.c.code == accounts.c.institution_code)
                          .outerjoin(unit, (unit.c.institution_code == accounts.c.institution_code)
                                     & (unit.c.code == accounts.c.unit_code))))
    query = query.where(accounts.c.id == account_id) if account_id else query.where(accounts.c.username == username)
    return connection.execute(query).first()
