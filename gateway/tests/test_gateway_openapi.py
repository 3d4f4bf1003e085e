"""The OpenAPI document: built from the route declarations and the schemas that validate requests."""
import json

import pytest

from hgrip_gateway import schemas
from hgrip_gateway.openapi import build_openapi, openapi_path
from hgrip_gateway.routing import BEARER, HGRG, routes_of
from hgrip_gateway.service import GatewayService

EXPECTED = {
    ("post", "/api/v1/auth/login"), ("get", "/api/v1/me"),
    ("get", "/api/v1/auth/session"), ("post", "/api/v1/auth/session"), ("delete", "/api/v1/auth/session"),
    ("post", "/api/v1/projects"), ("get", "/api/v1/projects"), ("get", "/api/v1/projects/{project_id}"),
    ("get", "/api/v1/healthz"), ("get", "/api/v1/openapi.json"),
    ("put", "/api/v1/hgrg/institutions/{code}"), ("put", "/api/v1/hgrg/accounts/{username}"),
    ("post", "/api/v1/hgrg/filings"),
    # the backup lifecycle (docs/backup-lifecycle.md, "Gateway routes")
    ("post", "/api/v1/projects/{project_id}/backups"), ("get", "/api/v1/projects/{project_id}/backups"),
    ("get", "/api/v1/backups/{backup_id}"), ("patch", "/api/v1/backups/{backup_id}"),
    ("post", "/api/v1/backups/{backup_id}/files"),
    ("get", "/api/v1/backups/{backup_id}/files/{file_id}"),
    ("patch", "/api/v1/backups/{backup_id}/files/{file_id}"), ("delete", "/api/v1/backups/{backup_id}/files/{file_id}"),
    ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verification-code"),
    ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verify"),
    ("post", "/api/v1/backups/{backup_id}/submit"), ("get", "/api/v1/backups/{backup_id}/history"),
    ("get", "/api/v1/backups/{backup_id}/sync"), ("get", "/api/v1/taxonomy"),
    # institutions, delegation and claims (docs/institution-views.md, docs/legacy-import.md)
    ("get", "/api/v1/institution/backups"), ("get", "/api/v1/institution/backups/{backup_id}"),
    ("get", "/api/v1/institution/backups/export"), ("get", "/api/v1/institution/backups/{backup_id}/history"),
    # the operator's console
    ("get", "/api/v1/operator/backups/{backup_number}"), ("get", "/api/v1/operator/sync"),
    ("get", "/api/v1/operator/dead-letters"), ("get", "/api/v1/operator/dead-letters/{message_id}"),
    ("post", "/api/v1/operator/dead-letters/{message_id}/replay"), ("post", "/api/v1/operator/dead-letters/replay"),
    ("get", "/api/v1/operator/actions"),
    ("get", "/api/v1/institution/members"), ("get", "/api/v1/institution/delegates"),
    ("post", "/api/v1/institution/delegations"), ("post", "/api/v1/institution/claims"),
    ("post", "/api/v1/claims/sms-code"), ("post", "/api/v1/claims"),
}
# Query parameters of the institution lists, as documented.
QUERY_PARAMETERS = {
    "/api/v1/institution/backups": {"status", "unit", "name", "pi", "delegate", "backup_number",
                                    "filing_number", "page", "page_size", "sort"},
    "/api/v1/institution/backups/export": {"format", "status", "unit", "name", "pi", "delegate", "backup_number",
                                           "filing_number", "sort"},
    "/api/v1/institution/members": {"name", "unit", "role", "page", "page_size"},
    "/api/v1/institution/delegates": {"name", "unit", "employed", "page", "page_size"},
}
# (method, path) -> (request schema or None, success status, response schema) of the backup routes.
BACKUP_ROUTES = {
    ("post", "/api/v1/projects/{project_id}/backups"): ("BackupCreateRequest", "201", "Backup"),
    ("get", "/api/v1/projects/{project_id}/backups"): (None, "200", "BackupList"),
    ("get", "/api/v1/backups/{backup_id}"): (None, "200", "Backup"),
    ("patch", "/api/v1/backups/{backup_id}"): ("BackupUpdateRequest", "200", "Backup"),
    ("post", "/api/v1/backups/{backup_id}/files"): ("FileAddRequest", "201", "DataFile"),
    ("get", "/api/v1/backups/{backup_id}/files/{file_id}"): (None, "200", "DataFile"),
    ("patch", "/api/v1/backups/{backup_id}/files/{file_id}"): ("FileUpdateRequest", "200", "DataFile"),
    ("delete", "/api/v1/backups/{backup_id}/files/{file_id}"): (None, "200", "FileDeleted"),
    ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verification-code"):
        (None, "202", "VerificationCodeSent"),
    ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verify"): ("VerifyRequest", "200", "DataFile"),
    ("post", "/api/v1/backups/{backup_id}/submit"): (None, "200", "Backup"),
    ("get", "/api/v1/backups/{backup_id}/history"): (None, "200", "History"),
    ("get", "/api/v1/backups/{backup_id}/sync"): (None, "200", "SyncState"),
    ("get", "/api/v1/taxonomy"): (None, "200", "Taxonomy"),
}
# Field names exactly as docs/backup-lifecycle.md states them.
CONTRACT_FIELDS = {
    "Backup": {"id", "project_id", "project_name", "name", "categories", "status", "backup_number",
               "filing_numbers", "file_count", "total_mb", "created_at", "submitted_at", "files", "filings"},
    "DataFile": {"id", "detailed_type", "repository", "cases", "mb_per_case", "submission_account", "accession",
                 "progress", "created_at", "updated_at"},
    "HistoryEntry": {"at", "event_type", "summary_zh", "summary_en", "actor_id", "actor_name", "correlation_id",
                     "details"},
    "SyncState": {"backup_number", "state", "attempts", "last_error", "synced_at", "next_attempt_at"},
    "VerificationCodeSent": {"sent_to", "expires_at", "resend_available_at"},
    "Taxonomy": {"categories", "detailed_types", "repositories"},
    "TaxonomyCategory": {"code", "label_zh", "label_en", "detailed_types"},
    "TaxonomyDetailedType": {"code", "label_zh", "label_en", "repository"},
    "TaxonomyRepository": {"code", "name", "accession_pattern", "accession_example", "url"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def routes():
    return routes_of(GatewayService)


@pytest.fixture(scope="module")
def document(routes):
    # Round-trip through JSON: what clients get, and proof that it serialises.
    return json.loads(json.dumps(build_openapi(routes)))


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def resolve(document, ref):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


def test_it_is_openapi_3_0_3(document):
    assert document["openapi"] == "3.0.3"
    assert document["info"]["title"] and document["info"]["version"]


def test_every_route_is_documented_and_every_operation_is_a_route(document, routes):
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == EXPECTED
    assert documented == {(route.method.lower(), openapi_path(route.rule)) for route in routes}
    assert len({operation["operationId"] for _, _, operation in operations(document)}) == len(EXPECTED)


def test_every_ref_resolves(document):
    refs = set(all_refs(document))
    assert refs
    for ref in refs:
        resolve(document, ref)


def test_request_bodies_are_the_validating_schemas(document, routes):
    by_name = {route.name: route for route in routes}
    for _, _, operation in operations(document):
        route = by_name[operation["operationId"]]
        if route.body is None:
            assert "requestBody" not in operation
            continue
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = resolve(document, ref)
        assert ref.endswith("/" + route.body.__name__)
        assert set(component["properties"]) == set(route.body().fields)
        assert component["additionalProperties"] is False  # unknown fields are refused


def test_login_password_is_write_only(document):
    assert document["components"]["schemas"]["LoginRequest"]["properties"]["password"]["writeOnly"] is True


def test_security_schemes_and_requirements(document, routes):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer",
                                 "description": schemes["bearer"]["description"]}
    assert schemes["sessionCookie"]["in"] == "cookie" and schemes["sessionCookie"]["name"] == "hgrip_session"
    assert schemes["hgrgSignature"]["name"] == "X-HGRG-Signature"
    assert schemes["hgrgTimestamp"]["name"] == "X-HGRG-Timestamp"
    by_name = {route.name: route for route in routes}
    for _, path, operation in operations(document):
        auth = by_name[operation["operationId"]].auth
        expected = {BEARER: [{"bearer": []}, {"sessionCookie": []}],
                    HGRG: [{"hgrgSignature": [], "hgrgTimestamp": []}]}.get(auth, [])
        assert operation["security"] == expected, path
    public = {path for _, path, op in operations(document) if op["security"] == []}
    assert public == {"/api/v1/auth/login", "/api/v1/auth/session", "/api/v1/healthz", "/api/v1/openapi.json",
                      "/api/v1/taxonomy"}


def test_the_csrf_header_is_documented_where_it_is_checked(document, routes):
    by_name = {route.name: route for route in routes}
    for method, path, operation in operations(document):
        route = by_name[operation["operationId"]]
        csrf = [p for p in operation.get("parameters", []) if p.get("name") == "X-HGRIP-CSRF"]
        cookie_unsafe = route.auth == BEARER and method in ("post", "put", "patch", "delete")
        if route.csrf or cookie_unsafe:
            assert csrf and csrf[0]["in"] == "header" and csrf[0]["required"] is route.csrf, path
            assert "403" in operation["responses"], path
        else:
            assert not csrf, path
    session = document["paths"]["/api/v1/auth/session"]
    assert set(session["post"]["responses"]) == {"200", "400", "401", "403", "413", "415", "429", "500", "503"}
    assert "Set-Cookie" in session["post"]["responses"]["200"]["headers"]
    assert session["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Account")
    assert set(session["delete"]["responses"]) == {"204", "400", "403", "500", "503"}
    assert "Set-Cookie" in session["delete"]["responses"]["204"]["headers"]


def test_field_problems_are_documented(document):
    details = document["components"]["schemas"]["ErrorDetails"]
    problems = details["properties"]["fields"]["additionalProperties"]["items"]["$ref"]
    problem = resolve(document, problems)
    assert set(problem["required"]) == {"code", "message", "message_zh", "params"}
    assert set(problem["properties"]["code"]["enum"]) == set(document["x-field-error-codes"])
    assert {"required", "unknown_field", "too_long", "invalid"} <= set(document["x-field-error-codes"])


def test_errors_use_the_error_schema(document):
    error_ref = "#/components/schemas/ErrorResponse"
    error = resolve(document, error_ref)
    assert set(error["properties"]["error"]["$ref"].split("/")[-1:]) == {"ErrorDetail"}
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "message_zh", "details"}
    for _method, path, operation in operations(document):
        responses = operation["responses"]
        assert "500" in responses and "503" in responses, path
        if operation["security"]:
            assert "401" in responses, path
        for status, response in responses.items():
            if int(status) >= 400 and operation["operationId"] != "healthz":
                body = resolve(document, response["$ref"])
                assert body["content"]["application/json"]["schema"]["$ref"] == error_ref


def test_success_responses_reference_the_response_schemas(document, routes):
    by_name = {route.name: route for route in routes}
    for _, _, operation in operations(document):
        route = by_name[operation["operationId"]]
        success = operation["responses"][str(route.status)]
        assert "X-Request-Id" in success["headers"]
        if route.response is not None:
            ref = success["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/" + route.response.__name__)
    for path in ("/api/v1/projects", "/api/v1/projects/{project_id}/backups", "/api/v1/backups/{backup_id}/files"):
        assert "Location" in document["paths"][path]["post"]["responses"]["201"]["headers"], path


def test_path_parameters_are_declared(document):
    for path, item in document["paths"].items():
        declared = {parameter["name"] for parameter in item.get("parameters", [])}
        assert declared == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path


def test_gateway_error_codes_are_listed_bilingually(document):
    codes = document["x-error-codes"]
    assert {"invalid_json", "invalid_input", "unauthenticated", "invalid_signature",
            "service_unavailable", "internal_error", "not_found"} <= set(codes)
    assert all(entry["message"] and entry["message_zh"] for entry in codes.values())


def test_the_schemas_module_is_the_source(document):
    names = set(document["components"]["schemas"])
    assert {schemas.Account.__name__, schemas.Project.__name__, schemas.ProjectCreateRequest.__name__,
            schemas.AccountUpsertRequest.__name__, schemas.InstitutionUpsertRequest.__name__} <= names


def test_a_full_validator_agrees_when_installed(document):
    validator = pytest.importorskip("openapi_spec_validator")
    assert validator.validate(document) is None  # it raises on any violation of OpenAPI 3


def schema_name(content) -> str:
    return content["application/json"]["schema"]["$ref"].split("/")[-1]


@pytest.mark.parametrize("method, path", sorted(BACKUP_ROUTES))
def test_backup_routes_document_their_request_and_response(document, method, path):
    request, status, response = BACKUP_ROUTES[(method, path)]
    operation = document["paths"][path][method]
    assert operation["tags"] == ["backups"]
    if request is None:
        assert "requestBody" not in operation
    else:
        assert schema_name(operation["requestBody"]["content"]) == request
    assert [code for code in operation["responses"] if code.startswith("2")] == [status]
    assert schema_name(operation["responses"][status]["content"]) == response


@pytest.mark.parametrize("name", sorted(CONTRACT_FIELDS))
def test_backup_response_schemas_have_the_contract_fields(document, name):
    assert set(document["components"]["schemas"][name]["properties"]) == CONTRACT_FIELDS[name]


def test_a_listed_backup_has_no_files(document):
    summary = document["components"]["schemas"]["BackupSummary"]["properties"]
    assert set(summary) == CONTRACT_FIELDS["Backup"] - {"files", "filings"}
    listed = document["components"]["schemas"]["BackupList"]["properties"]
    assert listed["items"]["items"]["$ref"].endswith("/BackupSummary") and "total" in listed


def test_nullable_fields_say_so(document):
    schemas_ = document["components"]["schemas"]
    for name, field in [("Backup", "backup_number"), ("Backup", "submitted_at"), ("SyncState", "last_error"),
                        ("SyncState", "synced_at"), ("SyncState", "next_attempt_at")]:
        assert schemas_[name]["properties"][field]["nullable"] is True, (name, field)


def test_file_rules_are_documented(document):
    add = document["components"]["schemas"]["FileAddRequest"]
    assert set(add["required"]) == CONTRACT_FIELDS["DataFile"] & set(add["properties"])
    assert add["properties"]["cases"]["minimum"] == 1
    assert add["properties"]["mb_per_case"] == {**add["properties"]["mb_per_case"],
                                                 "minimum": 0, "exclusiveMinimum": True}
    assert "required" not in document["components"]["schemas"]["FileUpdateRequest"]  # any of them
    assert document["components"]["schemas"]["VerifyRequest"]["properties"]["code"]["pattern"] == "^[0-9]{6}$"


def test_the_code_resend_refusal_documents_retry_after(document):
    operation = document["paths"]["/api/v1/backups/{backup_id}/files/{file_id}/verification-code"]["post"]
    too_many = resolve(document, operation["responses"]["429"]["$ref"])
    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "Retry-After" in resolve(document, operation["responses"]["503"]["$ref"])["headers"]


def test_the_sync_route_documents_backup_not_submitted(document):
    assert "409" in document["paths"]["/api/v1/backups/{backup_id}/sync"]["get"]["responses"]
    assert document["x-error-codes"]["backup_not_submitted"]["status"] == 409


def test_the_institution_lists_document_their_query_parameters(document):
    for path, expected in QUERY_PARAMETERS.items():
        operation = document["paths"][path]["get"]
        parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
        assert set(parameters) == expected
        assert "400" in operation["responses"] and "403" in operation["responses"]
    status = {p["name"]: p for p in document["paths"]["/api/v1/institution/backups"]["get"]["parameters"]}["status"]
    assert status["schema"]["enum"] == ["completed", "incomplete"]


def test_the_export_documents_its_two_file_types_and_its_attachment(document):
    operation = document["paths"]["/api/v1/institution/backups/export"]["get"]
    success = operation["responses"]["200"]
    assert set(success["content"]) == {"text/csv; charset=utf-8",
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert "Content-Disposition" in success["headers"]
    assert {"400", "401", "403"} <= set(operation["responses"])


def test_every_operator_route_documents_its_403(document):
    operator_paths = [path for path in document["paths"] if path.startswith("/api/v1/operator/")]
    assert len(operator_paths) == 7
    for path in operator_paths:
        for method, operation in document["paths"][path].items():
            if method == "parameters":
                continue
            assert "403" in operation["responses"] and operation["tags"] == ["operator"], path
    assert document["x-error-codes"]["operators_only"]["status"] == 403


def test_the_institution_history_answers_the_delegates_history_schema(document):
    institution = document["paths"]["/api/v1/institution/backups/{backup_id}/history"]["get"]
    delegate = document["paths"]["/api/v1/backups/{backup_id}/history"]["get"]
    assert institution["tags"] == ["institution"]
    assert schema_name(institution["responses"]["200"]["content"]) == "History"
    assert institution["responses"]["200"] == delegate["responses"]["200"]
    assert {"403", "404"} <= set(institution["responses"])
