"""One send_code per file (one send_sms_code per purpose and subject) at a time, across every
instance of the service: the ``SendGuard`` port.

send_code keeps its transaction open while the mail (or SMS) goes out (so that a failed send records
nothing). Two concurrent sends for one file would both pass the 5-minute check and mail two
codes; a PostgreSQL advisory lock, held until the transaction ends, lets only one through.
It is a *try* lock: psycopg2 is not green, so a waiting lock would stall every worker of the process.
"""
import hashlib

from sqlalchemy import text

from hgrip_kernel.ports import UnitOfWork


class AdvisoryLockGuard:
    def try_claim(self, uow: UnitOfWork, scope: str) -> bool:
        """``scope``: a file id, or ``sms_hash_scope(purpose, subject)`` (never a UUID: no overlap)."""
        connection = uow.connection
        if connection.dialect.name != "postgresql":
            return True  # SQLite: the store's writer lock already runs one unit of work at a time
        digest = hashlib.sha256(f"verification-send:{scope}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar())
