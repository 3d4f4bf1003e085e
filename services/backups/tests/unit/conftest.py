"""In-memory fakes of the backups use cases' ports (app/ports.py): no broker, no database.

``app`` gives the use cases their Ports (an InMemoryEventStore, fake read models and fake peers)
and a request; the fakes keep what the real adapters would and record what the peers were asked.
"""
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime

import pytest

from hgrip_backups.app import views
from hgrip_backups.app.ports import Ports
from hgrip_backups.domain.backup import Backup
from hgrip_backups.domain.legacy import Registrant
from hgrip_backups.domain.mobile import mobile_hash
from hgrip_backups.domain.names import name_key
from hgrip_kernel.contracts.identity import upcast_account
from hgrip_kernel.errors import InvalidInput, NotFound
from hgrip_kernel.testing.fakes import FakeLog, FakeRequest
from hgrip_kernel.testing.memory_store import InMemoryEventStore

SECRET = "unit-test-secret"
OWNER_ID = "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10"
PI_EMAIL = "data-admin@big.ac.cn"
PROJECT = {
    "id": "7d1e0c3a-9b2f-4e5d-8c6b-1a2b3c4d5e6f", "name": "三例样本（父母子）的测序数据开放共享备案",
    "pi_name": "刘晓寒", "pi_email": PI_EMAIL,
    "institution": {"code": "NGDC", "name": "国家基因组科学数据中心"},
    "unit": {"code": "U1", "name": "数据库部"}, "owner_id": OWNER_ID,
    "created_at": "2023-06-28T02:30:00+00:00",
}
# What the fake repository knows: (repository, accession) -> the account that submitted it.
DATASETS = {("GSA-Human", "HRA000567"): PI_EMAIL, ("GSA-Human", "HRA000568"): PI_EMAIL,
            ("OMIX", "OMIX001226"): "zhangxx@big.ac.cn"}
THE_CODE = "320000"
SMS_CODE = "482915"


def _time(value):
    return datetime.fromisoformat(value) if value else None


class FakeBackups:
    """backups / data_files / filings / known_projects / the day counters, in dicts."""

    def __init__(self):
        self.rows, self.files, self.filings, self.counters, self.projects = {}, {}, {}, {}, {}

    def write_backup(self, connection, backup, changed=None):
        row = self.rows[backup.backup_id] = {
            "id": backup.backup_id, "project_id": backup.project_id, "owner_id": backup.owner_id,
            "name": backup.name, "categories": list(backup.categories), "status": backup.status,
            "backup_number": backup.backup_number, "file_count": len(backup.files),
            "total_mb": backup.total_mb, "created_at": _time(backup.created_at),
            "submitted_at": _time(backup.submitted_at), "institution_code": backup.institution_code,
            "unit_code": backup.unit_code, "pi_name": backup.pi_name, "pi_email": backup.pi_email,
            "project_name": backup.project_name, "version": backup.version, "origin": backup.origin}
        self.files[backup.backup_id] = [
            {**f.to_dict(), "created_at": _time(f.created_at), "updated_at": _time(f.updated_at)}
            for f in backup.files.values()]
        self.filings[backup.backup_id] = dict(backup.filings)
        return row

    def _filing_rows(self, backup_id):
        rows = []
        for number, filing in self.filings.get(backup_id, {}).items():
            cited = sum(self.rows[b]["total_mb"] for b, held in self.filings.items() if number in held)
            rows.append({"filing_number": number, "recipient": filing["recipient"],
                         "declared_mb": filing["declared_mb"], "cited_total_mb": cited,
                         "filed_at": _time(filing["filed_at"])})
        return rows

    def backup_view(self, connection, backup_id, owner_id):
        row = self.rows.get(backup_id)
        if row is None or row["owner_id"] != owner_id:
            return None
        return views.backup_view(row, self.files[backup_id], filing_numbers=list(self.filings[backup_id]),
                                 filings=self._filing_rows(backup_id))

    def written_view(self, connection, backup, row):
        return self.backup_view(connection, row["id"], row["owner_id"])

    def file_view(self, connection, file_id):
        return views.file_view(next(f for files in self.files.values() for f in files if f["id"] == file_id))

    def owns_backup(self, connection, backup_id, owner_id):
        row = self.rows.get(backup_id)
        return row is not None and row["owner_id"] == owner_id

    def project_backups(self, connection, project_id, owner_id):
        rows = [r for r in self.rows.values() if r["project_id"] == project_id and r["owner_id"] == owner_id]
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return [views.backup_view(r, filing_numbers=list(self.filings[r["id"]])) for r in rows]

    def backup_ids_by_number(self, connection, numbers):
        return {r["backup_number"]: r["id"] for r in self.rows.values() if r["backup_number"] in numbers}

    def next_serial(self, connection, day):
        self.counters[day] = self.counters.get(day, 0) + 1
        return self.counters[day]

    def numbers_last(self, connection):
        return False

    def apply_project_created(self, connection, envelope):
        data = envelope.data
        self.projects[data["project_id"]] = {
            "project_id": data["project_id"], "owner_id": data["owner_id"],
            "institution_code": data["institution_code"], "name": data["name"],
            "applied_event_id": envelope.event_id}

    def get_known_project(self, connection, project_id):
        return self.projects.get(project_id)

    def backup_facts(self, connection, backup_id):
        row = self.rows.get(backup_id)
        return None if row is None else {"backup_id": row["id"], "owner_id": row["owner_id"],
                                         "backup_number": row["backup_number"], "name": row["name"]}

    def owned_backup_ids(self, connection, owner_id):
        rows = sorted((r for r in self.rows.values() if r["owner_id"] == owner_id),
                      key=lambda r: (r["created_at"], r["id"]))
        return [r["id"] for r in rows]

    def owned_project_ids(self, connection, owner_id):
        return sorted(p["project_id"] for p in self.projects.values() if p["owner_id"] == owner_id)

    def project_name_clashes(self, connection, from_owner_id, to_owner_id):
        moving = {p["name"] for p in self.projects.values() if p["owner_id"] == from_owner_id}
        return sorted({p["name"] for p in self.projects.values()
                       if p["owner_id"] == to_owner_id and p["name"] in moving})

    def move_projects(self, connection, project_ids, owner_id):
        for project_id in project_ids:
            self.projects[project_id]["owner_id"] = owner_id


class FakeMembers:
    """members / member_institutions / member_units; a row only moves forward by version."""

    def __init__(self):
        self.members, self.institutions = {}, {}

    def _row(self, member):
        institution = self.institutions.get(member["institution_code"]) or {}
        units = institution.get("units", {})
        return {**member, "institution_name": institution.get("name"),
                "institution_key": institution.get("name_key"), "unit_name": units.get(member["unit_code"])}

    def get_member(self, connection, account_id):
        member = self.members.get(account_id)
        return None if member is None else self._row(member)

    def find_member(self, connection, username):
        return next((self._row(m) for m in self.members.values() if m["username"] == username), None)

    def apply_account(self, connection, envelope, secret):
        data = upcast_account(envelope.data, envelope.schema_version, lambda mobile: mobile_hash(secret, mobile))
        version = envelope.stream_version
        current = self.members.get(str(data["account_id"]))
        if current is not None and current["version"] >= version:
            return False
        self.members[str(data["account_id"])] = {
            "account_id": str(data["account_id"]), "username": data["username"], "name": data["name"],
            "name_key": name_key(data["name"]), "mobile_hash": data["mobile_hash"],
            "role": data["role"], "institution_code": data.get("institution"), "unit_code": data.get("unit"),
            "employed": bool(data["employed"]), "authorised": bool(data["authorised"]),
            "authorised_at": _time(data.get("authorised_at")), "version": version}
        return True

    def apply_institution(self, connection, envelope):
        data, version = envelope.data, envelope.stream_version
        current = self.institutions.get(data["code"])
        if current is not None and current["version"] >= version:
            return False
        self.institutions[data["code"]] = {
            "name": data["name"], "name_key": name_key(data["name"]), "version": version,
            "units": {unit["code"]: unit["name"] for unit in data["units"]}}
        return True


class FakeLegacy:
    """legacy_backups rows."""

    def __init__(self):
        self.rows = {}

    def add(self, backup: Backup, registrant: Registrant):
        self.rows[backup.backup_id] = {
            "backup_id": backup.backup_id, "backup_number": backup.backup_number,
            "registrant_name_key": registrant.name_key, "mobile_hash": registrant.mobile_hash,
            "institution_name": registrant.institution_name, "institution_key": registrant.institution_key,
            "claimed_at": None, "owner_id": None, "how": None}

    def registrant_rows(self, connection, name_key, mobile_hash, *, unclaimed_only=False,
                        institution_key=None, lock=False):
        rows = [dict(r) for r in self.rows.values()
                if r["registrant_name_key"] == name_key and r["mobile_hash"] == mobile_hash
                and not (unclaimed_only and r["claimed_at"] is not None)
                and (institution_key is None or r["institution_key"] == institution_key)]
        return sorted(rows, key=lambda r: r["backup_number"])

    def mark_claimed(self, connection, backup_id, owner_id, how, claimed_at):
        row = self.rows[backup_id]
        if row["claimed_at"] is not None:
            return False
        row.update(claimed_at=claimed_at, owner_id=owner_id, how=how)
        return True


class FakeInstitution:
    """The institution views' queries: what each was asked, and an empty page."""

    def __init__(self):
        self.asked = []
        self.details = {}   # backup id -> the detail a test wants answered

    def _page(self, name, authority, query):
        self.asked.append((name, authority, query))
        return {"items": [], "total": 0, "page": query.get("page", 1), "page_size": query.get("page_size", 20)}

    def backup_page(self, connection, authority, query):
        return self._page("backups", authority, query)

    def member_page(self, connection, authority, query):
        return self._page("members", authority, query)

    def delegate_page(self, connection, authority, query):
        return self._page("delegates", authority, query)

    def backup_detail(self, connection, authority, backup_id):
        self.asked.append(("detail", authority, backup_id))
        return self.details.get(backup_id)

    def backup_batch(self, connection, authority, query, after, limit):
        self.asked.append(("export", authority, (query, after, limit)))
        return {"items": [], "next": None}


class FakeProjects:
    def __init__(self):
        self.projects = {PROJECT["id"]: PROJECT}
        self.transfers, self.refuse_transfer = [], None

    def get_project(self, actor_id, project_id):
        project = self.projects.get(project_id)
        if project is None or project["owner_id"] != actor_id:
            raise NotFound("project_not_found", "Project not found.", "项目不存在。")
        return project

    def transfer_projects(self, transfer):
        self.transfers.append(transfer)
        return self.refuse_transfer


class FakeVerification:
    def __init__(self):
        self.checks, self.sent, self.sms_sent, self.codes, self.sms_codes = [], [], [], {}, {}

    def check_dataset(self, repository, accession, submission_account):
        self.checks.append((repository, accession, submission_account))
        submitter = DATASETS.get((repository, accession))
        if submitter is None or submitter.casefold() != submission_account.casefold():
            raise InvalidInput("dataset_account_mismatch",
                               "The submission account and the dataset accession do not match.",
                               "提交账号与数据集序列号不匹配")
        return {"repository": repository, "accession": accession, "submitter_matches": True}

    def send_code(self, request):
        self.sent.append(dict(request))
        self.codes[request["file_id"]] = request
        return {"sent_to": "d***@big.ac.cn", "expires_at": "2026-01-01T00:00:00+00:00",
                "resend_available_at": "2026-01-01T00:05:00+00:00", "extra": "not passed on"}

    def verify_code(self, file_id, code):
        sent = self.codes.get(file_id)
        if sent is None or code != THE_CODE:
            raise InvalidInput("verification_code_invalid", "The verification code is wrong.", "验证码错误。")
        return {"verified": True, "file_id": file_id, "accession": sent["accession"],
                "repository": sent["repository"], "verified_at": datetime.now(UTC).isoformat()}

    def send_sms_code(self, request):
        self.sms_sent.append(dict(request))
        self.sms_codes[(request["purpose"], request["subject"])] = SMS_CODE
        return {"sent_to": "139****5678", "expires_at": "2026-01-01T00:10:00+00:00",
                "resend_available_at": "2026-01-01T00:01:00+00:00"}

    def verify_sms_code(self, purpose, subject, code):
        if self.sms_codes.get((purpose, subject)) != code:
            raise InvalidInput("sms_code_invalid", "The SMS code is wrong.", "短信验证码错误。")
        return {"verified": True}


class FakeIdentity:
    def __init__(self):
        self.accounts = {}

    def get_account(self, account_id):
        if account_id not in self.accounts:
            raise NotFound("account_not_found", "Account not found.", "账号不存在。")
        return self.accounts[account_id]

    def account_name(self, account_id):
        return self.accounts.get(account_id, {}).get("name")


class App:
    """The use cases' world: ``app.ports``, ``app.request`` and each fake by name."""

    def __init__(self):
        self.store = InMemoryEventStore(source="backups")
        self.backups, self.members, self.legacy = FakeBackups(), FakeMembers(), FakeLegacy()
        self.institution, self.projects = FakeInstitution(), FakeProjects()
        self.verification, self.identity, self.log = FakeVerification(), FakeIdentity(), FakeLog()
        self.ports = Ports(store=self.store, connect=nullcontext, backups=self.backups, members=self.members,
                           legacy=self.legacy, institution=self.institution, projects=self.projects,
                           verification=self.verification, identity=self.identity, secret=SECRET)
        self.request = FakeRequest(correlation_id="req-unit", causation_id=None, log=self.log)

    def events(self, event_type=None):
        return [e for e in self.store.events if event_type is None or e.event_type == event_type]

    def member(self, username, role="natural_person", institution="NGDC", unit="U1", employed=True,
               name=None, mobile="13800138000") -> str:
        """A member known to the read model (as identity's events would leave it); its account id."""
        account_id = str(uuid.uuid4())
        self.members.members[account_id] = {
            "account_id": account_id, "username": username, "name": name or username,
            "name_key": name_key(name or username), "mobile_hash": mobile_hash(SECRET, mobile), "role": role,
            "institution_code": institution, "unit_code": unit, "employed": employed, "authorised": True,
            "authorised_at": None, "version": 1}
        return account_id

    def institution_known(self, code="NGDC", name="国家基因组科学数据中心",
                          units=(("U1", "数据库部"), ("U2", "资源部"))):
        self.members.institutions[code] = {"name": name, "name_key": name_key(name), "version": 1,
                                           "units": dict(units)}

    def import_legacy(self, number="BF2021031500012", name="张晓寒", mobile="13912345678",
                      institution="国家基因组科学数据中心") -> Backup:
        """A legacy backup as ``hgrip legacy import`` leaves it: its stream and its legacy row."""
        registrant = Registrant(name=name, mobile_hash=mobile_hash(SECRET, mobile), mobile_masked="139****5678",
                                institution_name=institution)
        record = {"backup_number": number, "name": "遗传性耳聋家系外显子组测序数据备份",
                  "project_name": "汉族遗传性耳聋家系全外显子组测序研究", "pi_name": "刘晓寒",
                  "pi_email": "liuxh@big.ac.cn", "categories": ["wes"],
                  "submitted_at": datetime(2021, 3, 15, 2, 24, tzinfo=UTC),
                  "files": [{"detailed_type": "raw_sequencing", "repository": "GSA-Human",
                             "accession": "HRA001234", "cases": 120, "mb_per_case": 8500}]}
        backup = Backup.import_legacy(record, registrant, datetime.now(UTC))
        self.store.write(lambda uow: uow.save(backup))
        self.legacy.add(backup, registrant)
        return backup


@pytest.fixture
def app():
    return App()


@pytest.fixture
def file_payload():
    """``file_payload(**changes)``: the manual's HRA000567 file, submitted by the PI's own account."""
    from hgrip_backups.domain.data_file import FileDetails

    def make(**changes):
        values = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
                  "submission_account": PI_EMAIL, "accession": "HRA000567"}
        values.update(changes)
        return FileDetails(**values)
    return make
