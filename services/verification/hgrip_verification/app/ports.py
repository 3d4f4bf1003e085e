"""What the verification use cases need from the world, as typed protocols: the repositories (is this
dataset theirs?), the mailer, the SMS gateway, the read models of the codes and the send lock (the
event store, its unit of work and the request are the kernel's: ``hgrip_kernel.ports``). The adapters
implement them; unit tests pass in-memory fakes.

A port's failure is its own exception type (``RepositoryUnavailable``, ``MailNotSent``, ``SmsNotSent``):
the adapter raises it, the use case turns it into the refusal the user sees.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hgrip_kernel.ports import EventStore, UnitOfWork

from ..domain.issued_code import IssuedCode
from ..domain.notices import NoticeKey


# --- the repositories (GSA-Human, GWH, GVM, GenBase, OMIX) --------------------------------------------
@dataclass(frozen=True)
class Dataset:
    repository: str
    accession: str
    submitter: str          # the e-mail of the repository account that submitted it
    title: str | None = None
    released: str | None = None   # ISO date of public release; None while under embargo


class RepositoryUnavailable(Exception):
    """The repository could not answer (no connection, timeout, 5xx, or an answer we cannot read).

    Distinct from "not found": the caller must not tell a user their accession is wrong when the
    truth is that nobody could look it up.
    """

    def __init__(self, repository: str, reason: str):
        super().__init__(f"{repository}: {reason}")
        self.repository = repository
        self.reason = reason


class RepositoryClient(Protocol):
    def find_dataset(self, repository: str, accession: str) -> Dataset | None:
        """The dataset, None when the repository says it has no such accession, or raise
        RepositoryUnavailable."""


# --- mail and text messages ----------------------------------------------------------------------------
class MailNotSent(Exception):
    pass


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, key: str | None = None) -> str:
        """Send one plain-text message; returns its Message-ID, raises MailNotSent. ``key`` (a
        notice's digest) makes the Message-ID and an ``X-HGRIP-Notice-Key`` header stable, so that a
        mail sent twice can be recognised as one."""


class SmsNotSent(Exception):
    pass


class SmsGateway(Protocol):
    def send(self, mobile: str, text: str, request_id: str | None = None) -> str:
        """Send one message; returns the gateway's message id, raises SmsNotSent."""


# --- the codes' read models and the send lock -----------------------------------------------------------
class CodeRecords(Protocol):
    """The row of one kind of code (``verification_codes`` or ``sms_codes``), written in the unit of
    work of its events; the only place a code's HMAC is kept."""

    def stored_hash(self, uow: UnitOfWork, request: IssuedCode) -> str | None:
        """The HMAC of the request's current code (None if there is no row)."""

    def record_issued(self, uow: UnitOfWork, request: IssuedCode, code_hash: str) -> None:
        """Insert the row of a new code, or replace the previous code's row."""

    def record_state(self, uow: UnitOfWork, request: IssuedCode) -> None:
        """Failures, lock or verification of the current code (its row exists since it was issued)."""


class SendGuard(Protocol):
    def try_claim(self, uow: UnitOfWork, scope: str) -> bool:
        """True if no other send for ``scope`` is in flight (held until the unit of work ends)."""


# --- notices (mail that tells people what happened to their backups) ----------------------------------
class Accounts(Protocol):
    """identity's accounts (RPC ``get_account``)."""

    def account(self, account_id: str) -> Mapping[str, Any] | None:
        """``{"id", "username", "name", "email", …}`` (``email`` in clear, None when HGRG gave none),
        None if identity has no such account; raises if identity cannot answer (the event is then retried)."""


class Backups(Protocol):
    """backups (RPC ``get_backup_facts``): a backup as it is now, asked when a notice is due."""

    def facts(self, backup_id: str) -> Mapping[str, Any] | None:
        """``{"backup_id", "owner_id", "backup_number", "name"}``, None if backups has no such backup;
        raises if backups cannot answer (the event is then retried)."""


class NoticeRecords(Protocol):
    """``notices_sent``: one row per notice sent, unique by kind, fact and recipient."""

    def was_sent(self, uow: UnitOfWork, key: NoticeKey) -> bool:
        """Whether this notice was already sent."""

    def record_sent(self, uow: UnitOfWork, key: NoticeKey, backup_id: str, sent_to: str,
                    message_id: str, sent_at: datetime) -> None:
        """Record a sent notice (``sent_to`` masked); a second row for the key violates the unique key."""


@dataclass(frozen=True)
class NoticeSettings:
    platform_url: str           # the web application's base URL (the links in the mail): PLATFORM_URL


# --- what a use case is given ------------------------------------------------------------------------
@dataclass(frozen=True)
class Ports:
    """The service's store, read models, peers, clock and secret, wired by the entrypoint (in-memory
    fakes in unit tests). A use case takes ``(ports, request, ...)``: the request
    (``hgrip_kernel.ports.Request``) gives the ids its events carry and its log."""
    store: EventStore
    send_guard: SendGuard
    mail_codes: CodeRecords
    sms_codes: CodeRecords
    repositories: RepositoryClient
    mailer: Mailer
    sms: SmsGateway
    clock: Callable[[], datetime]   # the service's "now" (code expiry depends on it; tests move it)
    secret: str                     # the codes' HMAC key (TOKEN_SECRET)
    accounts: Accounts              # identity (notices' recipients)
    backups: Backups                # backups (the backup a notice is about: owner, number, name)
    notices: NoticeRecords
    notice_settings: NoticeSettings
