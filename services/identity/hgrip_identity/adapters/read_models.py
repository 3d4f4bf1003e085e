"""Read models of identity (rebuilt from events) and the non-evented credentials, over SQLAlchemy Core.

Projections are written in the same transaction as the events they follow, from the aggregate's
state after the save, so a reader never sees one without the other.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select, update

from hgrip_kernel.envelope import utcnow

from ..domain import Account, Institution
from .tables import accounts, credentials, institutions, units


def _upsert(connection, table, key: dict, values: dict) -> None:
    # Portable (SQLite and PostgreSQL): the stream's optimistic lock already serialises writers.
    where = [table.c[name] == value for name, value in key.items()]
    if connection.execute(update(table).where(*where).values(**values)).rowcount == 0:
        connection.execute(insert(table).values(**key, **values))


class SqlRecords:
    """The ``Records`` port on one connection (inside a unit of work: its transaction)."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def project_institution(self, institution: Institution) -> None:
        _upsert(self.connection, institutions, {"code": institution.code},
                {"name": institution.name, "foreign": institution.foreign,
                 "version": institution.version, "updated_at": utcnow()})
        self.connection.execute(delete(units).where(units.c.institution_code == institution.code))
        if institution.units:
            self.connection.execute(insert(units), [{"institution_code": institution.code, "code": code,
                                                     "name": name} for code, name in institution.units.items()])

    def project_account(self, account: Account) -> None:
        profile = account.profile
        assert profile is not None  # only a provisioned account is saved
        authorised_at = profile["authorised_at"]
        _upsert(self.connection, accounts, {"id": account.account_id}, {
            "username": profile["username"], "name": profile["name"], "mobile": profile["mobile"],
            "role": profile["role"], "institution_code": profile["institution"], "unit_code": profile["unit"],
            "real_name_verified": profile["real_name_verified"], "authorised": profile["authorised"],
            "authorised_at": datetime.fromisoformat(authorised_at) if authorised_at else None,
            "employed": profile["employed"], "email": profile["email"], "failures": 0,
            "locked_until": None,  # unused since failed logins stopped locking (kept: old rows, no migration)
            "last_login_at": account.last_login_at,
            "version": account.version, "updated_at": utcnow()})

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        _upsert(self.connection, credentials, {"account_id": account_id},
                {"password_hash": password_hash, "updated_at": utcnow()})

    def password_hash(self, account_id: str) -> str | None:
        return self.connection.execute(select(credentials.c.password_hash)
                                       .where(credentials.c.account_id == account_id)).scalar_one_or_none()

    def institution_units(self, code: str) -> dict[str, str] | None:
        """{unit code: name} of a registered institution, or None when HGRG never registered it."""
        if self.connection.execute(select(institutions.c.code).where(institutions.c.code == code)).first() is None:
            return None
        rows = self.connection.execute(select(units.c.code, units.c.name).where(units.c.institution_code == code))
        return {row.code: row.name for row in rows}

    def find_account(self, *, account_id: str | None = None, username: str | None = None):
        """The account row joined with its institution's and unit's names, or None."""
        unit = units.alias("unit")
        query = (select(accounts, institutions.c.name.label("institution_name"),
                        institutions.c.foreign.label("institution_foreign"), unit.c.name.label("unit_name"))
                 .select_from(accounts
                              .outerjoin(institutions, institutions.c.code == accounts.c.institution_code)
                              .outerjoin(unit, (unit.c.institution_code == accounts.c.institution_code)
                                         & (unit.c.code == accounts.c.unit_code))))
        if account_id:
            query = query.where(accounts.c.id == account_id)
        else:
            query = query.where(accounts.c.username == username)
        return self.connection.execute(query).first()


class SqlDatabase:
    """The ``Database`` port: records on a connection of their own, or on a unit of work's."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def reading(self) -> Iterator[SqlRecords]:
        with self.engine.connect() as connection:
            yield SqlRecords(connection)

    def within(self, uow) -> SqlRecords:
        return SqlRecords(uow.connection)
