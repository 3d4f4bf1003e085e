"""Where the test servers are: a container when a Docker engine answers, else the local services."""
import os
import shutil
import subprocess


def docker_available() -> bool:
    if os.environ.get("HGRIP_TEST_NO_DOCKER") or not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


class PostgresServer:
    """Yields an admin URL (database ``postgres``) of a real PostgreSQL server."""

    def __init__(self):
        self._container = None

    def start(self) -> str:
        explicit = os.environ.get("HGRIP_TEST_PG_URL")
        if explicit:
            return explicit
        if docker_available():
            from testcontainers.postgres import PostgresContainer
            self._container = PostgresContainer("postgres:15", dbname="postgres")
            self._container.start()
            return self._container.get_connection_url().replace("postgresql://", "postgresql+psycopg2://")
        return "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"

    def stop(self):
        if self._container is not None:
            self._container.stop()


class RabbitServer:
    """Yields (amqp uri, management uri) of a real RabbitMQ with the management plugin."""

    def __init__(self):
        self._container = None

    def start(self) -> tuple[str, str]:
        explicit = os.environ.get("HGRIP_TEST_AMQP_URI")
        if explicit:
            return explicit, os.environ.get("HGRIP_TEST_RABBIT_CTL_URI", "http://guest:guest@127.0.0.1:15672")
        if docker_available():
            from testcontainers.rabbitmq import RabbitMqContainer
            self._container = RabbitMqContainer("rabbitmq:3-management")
            self._container.with_exposed_ports(5672, 15672)
            self._container.start()
            host = self._container.get_container_host_ip()
            amqp_port = self._container.get_exposed_port(5672)
            mgmt_port = self._container.get_exposed_port(15672)
            return f"pyamqp://guest:guest@{host}:{amqp_port}", f"http://guest:guest@{host}:{mgmt_port}"
        return "pyamqp://guest:guest@127.0.0.1:5672", "http://guest:guest@127.0.0.1:15672"

    def stop(self):
        if self._container is not None:
            self._container.stop()
