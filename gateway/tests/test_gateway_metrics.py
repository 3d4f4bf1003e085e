"""The gateway counts every answer by route template and status (hgrip_http_requests_total): never the raw
path, one ``unmatched`` label for whatever no route took, ``other`` for unknown methods."""
import pytest
from prometheus_client import REGISTRY
from werkzeug.routing import Map, Rule
from werkzeug.test import Client
from werkzeug.wrappers import Response

from hgrip_gateway.web import GatewayWsgiApp


class FakeProvider:
    def handle_request(self, request):
        return Response("ok")


class FakeContainer:
    service_name = "metered_gateway"


class FakeServer:
    container = FakeContainer()

    def make_url_map(self):
        return Map([Rule("/api/v1/backups/<backup_id>/submit", methods=["POST"], endpoint=FakeProvider())])


@pytest.fixture
def client():
    return Client(GatewayWsgiApp(FakeServer()))


def count(**labels) -> float:
    return REGISTRY.get_sample_value("hgrip_http_requests_total", {"service": "metered_gateway", **labels}) or 0.0


def test_requests_are_counted_by_route_template_and_status(client):
    route = "/api/v1/backups/<backup_id>/submit"
    before = count(method="POST", route=route, status="200")
    timed = REGISTRY.get_sample_value("hgrip_http_request_duration_seconds_count",
                                      {"service": "metered_gateway", "method": "POST", "route": route}) or 0.0
    for backup_id in ("b-1", "b-2", "b-3"):
        assert client.post(f"/api/v1/backups/{backup_id}/submit").status_code == 200
    assert count(method="POST", route=route, status="200") == before + 3
    assert REGISTRY.get_sample_value("hgrip_http_request_duration_seconds_count",
                                     {"service": "metered_gateway", "method": "POST", "route": route}) == timed + 3
    assert count(method="POST", route="/api/v1/backups/b-1/submit", status="200") == 0


def test_unrouted_requests_and_unknown_methods_share_one_label(client):
    not_found = count(method="GET", route="unmatched", status="404")
    other = count(method="other", route="unmatched", status="405")
    assert client.get("/api/v1/anything/12345").status_code == 404
    assert client.get("/api/v1/else/678").status_code == 404
    assert client.open("/api/v1/backups/b-1/submit", method="BREW").status_code == 405
    assert count(method="GET", route="unmatched", status="404") == not_found + 2
    assert count(method="other", route="unmatched", status="405") == other + 1
