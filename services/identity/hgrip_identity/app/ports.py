"""What identity's use cases need from the world, as typed protocols: the read models and
credentials, the password hasher and the tokens (the event store, its unit of work and the request
are the kernel's: ``hgrip_kernel.ports``).

The adapters implement them over SQLAlchemy, argon2 and JWT; the unit tests over plain dicts.
"""
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hgrip_kernel.personal_data import Cipher, Sealed
from hgrip_kernel.ports import EventStore

from ..domain import Account, Institution


class AccountRecord(Protocol):
    """One row of the accounts read model, joined with its institution's and unit's names."""
    @property
    def id(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def employed(self) -> bool: ...


class Records(Protocol):
    """Identity's read models and credentials, seen through one connection (and its transaction)."""

    def find_account(self, *, account_id: str | None = None, username: str | None = None) -> AccountRecord | None:
        ...

    def password_hash(self, account_id: str) -> str | None: ...

    def institution_units(self, code: str) -> dict[str, str] | None:
        """{unit code: name} of a registered institution, or None when HGRG never registered it."""
        ...

    def project_institution(self, institution: Institution) -> None: ...

    def project_account(self, account: Account) -> None: ...

    def set_password_hash(self, account_id: str, password_hash: str) -> None: ...

    def set_mobile(self, account_id: str, sealed: Sealed | None, masked: str | None) -> None:
        """Keep the account's mobile sealed, and masked for answers (None: it has none any more)."""
        ...

    def sealed_mobile(self, account_id: str) -> Sealed | None: ...

    def mobiles_not_under(self, key_id: str, limit: int) -> list[tuple[str, Sealed]]:
        """(account id, sealed mobile) of up to ``limit`` mobiles sealed under another key."""
        ...

    def reseal_mobile(self, account_id: str, previous: Sealed, sealed: Sealed) -> bool:
        """Replace ``previous`` by ``sealed``; False when the row changed meanwhile."""
        ...

    def mobiles_by_key(self) -> dict[str, int]: ...


class Database(Protocol):
    """Where the records live: read outside a unit of work, or inside one in the same transaction."""

    def reading(self) -> AbstractContextManager[Records]: ...

    def within(self, uow: Any) -> Records: ...


class PersonalData(Protocol):
    """The mobile's keyed hash and the sealing keys (``hgrip_kernel.personal_data.PersonalData``)."""

    def mobile_hash(self, mobile: object) -> str | None: ...

    def seal(self, value: str) -> Sealed: ...

    def open(self, sealed: Sealed) -> str: ...

    @property
    def cipher(self) -> Cipher: ...


class Passwords(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password and for no hash at all (costing the same time as a wrong one)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class InvalidToken(Exception):
    """The token is malformed, forged or expired (the use case answers ``invalid_token``)."""


class Tokens(Protocol):
    @property
    def ttl_seconds(self) -> int: ...

    def issue(self, account: dict, now: datetime) -> str: ...

    def decode(self, token: str) -> dict:
        """The token's claims; raises InvalidToken."""
        ...


class DeadLetters(Protocol):
    """The broker's dead-letter queue, every service's (adapters/dead_letters.py, over the kernel's
    ``hgrip_kernel.dead_letters``). Each letter is ``{message_id, service, queue, event_type, error
    (masked), attempts, failed_at}``."""

    def letters(self) -> list[dict]: ...

    def letter(self, message_id: str) -> dict | None:
        """The letter with ``message`` (headers, body: personal data masked), or None."""
        ...

    def replay(self, message_id: str | None) -> list[dict]:
        """Re-publish one letter (or, with None, all) to the queue it failed in; what was replayed."""
        ...


@dataclass(frozen=True)
class Ports:
    """The service's store, read models and credentials, wired by the entrypoint (in-memory fakes in
    unit tests). A use case takes ``(ports, request, ...)``: the request (``hgrip_kernel.ports.Request``)
    gives the ids its events carry and its log; a use case that only reads takes ``ports`` alone."""
    store: EventStore
    db: Database
    passwords: Passwords
    tokens: Tokens
    personal_data: PersonalData
    dead_letters: DeadLetters | None = None   # the operator's console only
