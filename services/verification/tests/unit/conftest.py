"""Fixtures of the verification unit tests: in-memory fakes of every port, nothing started.

``verification`` is the use cases' ``Ports`` over an ``InMemoryEventStore`` and fakes that remember
what they were asked, and a clock the test moves; ``request`` is the request a use case serves.
"""
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_kernel.testing.fakes import FakeLog, FakeRequest
from hgrip_kernel.testing.memory_store import InMemoryEventStore
from hgrip_verification.app.ports import (
    Dataset,
    MailNotSent,
    NoticeSettings,
    Ports,
    RepositoryUnavailable,
    SmsNotSent,
)

SECRET = "unit-test-token-secret-of-32-bytes!"
T0 = datetime(2023, 6, 28, 10, 3, 53, tzinfo=UTC)


@pytest.fixture
def replay():
    """``replay(aggregate) -> a fresh one folded from its pending events``, as if stored (versions 1…n)."""
    class Stored:
        def __init__(self, event, version):
            self.event_type, self.data, self.stream_version = event.type, event.data, version

    def fold(source):
        return type(source).rehydrate(source.id, [Stored(e, n) for n, e in enumerate(source.pending, 1)])
    return fold


class FakeRepositories:
    """The repositories: ``datasets[(repository, accession)] = submitter``; ``down`` = cannot answer."""

    def __init__(self):
        self.datasets: dict[tuple[str, str], str] = {}
        self.down = False
        self.asked: list[tuple[str, str]] = []

    def find_dataset(self, repository, accession):
        self.asked.append((repository, accession))
        if self.down:
            raise RepositoryUnavailable(repository, "no answer: ConnectTimeout")
        submitter = self.datasets.get((repository, accession))
        return Dataset(repository, accession, submitter) if submitter else None


class FakeOutbox:
    """A mailer or SMS gateway: keeps what it sent; ``down`` = refuses with ``error``."""

    def __init__(self, error):
        self.error = error
        self.sent: list[dict] = []
        self.down = False

    def _send(self, **message):
        if self.down:
            raise self.error("HTTP 503 unavailable")
        self.sent.append(message)
        return f"id-{len(self.sent)}"

    def code(self, index=-1) -> str:
        """The 6-digit code of a sent message, read as a person would (after 验证码为)."""
        return re.search(r"验证码为[：\s](\d{6})", self.sent[index]["text"]).group(1)


class FakeMailer(FakeOutbox):
    def send(self, to, subject, text, key=None):
        return self._send(to=to, subject=subject, text=text, key=key)


class FakeSms(FakeOutbox):
    def send(self, mobile, text, request_id=None):
        return self._send(mobile=mobile, text=text, request_id=request_id)


class FakeCodeRecords:
    """A code read model: one row per code subject (its stream), the HMAC and the state."""

    def __init__(self):
        self.rows: dict[str, dict] = {}

    def stored_hash(self, uow, request):
        row = self.rows.get(request.id)
        return row["code_hash"] if row else None

    def record_issued(self, uow, request, code_hash):
        self.rows[request.id] = {"code_hash": code_hash, **self._state(request)}

    def record_state(self, uow, request):
        self.rows[request.id].update(self._state(request))

    @staticmethod
    def _state(request):
        return {"issued_at": request.issued_at, "expires_at": request.expires_at, "failures": request.failures,
                "locked": request.locked, "verified_at": request.verified_at}


class FakeSendGuard:
    """``busy``: scopes another instance is sending a code for right now."""

    def __init__(self):
        self.busy: set[str] = set()

    def try_claim(self, uow, scope):
        return scope not in self.busy


class FakeAccounts:
    """identity: ``accounts[id] = {"id", "username", "name"}``; ``down`` = cannot answer."""

    def __init__(self):
        self.accounts: dict[str, dict] = {}
        self.down = False

    def account(self, account_id):
        if self.down:
            raise ConnectionError("identity is away")
        return self.accounts.get(account_id)


class FakeBackups:
    """backups' ``get_backup_facts``: ``facts`` by backup id, as backups has them now."""

    def __init__(self):
        self.backups: dict[str, dict] = {}
        self.down = False

    def facts(self, backup_id):
        if self.down:
            raise ConnectionError("backups is away")
        return self.backups.get(backup_id)

    def own(self, backup_id, owner_id, backup_number=None, name="肝癌队列"):
        self.backups[backup_id] = {"backup_id": backup_id, "owner_id": owner_id, "backup_number": backup_number,
                                   "name": name}


class FakeNoticeRecords:
    """``notices_sent`` in memory (``sent`` raises on a second row per key, as the unique key does)."""

    def __init__(self):
        self.sent: dict = {}

    def was_sent(self, uow, key):
        return key in self.sent

    def record_sent(self, uow, key, backup_id, sent_to, message_id, sent_at):
        if key in self.sent:
            raise RuntimeError(f"unique violation: {key}")
        self.sent[key] = {"backup_id": backup_id, "sent_to": sent_to, "message_id": message_id,
                          "sent_at": sent_at}


@dataclass
class Verification:
    """The ports of the use cases as fakes, a clock to move and the log of every call."""
    store: InMemoryEventStore = field(default_factory=lambda: InMemoryEventStore("verification"))
    repositories: FakeRepositories = field(default_factory=FakeRepositories)
    mailer: FakeMailer = field(default_factory=lambda: FakeMailer(MailNotSent))
    sms: FakeSms = field(default_factory=lambda: FakeSms(SmsNotSent))
    mail_codes: FakeCodeRecords = field(default_factory=FakeCodeRecords)
    sms_codes: FakeCodeRecords = field(default_factory=FakeCodeRecords)
    send_guard: FakeSendGuard = field(default_factory=FakeSendGuard)
    accounts: FakeAccounts = field(default_factory=FakeAccounts)
    backups: FakeBackups = field(default_factory=FakeBackups)
    notices: FakeNoticeRecords = field(default_factory=FakeNoticeRecords)
    log: FakeLog = field(default_factory=FakeLog)
    now: datetime = T0

    @property
    def ports(self) -> Ports:
        return Ports(store=self.store, send_guard=self.send_guard, mail_codes=self.mail_codes,
                     sms_codes=self.sms_codes, repositories=self.repositories, mailer=self.mailer, sms=self.sms,
                     clock=lambda: self.now, secret=SECRET, accounts=self.accounts, backups=self.backups,
                     notices=self.notices,
                     notice_settings=NoticeSettings(platform_url="https://hgrip.example/"))

    @property
    def request(self) -> FakeRequest:
        return FakeRequest(correlation_id="req-unit", causation_id=None, log=self.log)

    def wait(self, **delta) -> None:
        self.now += timedelta(**delta)

    def event_types(self) -> list[str]:
        return [e.event_type for e in self.store.read_all()]


@pytest.fixture
def verification():
    return Verification()
