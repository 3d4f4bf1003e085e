"""schemathesis over every operation of the OpenAPI document the gateway serves, as a researcher,
a legal person (institution admin) and an operator: no 5xx, and every status, content type and
body is one the document declares for that operation.

One test per (role, operation), each a Hypothesis run of HGRIP_FUZZ_EXAMPLES generated requests
(default 5: the whole file then takes about two minutes, platform start included; raise it for a
longer hunt, e.g. HGRIP_FUZZ_EXAMPLES=200). Only the generated (fuzzing) phase runs: documented
examples are not sent, so the demo accounts' real passwords are never guessed at, and a random
username cannot be a demo account's. The platform is this module's own (throwaway databases), so
the operations that change things (claims, delegations, replays) may be called freely.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hgrip_gateway.openapi import openapi_path
from hgrip_gateway.routing import routes_of
from hgrip_gateway.service import GatewayService, openapi_document

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("HGRIP_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = {"researcher": "zhangxiaohan", "legal_person": "ngdc-legal", "operator": "operator"}
# Collected from the route declarations; the test then fuzzes the document the running gateway serves.
# The document's own route is not an operation to schemathesis (it loads the schema from it).
OPERATIONS = [(route.method, openapi_path(route.rule)) for route in routes_of(GatewayService)
              if route.name != "openapi"]


@pytest.fixture(scope="module")
def served_schema(platform):
    return schemathesis.openapi.from_url(f"{platform.gateway_url}/api/v1/openapi.json", timeout=30)


@pytest.fixture(scope="module")
def tokens(client_for):
    """A bearer header per role, logged in before any fuzzed login could slow this address down."""
    return {role: client_for(username).session.headers["Authorization"] for role, username in ROLES.items()}


def test_the_served_document_is_the_declared_one(served_schema):
    assert served_schema.raw_schema == openapi_document()
    served = {(operation.ok().method.upper(), operation.ok().path) for operation in served_schema.get_all_operations()}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("role", list(ROLES))
def test_generated_requests_get_documented_answers(platform, served_schema, tokens, role, method, path):
    operation = served_schema[path][method]
    headers = {"Authorization": tokens[role]}

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(base_url=platform.gateway_url, headers=headers, checks=CHECKS, timeout=30)

    fuzz()
