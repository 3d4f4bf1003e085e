"""A running BackupsService on a fresh, migrated PostgreSQL database and its own vhost.

Fixtures live here because, under --import-mode=importlib, test modules cannot import helpers.
"""
import json
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection, Producer
from sqlalchemy import create_engine, func, select

from hgrip_kernel.envelope import Envelope, dump_envelope
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
    from hgrip_backups.service import BackupsService

    url = make_database("backups")
    container = start_service(BackupsService, service_config("backups", url))
    running = RunningBackups(url, container, amqp_uri, rpc_proxy)
    yield running
    running.engine.dispose()


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
        return dump_envelope(Envelope(
            event_id=str(uuid.uuid4()), event_type="ProjectCreated", schema_version=1,
            source="projects", stream_type="project", stream_id=f"project-{project_id}",
            stream_version=1, occurred_at=datetime.now(timezone.utc), actor=data["owner_id"],
            correlation_id="req-backups-test", causation_id=None, data=data, position=1))
    return make
