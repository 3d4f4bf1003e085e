"""In-memory fakes of identity's ports, for the use cases' unit tests: no broker, no database."""
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

import pytest

from hgrip_identity.app.ports import InvalidToken, Ports
from hgrip_identity.domain import Account, Institution
from hgrip_kernel.personal_data import PersonalData, Sealed, local_keys
from hgrip_kernel.testing.fakes import FakeLog, FakeRequest
from hgrip_kernel.testing.memory_store import InMemoryEventStore


@dataclass(frozen=True)
class AccountRow:
    """An accounts read-model row joined with its institution's and unit's names."""
    id: str
    username: str
    name: str
    role: str
    mobile_masked: str | None
    institution_code: str | None
    institution_name: str | None
    institution_foreign: bool | None
    unit_code: str | None
    unit_name: str | None
    real_name_verified: bool
    authorised: bool
    authorised_at: datetime | None
    employed: bool
    email: str | None
    last_login_at: datetime | None


class FakeRecords:
    """The read models and credentials as dicts (one instance: every "connection" sees every write)."""

    def __init__(self):
        self.institutions: dict[str, Institution] = {}
        self.accounts: dict[str, AccountRow] = {}
        self.hashes: dict[str, str] = {}
        self.sealed: dict[str, Sealed] = {}       # account id → its mobile, sealed
        self.masked: dict[str, str] = {}

    def set_mobile(self, account_id, sealed, masked):
        self.sealed.pop(account_id, None)
        self.masked.pop(account_id, None)
        if sealed is not None:
            self.sealed[account_id], self.masked[account_id] = sealed, masked
        if account_id in self.accounts:
            self.accounts[account_id] = replace(self.accounts[account_id], mobile_masked=masked)

    def sealed_mobile(self, account_id):
        return self.sealed.get(account_id)

    def mobiles_not_under(self, key_id, limit):
        return sorted((a, s) for a, s in self.sealed.items() if s.key_id != key_id)[:limit]

    def reseal_mobile(self, account_id, previous, sealed):
        if self.sealed.get(account_id) != previous:
            return False
        self.sealed[account_id] = sealed
        return True

    def mobiles_by_key(self):
        return dict(Counter(s.key_id for s in self.sealed.values()))

    def project_institution(self, institution):
        self.institutions[institution.code] = institution

    def project_account(self, account: Account):
        profile = account.profile
        institution = self.institutions.get(profile["institution"])
        self.accounts[account.account_id] = AccountRow(
            id=account.account_id, username=profile["username"], name=profile["name"], role=profile["role"],
            mobile_masked=self.masked.get(account.account_id), institution_code=profile["institution"],
            institution_name=institution.name if institution else None,
            institution_foreign=institution.foreign if institution else None,
            unit_code=profile["unit"], unit_name=institution.units.get(profile["unit"]) if institution else None,
            real_name_verified=profile["real_name_verified"], authorised=profile["authorised"],
            authorised_at=datetime.fromisoformat(profile["authorised_at"]) if profile["authorised_at"] else None,
            employed=profile["employed"], email=profile["email"], last_login_at=account.last_login_at)

    def set_password_hash(self, account_id, password_hash):
        self.hashes[account_id] = password_hash

    def password_hash(self, account_id):
        return self.hashes.get(account_id)

    def institution_units(self, code):
        institution = self.institutions.get(code)
        return dict(institution.units) if institution else None

    def find_account(self, *, account_id=None, username=None):
        if account_id:
            return self.accounts.get(account_id)
        return next((row for row in self.accounts.values() if row.username == username), None)


class FakeDatabase:
    def __init__(self, records: FakeRecords):
        self.records = records

    @contextmanager
    def reading(self) -> Iterator[FakeRecords]:
        yield self.records

    def within(self, uow) -> FakeRecords:
        return self.records


class FakePasswords:
    """"hashed:<password>"; counts verifications (an unknown user must cost one too)."""

    def __init__(self):
        self.hashed = 0
        self.verified = 0

    def hash(self, password):
        self.hashed += 1
        return f"hashed:{password}"

    def verify(self, password_hash, password):
        self.verified += 1
        return password_hash is not None and password_hash == f"hashed:{password}"

    def needs_rehash(self, password_hash):
        return False


class FakeTokens:
    ttl_seconds = 7200

    def __init__(self):
        self.issued: dict[str, dict] = {}

    def issue(self, account, now):
        token = f"token-{len(self.issued) + 1}"
        self.issued[token] = {"sub": account["id"], "username": account["username"], "role": account["role"],
                              "iat": now}
        return token

    def decode(self, token):
        if token not in self.issued:
            raise InvalidToken("Signature verification failed")
        return self.issued[token]


class FakeDeadLetters:
    """The dead-letter queue as a list of letters (each with its ``message``)."""

    def __init__(self):
        self.queue: list[dict] = []

    def add(self, message_id, queue="backups.on_project_created", event_type="ProjectCreated"):
        letter = {"message_id": message_id, "service": queue.split(".")[0], "queue": queue,
                  "event_type": event_type, "error": "KeyError: 'name'", "attempts": 5,
                  "failed_at": "2026-01-15T02:30:00+00:00"}
        self.queue.append({**letter, "message": {"headers": {}, "body": {"data": {"mobile": "139****5678"}}}})

    def _view(self, letter):
        return {key: value for key, value in letter.items() if key != "message"}

    def letters(self):
        return [self._view(letter) for letter in self.queue]

    def letter(self, message_id):
        return next((letter for letter in self.queue if letter["message_id"] == message_id), None)

    def replay(self, message_id):
        chosen = [letter for letter in self.queue if message_id is None or letter["message_id"] == message_id]
        self.queue = [letter for letter in self.queue if letter not in chosen]
        return [self._view(letter) for letter in chosen]


UNIT_HMAC_KEY = "unit-test-hmac-key"


class Identity:
    """Everything a use case is given, faked: ``ports``, ``request`` and each fake by name."""

    def __init__(self):
        self.store = InMemoryEventStore("identity")
        self.records = FakeRecords()
        self.db = FakeDatabase(self.records)
        self.passwords = FakePasswords()
        self.tokens = FakeTokens()
        self.dead_letters = FakeDeadLetters()
        self.personal_data = PersonalData(UNIT_HMAC_KEY, local_keys("unit-test-secret"))
        self.ports = Ports(store=self.store, db=self.db, passwords=self.passwords, tokens=self.tokens,
                           personal_data=self.personal_data, dead_letters=self.dead_letters)
        self.request = FakeRequest("req-unit-1", None, FakeLog())

    def types(self, stream_id=None):
        return [e.event_type for e in (self.store.read_stream(stream_id) if stream_id else self.store.events)]


@pytest.fixture
def world():
    return Identity()


@pytest.fixture
def ngdc_payload():
    """An institution payload as the schema loads it."""
    return {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False,
            "units": [{"code": "U1", "name": "数据库部"}, {"code": "U2", "name": "技术部"}]}


@pytest.fixture
def zhang_payload():
    """An account payload as the schema loads it (authorised_at an aware datetime)."""
    from datetime import UTC
    return {"username": "zhangxh", "password": "Corr3ct-horse", "name": "张晓寒", "mobile": "13812345678",
            "role": "natural_person", "institution": "NGDC", "unit": "U1", "real_name_verified": True,
            "authorised": True, "authorised_at": datetime(2023, 6, 27, 3, 26, 27, tzinfo=UTC), "employed": True}
