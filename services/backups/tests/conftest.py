"""A running BackupsService on a fresh, migrated PostgreSQL database and its own vhost.

Fixtures live here because, under --import-mode=importlib, test modules cannot import helpers.
"""
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Producer
from nameko.dependency_providers import Config
from nameko.rpc import rpc
from sqlalchemy import create_engine, func, select

from hgrip_kernel.envelope import Envelope, dump_envelope
from hgrip_kernel.errors import DomainError, InvalidInput, NotFound, ServiceUnavailable
from hgrip_kernel.masking import mask_email
from hgrip_kernel.messaging.topology import events_exchange


class RunningBackups:
    def __init__(self, url, container, amqp_uri, rpc_proxy):
        self.url = url
        self.container = container
        self.amqp_uri = amqp_uri
        self._rpc_proxy = rpc_proxy
        self.engine = create_engine(url)

    def rpc(self):
        return self._rpc_proxy()

    def publish(self, envelope_dict: dict) -> None:
        """Publish as the outbox relay does: persistent, message id = event id."""
        with Connection(self.amqp_uri) as connection:
            Producer(connection).publish(
                json.dumps(envelope_dict).encode(), exchange=events_exchange,
                routing_key=f"{envelope_dict['source']}.{envelope_dict['event_type']}",
                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                message_id=envelope_dict["event_id"], correlation_id=envelope_dict["correlation_id"],
                headers={"nameko.correlation_id": envelope_dict["correlation_id"]})

    def count(self, table) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def backups(make_database, service_config, start_service, amqp_uri, rpc_proxy):
    from hgrip_backups.entrypoints.service import BackupsService

    url = make_database("backups")
    container = start_service(BackupsService, service_config("backups", url))
    running = RunningBackups(url, container, amqp_uri, rpc_proxy)
    yield running
    running.engine.dispose()


def peer_envelope(source, event_type, stream_type, stream_id, data, version=1, actor=None,
                  event_id=None) -> dict:
    """An envelope dict of a peer's event, as that service's outbox relay would publish it."""
    return dump_envelope(Envelope(
        event_id=event_id or str(uuid.uuid4()), event_type=event_type, schema_version=1,
        source=source, stream_type=stream_type, stream_id=stream_id, stream_version=version,
        occurred_at=datetime.now(UTC), actor=actor, correlation_id=f"req-{source}-test",
        causation_id=None, data=data, position=version))


@pytest.fixture
def project_created():
    """``project_created(**data_changes) -> envelope dict`` of a valid projects.ProjectCreated."""
    def make(**changes) -> dict:
        project_id = str(uuid.uuid4())
        data = {"project_id": project_id, "name": "WGS trio", "pi_name": "刘晓寒",
                "pi_email": "liuxh@big.ac.cn", "institution_code": "NGDC",
                "institution_name": "国家基因组科学数据中心", "unit_code": "U1", "unit_name": "数据库部",
                "owner_id": "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10", "owner_username": "liuxh",
                "created_at": "2023-06-28T02:30:00+00:00"}
        data.update(changes)
        return peer_envelope("projects", "ProjectCreated", "project", f"project-{project_id}", data,
                             actor=data["owner_id"])
    return make


# --- domain: plain data shaped like the peers' answers -----------------------------------------

OWNER_ID = "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10"
PI_EMAIL = "data-admin@big.ac.cn"

# Shaped exactly like projects.get_project returns a project (the manual's example project).
PROJECT = {
    "id": "7d1e0c3a-9b2f-4e5d-8c6b-1a2b3c4d5e6f", "name": "三例样本（父母子）的测序数据开放共享备案",
    "pi_name": "刘晓寒", "pi_email": PI_EMAIL,
    "institution": {"code": "NGDC", "name": "国家基因组科学数据中心"},
    "unit": {"code": "U1", "name": "数据库部"}, "owner_id": OWNER_ID,
    "created_at": "2023-06-28T02:30:00+00:00",
}


class ConfirmedAll:
    """Stands for a repository that confirms every dataset (domain tests of other rules)."""

    def __contains__(self, dataset) -> bool:
        return True


@pytest.fixture
def domain():
    """Builders for domain tests: ``domain.backup(categories=...)``, ``domain.details(...)``."""
    from hgrip_backups.domain import Backup, FileDetails

    class Builders:
        project = PROJECT
        now = datetime(2023, 6, 28, 8, 0, tzinfo=UTC)
        confirmed = ConfirmedAll()

        def backup(self, categories=("targeted",), name="三例样本（父母子）的测序数据对外提供",
                   **project_changes):
            project = {**PROJECT, **project_changes}
            return Backup.create(str(uuid.uuid4()), project, name, list(categories), self.now)

        @staticmethod
        def details(**changes):
            values = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
                      "submission_account": PI_EMAIL, "accession": "HRA000567"}
            values.update(changes)
            return FileDetails(**values)

        def add(self, backup, **changes):
            return backup.add_file(str(uuid.uuid4()), self.details(**changes), self.now, self.confirmed)

    return Builders()


# --- integration: real identity + projects + backups, a test-only verification peer ------------

# What the fake repository knows: (repository, accession) -> the account that submitted it.
DATASETS = {
    ("GSA-Human", "HRA000567"): PI_EMAIL,
    ("GSA-Human", "HRA000568"): PI_EMAIL,
    ("GSA-Human", "HRA000569"): "wangwu@big.ac.cn",
    ("OMIX", "OMIX001226"): "zhangxx@big.ac.cn",
    ("OMIX", "OMIX001227"): "zhangxx@big.ac.cn",
    ("OMIX", "OMIX001228"): PI_EMAIL,
    ("OMIX", "OMIX001229"): "zhangxx@big.ac.cn",
    ("GVM", "GVM000404"): "gvm-submitter@big.ac.cn",
}
UNREACHABLE = ("OMIX", "OMIX999999")  # check_dataset answers repository_unavailable
THE_CODE = "320000"                        # the code in the manual's example mail
NGDC = {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False,
        "units": [{"code": "U1", "name": "数据库部"}]}


class FakeVerification:
    """A test-only ``verification`` peer: the contract's answers and refusals, state in memory.

    It is a peer of backups (reached over RabbitMQ like the real one), not a stand-in for our own
    database or broker. With ``publish`` on, verify_code also publishes verification.DatasetVerified
    as the real service does through its outbox.
    """
    name = "verification"
    checks: list = []
    sent: list = []
    codes: dict = {}
    publish = False

    config = Config()

    @classmethod
    def reset(cls):
        cls.checks, cls.sent, cls.codes, cls.publish = [], [], {}, False

    @rpc(expected_exceptions=DomainError)
    def check_dataset(self, repository, accession, submission_account):
        type(self).checks.append((repository, accession, submission_account))
        if (repository, accession) == UNREACHABLE:
            raise ServiceUnavailable("repository_unavailable", "The repository cannot be reached now.",
                                     "数据库暂时无法访问。", {"repository": repository})
        submitter = DATASETS.get((repository, accession))
        if submitter is None or submitter.casefold() != submission_account.casefold():
            raise InvalidInput("dataset_account_mismatch",
                               "The submission account and the dataset accession do not match.",
                               "提交账号与数据集序列号不匹配")
        return {"repository": repository, "accession": accession, "submitter_matches": True}

    @rpc(expected_exceptions=DomainError)
    def send_code(self, request):
        now = datetime.now(UTC)
        type(self).sent.append(dict(request))
        type(self).codes[request["file_id"]] = {"code": THE_CODE, **request}
        return {"sent_to": mask_email(request["submission_account"]),
                "expires_at": (now + timedelta(hours=48)).isoformat(),
                "resend_available_at": (now + timedelta(minutes=5)).isoformat()}

    @rpc(expected_exceptions=DomainError)
    def verify_code(self, file_id, code):
        sent = type(self).codes.get(file_id)
        if sent is None:
            raise NotFound("verification_code_not_requested", "No code was requested for this file.",
                           "尚未为该文件发送验证码。")
        if code != sent["code"]:
            raise InvalidInput("verification_code_invalid", "The verification code is wrong.",
                               "验证码错误。", {"attempts_left": 4})
        verified = {"verified": True, "file_id": file_id, "accession": sent["accession"],
                    "repository": sent["repository"],
                    "verified_at": datetime.now(UTC).isoformat()}
        if type(self).publish:
            publish_event(self.config["AMQP_URI"], dataset_verified_envelope(
                sent["backup_id"], file_id, sent["repository"], sent["accession"]))
        return verified


def dataset_verified_envelope(backup_id, file_id, repository, accession, actor=None) -> dict:
    """A verification.DatasetVerified envelope as the real service's outbox would publish it."""
    return peer_envelope("verification", "DatasetVerified", "verification", f"verification-{file_id}",
                         {"file_id": file_id, "backup_id": backup_id, "repository": repository,
                          "accession": accession, "verified_at": datetime.now(UTC).isoformat()},
                         actor=actor)


def publish_event(amqp_uri: str, envelope_dict: dict) -> None:
    """Publish as the outbox relay does: persistent, message id = event id."""
    with Connection(amqp_uri) as connection:
        Producer(connection).publish(
            json.dumps(envelope_dict).encode(), exchange=events_exchange,
            routing_key=f"{envelope_dict['source']}.{envelope_dict['event_type']}",
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=envelope_dict["event_id"], correlation_id=envelope_dict["correlation_id"],
            headers={"nameko.correlation_id": envelope_dict["correlation_id"]})


class Lifecycle:
    """identity, projects, the fake verification and N backups containers on one vhost."""

    def __init__(self, urls, containers, rpc_proxy, amqp_uri):
        self.urls = urls
        self.containers = containers
        self.amqp_uri = amqp_uri
        self._rpc_proxy = rpc_proxy
        self.engine = create_engine(urls["backups"])
        self.verification = FakeVerification
        self._serial = 0

    def rpc(self, timeout: float = 30, **context):
        return self._rpc_proxy(timeout=timeout, **context)

    def provision(self, name="张晓寒", **changes) -> str:
        """A natural person of NGDC, real-name verified and authorised; returns the account id."""
        self._serial += 1
        account = {"username": f"researcher{self._serial}-{uuid.uuid4().hex[:6]}", "name": name,
                   "mobile": "13800000000", "role": "natural_person", "institution": "NGDC",
                   "unit": "U1", "real_name_verified": True, "authorised": True,
                   "authorised_at": "2023-06-27 11:26:27"}
        account.update(changes)
        with self.rpc() as cluster:
            return cluster.identity.upsert_account(account)["account"]["id"]

    def project(self, owner, **changes) -> dict:
        payload = {"name": f"三例样本（父母子）的测序数据开放共享备案 {uuid.uuid4().hex[:6]}",
                   "pi_name": "刘晓寒", "pi_email": PI_EMAIL, "consent": True}
        payload.update(changes)
        with self.rpc() as cluster:
            return cluster.projects.create_project(owner, payload)

    def publish(self, envelope_dict):
        publish_event(self.amqp_uri, envelope_dict)

    def rows(self, statement):
        with self.engine.connect() as connection:
            return connection.execute(statement).all()

    def events(self, stream_id=None, event_type=None):
        from hgrip_kernel.store.tables import events
        query = select(events).order_by(events.c.position)
        if stream_id:
            query = query.where(events.c.stream_id == stream_id)
        if event_type:
            query = query.where(events.c.event_type == event_type)
        return self.rows(query)

    def count(self, table) -> int:
        return self.rows(select(func.count()).select_from(table))[0][0]


@pytest.fixture
def make_lifecycle(make_database, service_config, start_service, rpc_proxy, amqp_uri):
    """``make_lifecycle(backups_instances=1, backups_url=None) -> Lifecycle``."""
    from hgrip_backups.entrypoints.service import BackupsService
    from hgrip_identity.entrypoints.service import IdentityService
    from hgrip_projects.entrypoints.service import ProjectsService

    made = []

    def make(backups_instances: int = 1, backups_url: str | None = None) -> Lifecycle:
        FakeVerification.reset()
        urls = {"backups": backups_url or make_database("backups"),
                "identity": make_database("identity"), "projects": make_database("projects")}
        containers = {"backups": [start_service(BackupsService, service_config("backups", urls["backups"]))
                                  for _ in range(backups_instances)]}
        containers["identity"] = start_service(IdentityService, service_config("identity", urls["identity"]))
        containers["projects"] = start_service(ProjectsService, service_config("projects", urls["projects"]))
        containers["verification"] = start_service(FakeVerification, service_config("verification"))
        running = Lifecycle(urls, containers, rpc_proxy, amqp_uri)
        with running.rpc() as cluster:
            cluster.identity.upsert_institution(NGDC)
        made.append(running)
        return running

    yield make
    for running in made:
        running.engine.dispose()
    FakeVerification.reset()


@pytest.fixture
def lifecycle(make_lifecycle):
    return make_lifecycle()


@pytest.fixture
def manual_backup(lifecycle):
    """The manual's researcher, project (PI 刘晓寒, data-admin@big.ac.cn) and an empty backup
    under ["targeted"]: ``(owner_id, project, backup)``."""
    owner = lifecycle.provision()
    project = lifecycle.project(owner)
    with lifecycle.rpc() as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {
            "name": "三例样本（父母子）的测序数据对外提供", "categories": ["targeted"]})
    return owner, project, backup


def hra000567() -> dict:
    return {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
            "submission_account": PI_EMAIL, "accession": "HRA000567"}


def omix001226() -> dict:
    return {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
            "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}


@pytest.fixture
def files():
    """The manual's two files as add_file payloads: ``files.hra()``, ``files.omix()``."""
    class Files:
        hra = staticmethod(hra000567)
        omix = staticmethod(omix001226)
    return Files()


@pytest.fixture
def dataset_verified():
    """``dataset_verified(backup_id, file_id, repository, accession, actor=None) -> envelope dict``."""
    return dataset_verified_envelope


# --- legacy backups (import, auto-attach, claims): identity + backups + verification with SMS ----

LEGACY_PASSWORD = "Demo-2026!"
LEGACY_SMS_CODE = "482915"
LEGACY_NGDC = {"code": "INST-NGDC", "name": "国家基因组科学数据中心（测试）", "foreign": False,
               "units": [{"code": "U-BIO", "name": "生物信息研究部"}, {"code": "U-DATA", "name": "数据资源部"}]}
LEGACY_ECMG = {"code": "INST-ECMG", "name": "华东医学遗传研究院", "foreign": False,
               "units": [{"code": "U-ONC", "name": "肿瘤遗传学研究室"}]}


class FakeSmsVerification(FakeVerification):
    """The test-only ``verification`` peer with the SMS code RPCs of its contract: codes per
    (purpose, subject), consumed once verified; ``refuse_send`` makes the next sends fail with it."""
    sms_sent: list = []
    sms_codes: dict = {}
    refuse_send = None

    @classmethod
    def reset(cls):
        super().reset()
        cls.sms_sent, cls.sms_codes, cls.refuse_send = [], {}, None

    @rpc(expected_exceptions=DomainError)
    def send_sms_code(self, request):
        cls = type(self)
        if cls.refuse_send is not None:
            raise cls.refuse_send
        assert set(request) == {"purpose", "subject", "mobile", "requester_name"}, request
        assert len(request["subject"]) <= 128
        now = datetime.now(UTC)
        cls.sms_sent.append(dict(request))
        cls.sms_codes[(request["purpose"], request["subject"])] = LEGACY_SMS_CODE
        return {"sent_to": request["mobile"][:3] + "****" + request["mobile"][-4:],
                "expires_at": (now + timedelta(minutes=10)).isoformat(),
                "resend_available_at": (now + timedelta(minutes=1)).isoformat()}

    @rpc(expected_exceptions=DomainError)
    def verify_sms_code(self, purpose, subject, code):
        from hgrip_kernel.errors import Conflict
        cls = type(self)
        expected = cls.sms_codes.get((purpose, subject))
        if expected is None:
            raise NotFound("sms_code_not_requested", "No SMS code was requested.", "尚未获取短信验证码。")
        if expected == "used":
            raise Conflict("sms_code_used", "This SMS code was used already.", "该短信验证码已使用。")
        if code != expected:
            raise InvalidInput("sms_code_invalid", "The SMS code is wrong.", "短信验证码错误。",
                               {"remaining_attempts": 4})
        cls.sms_codes[(purpose, subject)] = "used"
        return {"verified": True, "purpose": purpose, "subject": subject,
                "verified_at": datetime.now(UTC).isoformat()}


class LegacyPlatform(Lifecycle):
    """identity, backups and the SMS-capable fake verification on one vhost (``legacy`` fixture);
    no projects service: legacy backups have no project here."""

    def __init__(self, url, containers, rpc_proxy, amqp_uri, tmp_path):
        super().__init__({"backups": url}, containers, rpc_proxy, amqp_uri)
        self.url = url
        self.secret = containers["backups"][0].config["MOBILE_HASH_SECRET"]
        self.verification = FakeSmsVerification
        self._tmp_path = tmp_path

    def account(self, username, name, mobile, role="natural_person", institution=LEGACY_NGDC,
                unit="U-BIO", **changes) -> str:
        """Provision (or change) an account with the demo password; returns its id once backups
        knows the member (its identity events applied)."""
        account = {"username": username, "password": LEGACY_PASSWORD, "name": name, "mobile": mobile,
                   "role": role, "institution": institution["code"] if institution else None,
                   "unit": unit if role != "legal_person" else None, "real_name_verified": True,
                   "authorised": role == "natural_person", "employed": True}
        account.update(changes)
        with self.rpc() as cluster:
            account_id = cluster.identity.upsert_account(account)["account"]["id"]
        from hgrip_backups.adapters import members
        from hgrip_kernel.testing.fixtures import wait_until

        def known():
            with self.engine.connect() as connection:
                row = members.get_member(connection, account_id)
            return row is not None and row["employed"] == account["employed"] \
                and (account["institution"] is None or row["institution_name"] is not None)
        wait_until(known, message=f"backups knows member {username}")
        return account_id

    def login(self, username) -> dict:
        with self.rpc() as cluster:
            return cluster.identity.login(username, LEGACY_PASSWORD)

    def write_export(self, registrants, name="export.json") -> str:
        path = self._tmp_path / name
        path.write_text(json.dumps({"registrants": registrants}, ensure_ascii=False), encoding="utf-8")
        return str(path)

    def import_file(self, path, fmt=None, progress=False, out=None):
        from hgrip_backups.entrypoints.legacy_import import import_legacy_file
        return import_legacy_file(self.engine, path, fmt, self.secret, progress=progress, out=out)

    def import_registrants(self, registrants):
        report = self.import_file(self.write_export(registrants, f"export-{uuid.uuid4().hex[:6]}.json"))
        assert report.ok, [str(p) for p in report.problems]
        return report

    def legacy_rows(self) -> dict:
        from hgrip_backups.adapters.tables import legacy_backups
        with self.engine.connect() as connection:
            return {row["backup_number"]: dict(row)
                    for row in connection.execute(select(legacy_backups)).mappings()}


def legacy_registrant(name="张晓寒", mobile="13912345678", institution="国家基因组科学数据中心（测试）",
                      numbers=("BF2021031500012",), files=True) -> dict:
    """One registrant of the old platform's export (JSON shape) with a backup per number."""
    backups = []
    for index, number in enumerate(numbers):
        backups.append({
            "backup_number": number, "name": f"遗传性耳聋家系外显子组测序数据备份 {index + 1}",
            "project_name": "汉族遗传性耳聋家系全外显子组测序研究", "pi_name": "刘晓寒",
            "pi_email": "liuxh@big.ac.cn", "submitted_at": "2021-03-15 10:24:37", "categories": ["wes"],
            "files": [{"detailed_type": "raw_sequencing", "accession": f"HRA00{index:04d}",
                       "cases": 120, "mb_per_case": 8500},
                      {"detailed_type": "基因组变异数据", "accession": f"GVM00{index:04d}",
                       "cases": 120, "mb_per_case": 12.5}] if files else []})
    return {"name": name, "mobile": mobile, "institution": institution, "backups": backups}


@pytest.fixture
def make_legacy(make_database, service_config, start_service, rpc_proxy, tmp_path, amqp_uri):
    """``make_legacy(backups_instances=1, **backups_config) -> LegacyPlatform``: identity, backups
    (``legacy.containers["backups"]``) and FakeSmsVerification, with LEGACY_NGDC and LEGACY_ECMG."""
    from hgrip_backups.entrypoints.service import BackupsService
    from hgrip_identity.entrypoints.service import IdentityService

    made = []

    def make(backups_instances: int = 1, **backups_config) -> LegacyPlatform:
        FakeSmsVerification.reset()
        url = make_database("backups")
        containers = {
            "backups": [start_service(BackupsService, service_config("backups", url, **backups_config))
                        for _ in range(backups_instances)],
            "identity": start_service(IdentityService, service_config("identity", make_database("identity"))),
            "verification": start_service(FakeSmsVerification, service_config("verification"))}
        platform = LegacyPlatform(url, containers, rpc_proxy, amqp_uri, tmp_path)
        with platform.rpc() as cluster:
            cluster.identity.upsert_institution(LEGACY_NGDC)
            cluster.identity.upsert_institution(LEGACY_ECMG)
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.engine.dispose()
    FakeSmsVerification.reset()


@pytest.fixture
def legacy(make_legacy):
    return make_legacy()


@pytest.fixture
def legacy_export():
    """``legacy_export(name=…, mobile=…, institution=…, numbers=(…), files=True) -> registrant dict``."""
    return legacy_registrant


# --- identity's events as backups receives them (members read model, institution views) ---------

class IdentityEvents:
    """Envelope dicts of identity.AccountProvisioned/AccountUpdated and InstitutionRegistered/
    InstitutionUpdated, valid under their contracts; ``version`` is the identity stream version."""

    @staticmethod
    def _envelope(event_type, stream_type, stream_id, version, data, event_id=None) -> dict:
        return peer_envelope("identity", event_type, stream_type, stream_id, data, version=version,
                             event_id=event_id)

    def account(self, version: int = 1, event_id: str | None = None, **changes) -> dict:
        data = {"account_id": str(uuid.uuid4()), "username": f"member-{uuid.uuid4().hex[:8]}",
                "name": "张晓寒", "mobile": "13800138000", "role": "natural_person",
                "institution": "NGDC", "unit": "U1", "real_name_verified": True, "authorised": True,
                "authorised_at": "2023-06-27T03:26:27+00:00", "employed": True}
        data.update(changes)
        event_type = "AccountProvisioned"
        if version > 1:
            event_type = "AccountUpdated"
            data.setdefault("changed", ["name"])
        return self._envelope(event_type, "account", f"account-{data['account_id']}", version, data,
                              event_id)

    def institution(self, version: int = 1, event_id: str | None = None, **changes) -> dict:
        data = {"code": "NGDC", "name": "国家基因组科学数据中心测试", "foreign": False,
                "units": [{"code": "U1", "name": "生物信息研究部"}, {"code": "U2", "name": "数据资源部"}]}
        data.update(changes)
        event_type = "InstitutionRegistered"
        if version > 1:
            event_type = "InstitutionUpdated"
            data.setdefault("changed", ["units"])
        return self._envelope(event_type, "institution", f"institution-{data['code']}", version, data,
                              event_id)


@pytest.fixture
def identity_events():
    """``identity_events.account(version=1, **data)`` / ``.institution(version=1, **data)``."""
    return IdentityEvents()
