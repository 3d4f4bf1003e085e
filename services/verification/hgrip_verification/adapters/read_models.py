"""The codes' read models (``adapters/tables.py``), written in the same transaction as the events:
``MailCodeRecords`` (``verification_codes``, one row per file) and ``SmsCodeRecords`` (``sms_codes``,
one row per purpose and subject), each the ``CodeRecords`` port of its kind of code."""
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hgrip_kernel.ports import UnitOfWork

from ..domain import SmsCodeRequest, VerificationRequest
from .tables import sms_codes, verification_codes


def _state(request: Any) -> dict:
    return {"issued_at": request.issued_at, "expires_at": request.expires_at, "failures": request.failures,
            "locked": request.locked, "verified_at": request.verified_at}


def _upsert(connection: Any, table: Table, row: dict) -> None:
    """Insert the row of a new code, or replace the previous code's row (same primary key)."""
    keys = [column.name for column in table.primary_key]
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    statement = dialect.insert(table).values(**row)
    updates = {key: statement.excluded[key] for key in row if key not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))


class _CodeRecords:
    table: Table

    def _key(self, request: Any) -> ColumnElement[bool]:
        raise NotImplementedError

    def stored_hash(self, uow: UnitOfWork, request: Any) -> str | None:
        row = uow.connection.execute(select(self.table.c.code_hash).where(self._key(request))).first()
        return row.code_hash if row else None

    def record_state(self, uow: UnitOfWork, request: Any) -> None:
        """Failures, lock or verification of the current code (its row exists since it was issued)."""
        uow.connection.execute(update(self.table).where(self._key(request)).values(**_state(request)))


class MailCodeRecords(_CodeRecords):
    table = verification_codes

    def _key(self, request: VerificationRequest) -> ColumnElement[bool]:
        return verification_codes.c.file_id == request.dataset.file_id

    def record_issued(self, uow: UnitOfWork, request: VerificationRequest, code_hash: str) -> None:
        dataset = request.dataset
        _upsert(uow.connection, verification_codes, {
            "file_id": dataset.file_id, "backup_id": dataset.backup_id, "code_hash": code_hash,
            "submission_account": dataset.submission_account, "accession": dataset.accession,
            "repository": dataset.repository, **_state(request)})


class SmsCodeRecords(_CodeRecords):
    table = sms_codes

    def _key(self, request: SmsCodeRequest) -> ColumnElement[bool]:
        return and_(sms_codes.c.purpose == request.purpose, sms_codes.c.subject == request.subject)

    def record_issued(self, uow: UnitOfWork, request: SmsCodeRequest, code_hash: str) -> None:
        _upsert(uow.connection, sms_codes, {"purpose": request.purpose, "subject": request.subject,
                                            "sent_to": request.sent_to, "code_hash": code_hash, **_state(request)})
