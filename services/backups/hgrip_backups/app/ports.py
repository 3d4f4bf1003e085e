"""What the backups use cases need from the world, as typed protocols: the service's own read models
(backups, members, legacy backups, institution views) and the peers (projects, verification,
identity); the event store, its unit of work and the request are the kernel's (``hgrip_kernel.ports``).
The adapters implement them — the read-model modules of ``adapters/`` satisfy their protocols as they
are, the nameko peers are wrapped in ``adapters/peers.py`` — and unit tests pass in-memory fakes.

A read model is reached through a database connection: the unit of work's (``uow.connection``) for
writes that commit with the events, or one opened by ``Ports.connect()`` for reads. In memory both
are None and the fakes ignore them.
"""
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import EventStore

from ..domain.backup import Backup
from ..domain.scope import Authority

Row = Mapping[str, Any]   # a read-model row (a SQLAlchemy RowMapping, or a dict in memory)
Connection = Any          # the database connection a read model is reached through (None in memory)


# --- the service's read models -------------------------------------------------------------------------
class BackupRecords(Protocol):
    """Backups, their files and filings, known projects, the day counters (adapters/read_models.py)."""

    def write_backup(self, connection: Connection, backup: Backup,
                     changed: Collection[str] | None = None, number_later: bool = False) -> Row | None:
        """Make the rows of a saved Backup equal to its state; answer its backup row as stored.
        ``changed``: the types of the events just saved (None: unknown, rewrite every row);
        ``number_later``: its backup row is left to ``number_last`` (None answered), but for the
        files and filings ``changed`` calls for (the row written first, its number empty)."""

    def backup_view(self, connection: Connection, backup_id: str | None, owner_id: str | None) -> dict | None:
        """The owner's backup with its files and filings as get_backup returns it; None otherwise."""

    def written_view(self, connection: Connection, backup: Backup, row: Row) -> dict:
        """backup_view of the backup whose row write_backup or number_last just answered (not read again)."""

    def file_view(self, connection: Connection, file_id: str) -> dict: ...

    def owns_backup(self, connection: Connection, backup_id: str | None, owner_id: str | None) -> bool: ...

    def backup_facts(self, connection: Connection, backup_id: str) -> dict | None:
        """``{"backup_id", "owner_id", "backup_number", "name"}`` as now, None if unknown."""

    def project_backups(self, connection: Connection, project_id: str, owner_id: str) -> list[dict]:
        """The project's backups (views with their filing numbers), newest first."""

    def backup_ids_by_number(self, connection: Connection, numbers: Sequence[str]) -> dict[str, str]: ...

    def next_serial(self, connection: Connection, day: str) -> int:
        """The day's next backup-number serial, allocated in the caller's transaction."""

    def numbers_last(self, connection: Connection) -> bool:
        """Whether submits on this connection are numbered by ``number_last`` instead."""

    def number_last(self, connection: Connection, backup: Backup, day: str,
                    event_id: str) -> tuple[int, str | None, Row | None]:
        """As the transaction's last statement: the day's next serial, written as the submitted
        backup's number into the event ``event_id`` and with every other column of its backup row
        (its one write of the submit) → ``(serial, number, row as stored)``. Past the day's last
        serial nothing is written (number and row None); no backup row yet: row None."""

    def apply_project_created(self, connection: Connection, envelope: Envelope) -> None: ...

    def get_known_project(self, connection: Connection, project_id: str) -> dict | None: ...

    def owned_backup_ids(self, connection: Connection, owner_id: str) -> list[str]: ...

    def owned_project_ids(self, connection: Connection, owner_id: str) -> list[str]: ...

    def project_name_clashes(self, connection: Connection, from_owner_id: str, to_owner_id: str) -> list[str]:
        """Names of the moving projects the new delegate already uses."""

    def move_projects(self, connection: Connection, project_ids: Sequence[str], owner_id: str) -> None: ...


class MemberRecords(Protocol):
    """Members and institutions from identity's events (adapters/members.py)."""

    def get_member(self, connection: Connection, account_id: str) -> Row | None: ...

    def find_member(self, connection: Connection, username: str) -> Row | None: ...

    def apply_account(self, connection: Connection, envelope: Envelope, secret: str) -> bool: ...

    def apply_institution(self, connection: Connection, envelope: Envelope) -> bool: ...


class LegacyRecords(Protocol):
    """The ``legacy_backups`` rows claims search and mark (adapters/legacy_store.py)."""

    def registrant_rows(self, connection: Connection, name_key: str, mobile_hash: str | None, *,
                        unclaimed_only: bool = False, institution_key: str | None = None,
                        lock: bool = False) -> list: ...

    def mark_claimed(self, connection: Connection, backup_id: str, owner_id: str, how: str,
                     claimed_at: datetime) -> bool: ...


class InstitutionQueries(Protocol):
    """The institution views' pages and detail, bounded by the administrator's scope (adapters/queries.py)."""

    def backup_page(self, connection: Connection, authority: Authority, query: dict) -> dict: ...

    def backup_detail(self, connection: Connection, authority: Authority | None, backup_id: str) -> dict | None:
        """``authority`` None: no scope (operators only; the use case checks)."""

    def backup_batch(self, connection: Connection, authority: Authority, query: dict, after: list | None,
                     limit: int) -> dict:
        """The export's batch: ``{items, next}``, keyset by (sort key, id) after ``after``."""

    def member_page(self, connection: Connection, authority: Authority, query: dict) -> dict: ...

    def delegate_page(self, connection: Connection, authority: Authority, query: dict) -> dict: ...


# --- the peers ------------------------------------------------------------------------------------------
# Their refusals pass through; a peer that no instance serves is refused as service_unavailable.
class Projects(Protocol):
    def get_project(self, actor_id: str, project_id: str) -> dict:
        """The actor's own project, or NotFound project_not_found."""

    def transfer_projects(self, transfer: dict) -> str | None:
        """Ask projects to move the transfer's projects now: None when done, else why not (its
        consumer of DelegationTransferred moves them later)."""


class Verification(Protocol):
    def check_dataset(self, repository: str, accession: str, submission_account: str) -> dict: ...

    def send_code(self, request: dict) -> dict: ...

    def verify_code(self, file_id: str, code: str) -> dict: ...

    def send_sms_code(self, request: dict) -> dict: ...

    def verify_sms_code(self, purpose: str, subject: str, code: str) -> dict: ...


class Identity(Protocol):
    def get_account(self, account_id: str) -> dict:
        """The account as identity knows it now, or NotFound account_not_found."""

    def account_name(self, account_id: str) -> str | None:
        """The account's real name; None when identity cannot say (unknown account, no identity)."""


# --- what a use case is given ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Ports:
    """The service's store, read models, peers and secret, wired by the entrypoint (in-memory fakes in
    unit tests). A use case takes ``(ports, request, ...)``: the request (``hgrip_kernel.ports.Request``)
    gives the ids its events carry and its log; a use case that only reads takes ``ports`` alone."""
    store: EventStore
    connect: Callable[[], AbstractContextManager[Connection]]   # a connection for reads
    backups: BackupRecords
    members: MemberRecords
    legacy: LegacyRecords
    institution: InstitutionQueries
    projects: Projects
    verification: Verification
    identity: Identity
    secret: str                  # the HMAC key of mobile numbers (MOBILE_HASH_SECRET)
