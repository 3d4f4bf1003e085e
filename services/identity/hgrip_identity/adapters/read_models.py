"""Read models of identity (rebuilt from events) and the non-evented credentials, over SQLAlchemy Core.

Projections are written in the same transaction as the events they follow, from the aggregate's
state after the save, so a reader never sees one without the other.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.personal_data import Sealed

from ..domain import Account, Institution
from .tables import account_mobiles, accounts, credentials, institutions, units


def _upsert(connection, table, key: dict, values: dict) -> None:
    # Portable (SQLite and PostgreSQL): the stream's optimistic lock already serialises writers.
    where = [table.c[name] == value for name, value in key.items()]
    if connection.execute(update(table).where(*where).values(**values)).rowcount == 0:
        connection.execute(insert(table).values(**key, **values))


def institution_row(institution: Institution) -> dict:
    """An institution's row, but ``updated_at`` (when it was written) (the rebuild's rule too)."""
    return {"code": institution.code, "name": institution.name, "foreign": institution.foreign,
            "version": institution.version}


def unit_rows(institution: Institution) -> list[dict]:
    return [{"institution_code": institution.code, "code": code, "name": name}
            for code, name in institution.units.items()]


def account_row(account: Account) -> dict:
    """A provisioned account's row, but ``updated_at`` (when it was written) (the rebuild's rule too)."""
    profile = account.profile
    assert profile is not None  # only a provisioned account is saved
    authorised_at = profile["authorised_at"]
    return {
        "id": account.account_id, "username": profile["username"], "name": profile["name"],
        "role": profile["role"], "institution_code": profile["institution"], "unit_code": profile["unit"],
        "real_name_verified": profile["real_name_verified"], "authorised": profile["authorised"],
        "authorised_at": datetime.fromisoformat(authorised_at) if authorised_at else None,
        "employed": profile["employed"], "email": profile["email"], "failures": 0,
        "locked_until": None,  # unused since failed logins stopped locking (kept: old rows, no migration)
        "last_login_at": account.last_login_at, "version": account.version}


class SqlRecords:
    """The ``Records`` port on one connection (inside a unit of work: its transaction)."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def project_institution(self, institution: Institution) -> None:
        row = institution_row(institution)
        _upsert(self.connection, institutions, {"code": row.pop("code")}, {**row, "updated_at": utcnow()})
        self.connection.execute(delete(units).where(units.c.institution_code == institution.code))
        if institution.units:
            self.connection.execute(insert(units), unit_rows(institution))

    def project_account(self, account: Account) -> None:
        row = account_row(account)
        _upsert(self.connection, accounts, {"id": row.pop("id")}, {**row, "updated_at": utcnow()})

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        _upsert(self.connection, credentials, {"account_id": account_id},
                {"password_hash": password_hash, "updated_at": utcnow()})

    def password_hash(self, account_id: str) -> str | None:
        return self.connection.execute(select(credentials.c.password_hash)
                                       .where(credentials.c.account_id == account_id)).scalar_one_or_none()

    def set_mobile(self, account_id: str, sealed: Sealed | None, masked: str | None) -> None:
        """Keep the account's mobile sealed (None: it has none any more)."""
        if sealed is None or masked is None:
            self.connection.execute(delete(account_mobiles).where(account_mobiles.c.account_id == account_id))
            return
        _upsert(self.connection, account_mobiles, {"account_id": account_id},
                {"key_id": sealed.key_id, "mobile_sealed": sealed.token, "mobile_masked": masked,
                 "updated_at": utcnow()})

    def sealed_mobile(self, account_id: str) -> Sealed | None:
        row = self.connection.execute(select(account_mobiles.c.key_id, account_mobiles.c.mobile_sealed)
                                      .where(account_mobiles.c.account_id == account_id)).first()
        return Sealed(row.key_id, row.mobile_sealed) if row else None

    def mobiles_not_under(self, key_id: str, limit: int) -> list[tuple[str, Sealed]]:
        """(account id, sealed mobile) of up to ``limit`` mobiles sealed under another key than ``key_id``."""
        rows = self.connection.execute(
            select(account_mobiles.c.account_id, account_mobiles.c.key_id, account_mobiles.c.mobile_sealed)
            .where(account_mobiles.c.key_id != key_id).order_by(account_mobiles.c.account_id).limit(limit))
        return [(row.account_id, Sealed(row.key_id, row.mobile_sealed)) for row in rows]

    def reseal_mobile(self, account_id: str, previous: Sealed, sealed: Sealed) -> bool:
        """Replace ``previous`` by ``sealed``; False when the row changed meanwhile (left for the next pass)."""
        done = self.connection.execute(
            update(account_mobiles).where(account_mobiles.c.account_id == account_id,
                                          account_mobiles.c.mobile_sealed == previous.token)
            .values(key_id=sealed.key_id, mobile_sealed=sealed.token, updated_at=utcnow()))
        return done.rowcount == 1

    def mobiles_by_key(self) -> dict[str, int]:
        rows = self.connection.execute(select(account_mobiles.c.key_id, func.count())
                                       .group_by(account_mobiles.c.key_id))
        return {row[0]: row[1] for row in rows}

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
                        institutions.c.foreign.label("institution_foreign"), unit.c.name.label("unit_name"),
                        account_mobiles.c.mobile_masked)
                 .select_from(accounts
                              .outerjoin(institutions, institutions.c.code == accounts.c.institution_code)
                              .outerjoin(account_mobiles, account_mobiles.c.account_id == accounts.c.id)
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
