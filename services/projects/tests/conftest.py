"""Fixtures of the projects tests (conftest: test helpers cannot be imported under importlib mode)."""
import copy
from datetime import UTC

import pytest

# Shaped exactly like identity.get_account returns an account.
ELIGIBLE_ACCOUNT = {
    "id": "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10",
    "username": "liuxiaohan",
    "name": "刘晓寒",
    "role": "natural_person",
    "mobile": "138****0000",
    "institution": {"code": "12100000400000624D", "name": "中国科学院北京基因组研究所", "foreign": False},
    "unit": {"code": "U-001", "name": "国家生物信息中心"},
    "real_name_verified": True,
    "authorised": True,
    "authorised_at": "2023-06-01T08:00:00+00:00",
    "employed": True,
}


@pytest.fixture
def make_account():
    def make(**changes) -> dict:
        value = copy.deepcopy(ELIGIBLE_ACCOUNT)
        value.update(changes)
        return value
    return make


# --- integration: the real identity, projects and backups services on PostgreSQL + RabbitMQ ----

NGDC = {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False,
        "units": [{"code": "U1", "name": "数据库部"}, {"code": "U2", "name": "数据资源部"}]}
FOREIGN = {"code": "FGL", "name": "Foreign Genomics Ltd", "foreign": True, "units": []}


class ProjectsPlatform:
    """Identity, projects and backups containers sharing one vhost, each with its own database."""

    def __init__(self, urls: dict, containers: dict, rpc_proxy, amqp_uri: str):
        from sqlalchemy import create_engine
        self.urls = urls
        self.containers = containers
        self.amqp_uri = amqp_uri
        self._rpc_proxy = rpc_proxy
        self.engines = {name: create_engine(url) for name, url in urls.items()}
        self._serial = 0

    def rpc(self, **context):
        """``with platform.rpc() as cluster: cluster.projects.health()``."""
        return self._rpc_proxy(**context)

    def provision(self, **changes) -> str:
        """A natural person of NGDC, real-name verified and authorised, unless ``changes`` say not."""
        self._serial += 1
        account = {"username": f"researcher{self._serial}", "name": "刘晓寒", "mobile": "13800000000",
                   "role": "natural_person", "institution": "NGDC", "unit": "U1",
                   "real_name_verified": True, "authorised": True,
                   "authorised_at": "2023-06-27 11:26:27"}
        account.update(changes)
        with self.rpc() as cluster:
            return cluster.identity.upsert_account(account)["account"]["id"]

    def rows(self, service: str, statement):
        with self.engines[service].connect() as connection:
            return connection.execute(statement).all()

    def messages(self, service: str) -> list[dict]:
        """The AMQP messages the service's relay sends for its outbox rows."""
        from hgrip_kernel.outbox_relay import outbox_messages
        with self.engines[service].connect() as connection:
            return outbox_messages(connection)

    def publish(self, envelope_dict: dict) -> None:
        """Publish an event envelope with the relay's own publisher (confirmed, message id = event id)."""
        import json

        from hgrip_kernel.messaging.confirming_publisher import ConfirmingPublisher
        from hgrip_kernel.messaging.topology import CORRELATION_HEADER, EVENTS_EXCHANGE
        publisher = ConfirmingPublisher(self.amqp_uri, EVENTS_EXCHANGE)
        try:
            assert publisher.publish_batch([{
                "routing_key": f"{envelope_dict['source']}.{envelope_dict['event_type']}",
                "body": json.dumps(envelope_dict).encode(),
                "properties": {"content_type": "application/json", "delivery_mode": 2,
                               "message_id": envelope_dict["event_id"],
                               "correlation_id": envelope_dict["correlation_id"],
                               "type": envelope_dict["event_type"],
                               "application_headers": {CORRELATION_HEADER: envelope_dict["correlation_id"]}},
            }]) == [True]
        finally:
            publisher.close()

    def dead_letters(self) -> int:
        from kombu import Connection

        from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE
        with Connection(self.amqp_uri) as connection:
            return connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True).message_count

    def count(self, service: str, table) -> int:
        from sqlalchemy import func, select
        return self.rows(service, select(func.count()).select_from(table))[0][0]

    def dispose(self):
        for engine in self.engines.values():
            engine.dispose()


@pytest.fixture
def platform(make_database, service_config, start_service, rpc_proxy, amqp_uri):
    from hgrip_backups.entrypoints.service import BackupsService
    from hgrip_identity.entrypoints.service import IdentityService
    from hgrip_projects.entrypoints.service import ProjectsService

    urls = {name: make_database(name) for name in ("identity", "projects", "backups")}
    containers = {}
    # Backups first: its queue must be bound before projects publishes anything.
    for name, cls in (("backups", BackupsService), ("identity", IdentityService),
                      ("projects", ProjectsService)):
        containers[name] = start_service(cls, service_config(name, urls[name]))
    running = ProjectsPlatform(urls, containers, rpc_proxy, amqp_uri)
    with running.rpc() as cluster:
        cluster.identity.upsert_institution(NGDC)
        cluster.identity.upsert_institution(FOREIGN)
    yield running
    running.dispose()


@pytest.fixture
def new_project():
    """A valid create_project payload; keyword arguments change fields."""
    def make(**changes) -> dict:
        payload = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒",
                   "pi_email": "liuxh@big.ac.cn", "consent": True}
        payload.update(changes)
        return payload
    return make


@pytest.fixture
def transfer():
    """``transfer(from_owner, to_owner, project_ids, **changes) -> dict``: the data of a valid
    backups.DelegationTransferred (what backups passes to transfer_projects)."""
    import uuid

    def make(from_owner: str, to_owner: str, project_ids, **changes) -> dict:
        data = {"transfer_id": str(uuid.uuid4()), "from_owner_id": from_owner,
                "to_owner_id": to_owner, "to_username": "delegate", "institution_code": "NGDC",
                "to_unit_code": "U2", "project_ids": list(project_ids), "backup_ids": [],
                "transferred_by": str(uuid.uuid4()), "transferred_at": "2023-07-01T02:00:00+00:00"}
        data.update(changes)
        return data
    return make


@pytest.fixture
def transferred():
    """``transferred(data) -> envelope dict`` of backups.DelegationTransferred carrying ``data``."""
    import uuid
    from datetime import datetime

    from hgrip_kernel.envelope import Envelope, dump_envelope

    def make(data: dict, correlation_id: str = "req-transfer-event") -> dict:
        return dump_envelope(Envelope(
            event_id=str(uuid.uuid4()), event_type="DelegationTransferred", schema_version=1,
            source="backups", stream_type="delegation", stream_id=f"delegation-{data['transfer_id']}",
            stream_version=1, occurred_at=datetime.now(UTC), actor=data["transferred_by"],
            correlation_id=correlation_id, causation_id=None, data=data, position=1))
    return make
