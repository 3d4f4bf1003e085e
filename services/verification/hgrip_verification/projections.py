"""The ``verification_codes`` read model: one row per file, the state of its latest code.

Written in the same transaction as the events. ``code_hash`` lives only here (never in an event,
which the outbox publishes to the broker): an HMAC keyed by TOKEN_SECRET, never the code itself.
"""
from hgrip_kernel.store.tables import UTCDateTime
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()

verification_codes = Table(
    "verification_codes", metadata,
    Column("file_id", String(36), primary_key=True),
    Column("backup_id", String(36), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("verified_at", UTCDateTime),
    Column("submission_account", String(254), nullable=False),
    Column("accession", String(64), nullable=False),
    Column("repository", String(20), nullable=False),
)


def find(connection, file_id: str):
    return connection.execute(
        select(verification_codes).where(verification_codes.c.file_id == file_id)).first()


def _state(request) -> dict:
    return {"issued_at": request.issued_at, "expires_at": request.expires_at, "failures": request.failures,
            "locked": request.locked, "verified_at": request.verified_at}


def record_issued(connection, request, code_hash: str) -> None:
    """A new code for the file: insert its row, or replace the previous code's row (upsert)."""
    dataset = request.dataset
    row = {"file_id": dataset.file_id, "backup_id": dataset.backup_id, "code_hash": code_hash,
           "submission_account": dataset.submission_account, "accession": dataset.accession,
           "repository": dataset.repository, **_state(request)}
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    statement = dialect.insert(verification_codes).values(**row)
    updates = {key: statement.excluded[key] for key in row if key != "file_id"}
    connection.execute(statement.on_conflict_do_update(index_elements=["file_id"], set_=updates))


def record_state(connection, request) -> None:
    """Failures, lock or verification of the current code (its row exists since CodeIssued)."""
    connection.execute(update(verification_codes)
                       .where(verification_codes.c.file_id == request.dataset.file_id)
                       .values(**_state(request)))
