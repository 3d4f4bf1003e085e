"""The read models, one row per code subject, the state of its latest code:
``verification_codes`` (one per file, e-mail codes) and ``sms_codes`` (one per purpose and subject).

Written in the same transaction as the events. ``code_hash`` lives only here (never in an event,
which the outbox publishes to the broker): an HMAC keyed by TOKEN_SECRET, never the code itself.
``sms_codes`` keeps the masked mobile only.
"""
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hgrip_kernel.store.tables import UTCDateTime

metadata = MetaData()


def _code_state_columns() -> list[Column]:
    return [Column("code_hash", String(64), nullable=False),
            Column("issued_at", UTCDateTime, nullable=False),
            Column("expires_at", UTCDateTime, nullable=False),
            Column("failures", Integer, nullable=False),
            Column("locked", Boolean, nullable=False),
            Column("verified_at", UTCDateTime)]


verification_codes = Table(
    "verification_codes", metadata,
    Column("file_id", String(36), primary_key=True),
    Column("backup_id", String(36), nullable=False),
    *_code_state_columns(),
    Column("submission_account", String(254), nullable=False),
    Column("accession", String(64), nullable=False),
    Column("repository", String(20), nullable=False),
)

sms_codes = Table(
    "sms_codes", metadata,
    Column("purpose", String(32), primary_key=True),
    Column("subject", String(128), primary_key=True),
    Column("sent_to", String(16), nullable=False),     # masked: 139****5678
    *_code_state_columns(),
)


def _state(request) -> dict:
    return {"issued_at": request.issued_at, "expires_at": request.expires_at, "failures": request.failures,
            "locked": request.locked, "verified_at": request.verified_at}


def _upsert(connection, table: Table, row: dict) -> None:
    """Insert the row of a new code, or replace the previous code's row (same primary key)."""
    keys = [column.name for column in table.primary_key]
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    statement = dialect.insert(table).values(**row)
    updates = {key: statement.excluded[key] for key in row if key not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))


# --- e-mail codes ------------------------------------------------------------------------------------
def find(connection, file_id: str):
    return connection.execute(
        select(verification_codes).where(verification_codes.c.file_id == file_id)).first()


def record_issued(connection, request, code_hash: str) -> None:
    dataset = request.dataset
    _upsert(connection, verification_codes, {
        "file_id": dataset.file_id, "backup_id": dataset.backup_id, "code_hash": code_hash,
        "submission_account": dataset.submission_account, "accession": dataset.accession,
        "repository": dataset.repository, **_state(request)})


def record_state(connection, request) -> None:
    """Failures, lock or verification of the current code (its row exists since CodeIssued)."""
    connection.execute(update(verification_codes)
                       .where(verification_codes.c.file_id == request.dataset.file_id)
                       .values(**_state(request)))


# --- SMS codes ---------------------------------------------------------------------------------------
def _sms_key(purpose: str, subject: str):
    return and_(sms_codes.c.purpose == purpose, sms_codes.c.subject == subject)


def find_sms(connection, purpose: str, subject: str):
    return connection.execute(select(sms_codes).where(_sms_key(purpose, subject))).first()


def record_sms_sent(connection, request, code_hash: str) -> None:
    _upsert(connection, sms_codes, {"purpose": request.purpose, "subject": request.subject,
                                    "sent_to": request.sent_to, "code_hash": code_hash, **_state(request)})


def record_sms_state(connection, request) -> None:
    """Failures, lock or use of the current SMS code (its row exists since SmsCodeSent)."""
    connection.execute(update(sms_codes).where(_sms_key(request.purpose, request.subject))
                       .values(**_state(request)))
