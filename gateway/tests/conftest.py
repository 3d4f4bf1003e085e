"""Fixtures of the gateway tests (conftest: helpers cannot be imported under importlib mode).

The broker and database fixtures (amqp_uri, service_config, start_service, make_database) come
from the kernel's pytest plugin; nameko's ``web_session`` is broken on werkzeug 3, so the HTTP
client here is plain ``requests`` against the port the gateway really bound.
"""
import json

import jwt
import pytest
import requests
from nameko.rpc import rpc
from nameko.web.server import WebServer

from hgrip_kernel.signing import signed_headers


class ApiClient:
    """``requests`` bound to one running gateway; ``hgrg_put`` signs like HGRG does."""

    def __init__(self, base_url: str, secret: str):
        self.base_url = base_url
        self.secret = secret
        self.session = requests.Session()
        self.token = None

    def request(self, method, path, *, token=None, headers=None, **kwargs):
        headers = dict(headers or {})
        token = token if token is not None else self.token
        if token:
            headers.setdefault("Authorization", f"Bearer {token}")
        return self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def hgrg_put(self, path, payload, *, secret=None, headers=None):
        body = json.dumps(payload).encode()
        signed = signed_headers(secret or self.secret, "PUT", path, body)
        return self.request("PUT", path, data=body, token="",
                            headers={"Content-Type": "application/json", **signed, **(headers or {})})

    def login(self, username, password):
        response = self.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return response

    def close(self):
        self.session.close()


def bound_port(container) -> int:
    """The port the gateway's web server bound (the tests configure port 0: no races)."""
    for extension in container.subextensions:
        if isinstance(extension, WebServer):
            return extension._sock.getsockname()[1]
    raise AssertionError("the container has no web server")


@pytest.fixture
def start_gateway(start_service, service_config):
    """``start_gateway(**config) -> ApiClient`` for a GatewayService running in this process."""
    from hgrip_gateway.service import GatewayService

    clients = []

    def start(**extra):
        config = service_config("gateway", **extra)
        container = start_service(GatewayService, config)
        client = ApiClient(f"http://127.0.0.1:{bound_port(container)}", config["HGRG_SHARED_SECRET"])
        client.container = container
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()


def _health_stub(service_name: str):
    """A stand-in nameko service that only answers health(), for services not under test."""

    class HealthStub:
        name = service_name

        @rpc
        def health(self):
            return {"service": service_name, "ok": True, "database": "ok"}

    HealthStub.__name__ = f"HealthStub_{service_name}"
    return HealthStub


@pytest.fixture
def health_stub():
    """``health_stub(name) -> service class`` answering only health()."""
    return _health_stub


# TOKEN_SECRET of the kernel's service_config fixture: the gateway checks tokens' signatures itself.
FAKE_TOKEN_SECRET = "test-token-secret-of-at-least-32-bytes"


def _signed_token(account_id: str) -> str:
    return jwt.encode({"sub": account_id, "iat": 0, "exp": 2**32, "jti": "good"}, FAKE_TOKEN_SECRET, algorithm="HS256")


def _fake_identity(account: dict):
    """A stand-in identity: password "right" logs in (user "left" has left), any token signed with
    FAKE_TOKEN_SECRET is ``account``."""
    from hgrip_kernel.errors import Unauthorized

    class FakeIdentity:
        name = "identity"

        @rpc
        def login(self, username, password):
            if username == "left":
                raise Unauthorized("account_inactive", "This account has left.", "该账号已离开所属单位。")
            if password != "right":
                raise Unauthorized("invalid_credentials", "Wrong username or password.", "用户名或密码错误。")
            return {"access_token": _signed_token(account["id"]), "token_type": "bearer", "expires_in": 3600,
                    "account": account}

        @rpc
        def authenticate(self, token):
            try:
                jwt.decode(token, FAKE_TOKEN_SECRET, algorithms=["HS256"])
            except jwt.PyJWTError:
                raise Unauthorized("invalid_token", "bad token", "令牌无效") from None
            return account

    return FakeIdentity


@pytest.fixture
def token_for():
    """``token_for(account_id) -> token`` signed as identity signs them (with FAKE_TOKEN_SECRET)."""
    return _signed_token


@pytest.fixture
def fake_identity():
    """``fake_identity(account) -> service class`` for the gateway's login and token checks."""
    return _fake_identity
