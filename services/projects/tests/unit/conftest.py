"""In-memory fakes of the projects ports, for the use cases' unit tests: no broker, no database."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from hgrip_kernel.errors import NotFound
from hgrip_kernel.testing.fakes import FakeLog, FakeRequest
from hgrip_kernel.testing.memory_store import InMemoryEventStore
from hgrip_projects.app.ports import Ports
from hgrip_projects.domain import Transfer, refusals


class FakeProjectRecords:
    """The ``projects`` read model as a dict of rows; UNIQUE(owner_id, name) checked as the table does."""

    def __init__(self):
        self.rows: dict[str, dict] = {}

    def _clash(self, owner_id, name, project_id):
        return any(row["owner_id"] == owner_id and row["name"] == name and row["id"] != project_id
                   for row in self.rows.values())

    def names_taken(self, owner_id, names, except_ids=()):
        wanted = set(names)
        return sorted({row["name"] for row in self.rows.values()
                       if row["owner_id"] == owner_id and row["name"] in wanted and row["id"] not in except_ids})

    def apply_project_created(self, envelope):
        data = envelope.data
        if self._clash(data["owner_id"], data["name"], data["project_id"]):
            raise refusals.project_name_taken(data["name"])
        row = {"id": data["project_id"], **{key: data[key] for key in (
            "owner_id", "owner_username", "name", "pi_name", "pi_email", "institution_code", "institution_name",
            "unit_code", "unit_name")}, "created_at": datetime.fromisoformat(data["created_at"]),
            "event_id": envelope.event_id}
        self.rows[row["id"]] = row
        return row

    def apply_project_delegated(self, envelope, name):
        data = envelope.data
        if self._clash(data["to_owner_id"], name, data["project_id"]):
            raise refusals.delegate_has_project_named([name])
        self.rows[data["project_id"]].update(owner_id=data["to_owner_id"], owner_username=data["to_username"],
                                             unit_code=data["unit_code"], unit_name=data["unit_name"])

    def list_for_owner(self, owner_id):
        rows = [row for row in self.rows.values() if row["owner_id"] == owner_id]
        return sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)

    def get_for_owner(self, owner_id, project_id):
        row = self.rows.get(project_id)
        return row if row is not None and row["owner_id"] == owner_id else None


class FakeDatabase:
    def __init__(self, records):
        self.records = records

    @contextmanager
    def reading(self) -> Iterator[FakeProjectRecords]:
        yield self.records

    def within(self, uow) -> FakeProjectRecords:
        return self.records


class FakeIdentity:
    """identity.get_account from a dict of accounts; an unknown id is identity's own refusal."""

    def __init__(self):
        self.accounts: dict[str, dict] = {}
        self.asked: list[str] = []

    def get_account(self, account_id):
        self.asked.append(account_id)
        if account_id not in self.accounts:
            raise NotFound("account_not_found", f"No account {account_id}.", f"账号 {account_id} 不存在。",
                           {"account_id": account_id})
        return self.accounts[account_id]


class Projects:
    """Everything a use case is given, faked: ``ports``, ``request`` and each fake by name."""

    def __init__(self):
        self.store = InMemoryEventStore("projects")
        self.records = FakeProjectRecords()
        self.db = FakeDatabase(self.records)
        self.identity = FakeIdentity()
        self.ports = Ports(store=self.store, db=self.db, identity=self.identity)
        self.request = FakeRequest("req-unit-1", None, FakeLog())

    def types(self):
        return [e.event_type for e in self.store.events]


@pytest.fixture
def world():
    return Projects()


@pytest.fixture
def make_transfer():
    """``make_transfer(from_owner, to_owner, project_ids, **changes) -> Transfer`` (as the schema loads it)."""
    def make(from_owner, to_owner, project_ids, **changes):
        values = {"transfer_id": "00000000-0000-4000-8000-00000000f001", "from_owner_id": from_owner,
                  "to_owner_id": to_owner, "to_username": "delegate", "institution_code": "NGDC",
                  "to_unit_code": "U-002", "project_ids": tuple(dict.fromkeys(project_ids)),
                  "transferred_by": "00000000-0000-4000-8000-00000000a001",
                  "transferred_at": datetime(2023, 7, 1, 2, 0, tzinfo=UTC)}
        values.update(changes)
        return Transfer(**values)
    return make
