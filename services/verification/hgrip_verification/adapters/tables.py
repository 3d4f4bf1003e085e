"""Every table and index of the verification database, on one ``metadata`` (migrations/env.py uses it).

The read models, one row per code subject, the state of its latest code: ``verification_codes`` (one
per file, e-mail codes) and ``sms_codes`` (one per purpose and subject). ``code_hash`` lives only here
(never in an event, which the outbox publishes to the broker): an HMAC keyed by TOKEN_SECRET, never the
code itself. ``sms_codes`` keeps the masked mobile only.

The notices' (``app/notices.py``): ``notices_sent``, one row per notice mailed, keyed by (kind, fact
id, recipient): a notice is sent once. It keeps the masked address only. (The backup a notice is about
is asked of backups when the notice is due: no copy of backups is kept here.)
"""
from sqlalchemy import Boolean, Column, Integer, MetaData, PrimaryKeyConstraint, String, Table

from hgrip_kernel.field_rules import ACCESSION_MAX, EMAIL_MAX
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
    Column("submission_account", String(EMAIL_MAX), nullable=False),
    Column("accession", String(ACCESSION_MAX), nullable=False),
    Column("repository", String(20), nullable=False),
)

sms_codes = Table(
    "sms_codes", metadata,
    Column("purpose", String(32), primary_key=True),
    Column("subject", String(128), primary_key=True),
    Column("sent_to", String(16), nullable=False),     # masked: 139****5678
    *_code_state_columns(),
)

notices_sent = Table(
    "notices_sent", metadata,
    Column("kind", String(32), nullable=False),
    Column("fact_id", String(120), nullable=False),
    Column("recipient_id", String(36), nullable=False),
    Column("backup_id", String(36), nullable=False),
    Column("sent_to", String(EMAIL_MAX), nullable=False),   # masked: z***@big.ac.cn
    Column("message_id", String(255), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("kind", "fact_id", "recipient_id", name="pk_notices_sent"),
)
