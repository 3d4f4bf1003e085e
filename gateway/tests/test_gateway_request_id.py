"""X-Request-Id: a caller's sane token is kept, anything else is replaced, every response has one."""
import uuid

import pytest
from werkzeug.routing import Map, Rule
from werkzeug.test import Client

from hgrip_gateway.web import GatewayWsgiApp


class FakeProvider:
    """Stands in for a nameko entrypoint: answers with the id the worker would have seen."""

    def handle_request(self, request):
        from werkzeug.wrappers import Response
        return Response(request.headers.get("X-Request-Id", ""), headers={"X-Request-Id": "set-by-handler"})


class FakeServer:
    def make_url_map(self):
        return Map([Rule("/seen", methods=["GET"], endpoint=FakeProvider())])


@pytest.fixture
def client():
    return Client(GatewayWsgiApp(FakeServer()))


def is_uuid4(value):
    try:
        return uuid.UUID(value).version == 4
    except ValueError:
        return False


@pytest.mark.parametrize("incoming", ["abc", "A-b_9", "x" * 64, str(uuid.uuid4())])
def test_a_sane_id_is_kept(client, incoming):
    response = client.get("/nowhere", headers={"X-Request-Id": incoming})
    assert response.status_code == 404
    assert response.headers["X-Request-Id"] == incoming


@pytest.mark.parametrize("incoming", ["", "x" * 65, "has space", "a;b", "a/b", "id\u00e9", "<script>"])
def test_anything_else_is_replaced_by_a_uuid4(client, incoming):
    response = client.get("/nowhere", headers={"X-Request-Id": incoming})
    assert is_uuid4(response.headers["X-Request-Id"])


def test_a_missing_id_is_made_up(client):
    first = client.get("/nowhere").headers["X-Request-Id"]
    second = client.get("/nowhere").headers["X-Request-Id"]
    assert is_uuid4(first) and is_uuid4(second) and first != second


def test_the_handler_sees_the_sanitised_id(client):
    # The kernel's RequestContext reads the header from the request: it must get the clean value.
    response = client.get("/seen", headers={"X-Request-Id": "bad id!"})
    assert is_uuid4(response.get_data(as_text=True))
    # The route wrapper sets the header from ctx.correlation_id; the WSGI app does not overwrite it.
    assert response.headers["X-Request-Id"] == "set-by-handler"


def test_routing_errors_are_json(client):
    response = client.post("/seen")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    assert response.json["error"]["code"] == "method_not_allowed"
    assert response.json["error"]["message_zh"]
