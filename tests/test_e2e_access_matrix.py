"""Who sees what, over HTTP: every gateway route × every role × own / same unit / other unit /
other institution. A route the matrix does not classify fails the test, so a new route cannot
slip in without saying who may use it.

The demo institution 国家基因组科学数据中心测试 has two units: 生物信息研究部 (张晓寒 owns the
resources; 王雨晴; unit admin 李文博) and 数据资源部 (刘浩然; unit admin 陈静怡); its legal person is
ngdc-legal. 华东医学遗传研究院测试 is another institution (ecmg-legal, 孙丽娟).
"""
import pytest

from hgrip_gateway.openapi import openapi_path
from hgrip_gateway.routing import routes_of
from hgrip_gateway.service import GatewayService

pytestmark = pytest.mark.slow

OWNER = "zhangxiaohan"
ACTORS = {
    "owner": OWNER,
    "same_unit_person": "wangyuqing",
    "other_unit_person": "liuhaoran",
    "other_institution_person": "sunlijuan",
    "legal_person": "ngdc-legal",
    "own_unit_admin": "ngdc-bio-admin",
    "other_unit_admin": "ngdc-data-admin",
    "other_institution_legal": "ecmg-legal",
    "operator": "operator",
}
INSTITUTION_VIEWERS = {"legal_person", "own_unit_admin"}   # may see the owner's backups
ADMINS = {"legal_person", "own_unit_admin", "other_unit_admin", "other_institution_legal"}
PERSONS = {"owner", "same_unit_person", "other_unit_person", "other_institution_person"}
PROJECT = {"name": "权限矩阵项目", "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}

# Routes that act on one natural person's own project, backup or file: only the owner.
OWNER_ONLY = {
    ("get", "/api/v1/projects/{project_id}"), ("post", "/api/v1/projects/{project_id}/backups"),
    ("get", "/api/v1/projects/{project_id}/backups"), ("get", "/api/v1/backups/{backup_id}"),
    ("patch", "/api/v1/backups/{backup_id}"), ("post", "/api/v1/backups/{backup_id}/files"),
    ("get", "/api/v1/backups/{backup_id}/files/{file_id}"),
    ("patch", "/api/v1/backups/{backup_id}/files/{file_id}"),
    ("delete", "/api/v1/backups/{backup_id}/files/{file_id}"),
    ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verification-code"),
    ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verify"),
    ("post", "/api/v1/backups/{backup_id}/submit"), ("get", "/api/v1/backups/{backup_id}/history"),
    ("get", "/api/v1/backups/{backup_id}/sync"),
}
INSTITUTION_READS = {("get", "/api/v1/institution/backups"), ("get", "/api/v1/institution/backups/{backup_id}"),
                     ("get", "/api/v1/institution/backups/export"),
                     ("get", "/api/v1/institution/backups/{backup_id}/history"),
                     ("get", "/api/v1/institution/members"), ("get", "/api/v1/institution/delegates")}
INSTITUTION_WRITES = {("post", "/api/v1/institution/delegations"), ("post", "/api/v1/institution/claims")}
CLAIMS = {("post", "/api/v1/claims/sms-code"), ("post", "/api/v1/claims")}
# Each caller's own business, with nothing of anyone else's to reach.
# The browser session routes log the caller in or out, as login does.
SELF = {("post", "/api/v1/auth/login"), ("get", "/api/v1/auth/session"), ("post", "/api/v1/auth/session"),
        ("delete", "/api/v1/auth/session"),
        ("get", "/api/v1/me"), ("post", "/api/v1/projects"),
        ("get", "/api/v1/projects"), ("get", "/api/v1/taxonomy"), ("get", "/api/v1/healthz"),
        ("get", "/api/v1/openapi.json")}
HGRG_ONLY = {("put", "/api/v1/hgrg/institutions/{code}"), ("put", "/api/v1/hgrg/accounts/{username}"),
             ("post", "/api/v1/hgrg/filings")}
# The operator's console: operators only, every other role 403 operators_only.
OPERATOR_ONLY = {("get", "/api/v1/operator/backups/{backup_number}"), ("get", "/api/v1/operator/sync"),
                 ("get", "/api/v1/operator/dead-letters"), ("get", "/api/v1/operator/dead-letters/{message_id}"),
                 ("post", "/api/v1/operator/dead-letters/{message_id}/replay"),
                 ("post", "/api/v1/operator/dead-letters/replay"), ("get", "/api/v1/operator/actions")}
CLASSIFIED = OWNER_ONLY | INSTITUTION_READS | INSTITUTION_WRITES | CLAIMS | SELF | HGRG_ONLY | OPERATOR_ONLY


@pytest.fixture(scope="module")
def world(platform, client_for):
    """The owner's project, a draft backup with a complete and a pending file, a submitted backup."""
    clients = {role: client_for(username) for role, username in ACTORS.items()}
    owner = clients["owner"]
    project = owner.post("/api/v1/projects", json=PROJECT).json()
    draft = owner.post(f"/api/v1/projects/{project['id']}/backups",
                       json={"name": "矩阵草稿", "categories": ["targeted"]}).json()
    complete = owner.post(f"/api/v1/backups/{draft['id']}/files", json=HRA).json()
    pending = owner.post(f"/api/v1/backups/{draft['id']}/files", json=OMIX).json()
    submitted = owner.post(f"/api/v1/projects/{project['id']}/backups",
                           json={"name": "矩阵已提交", "categories": ["targeted"]}).json()
    owner.post(f"/api/v1/backups/{submitted['id']}/files", json=HRA)
    number = owner.post(f"/api/v1/backups/{submitted['id']}/submit").json()["backup_number"]
    assert number and pending["progress"] == "pending_verification"
    return {"clients": clients, "project": project, "draft": draft, "submitted": submitted,
            "complete": complete, "pending": pending, "number": number}


def owner_state(world) -> dict:
    owner = world["clients"]["owner"]
    return {key: (owner.get(f"/api/v1/backups/{world[key]['id']}").json(),
                  len(owner.get(f"/api/v1/backups/{world[key]['id']}/history").json()["items"]))
            for key in ("draft", "submitted")}


def owner_only_requests(world):
    """(method, path template, concrete path, body) for every owner-only route."""
    p, d, s = world["project"]["id"], world["draft"]["id"], world["submitted"]["id"]
    f, pending = world["complete"]["id"], world["pending"]["id"]
    return [
        ("get", "/api/v1/projects/{project_id}", f"/api/v1/projects/{p}", None),
        ("post", "/api/v1/projects/{project_id}/backups", f"/api/v1/projects/{p}/backups",
         {"name": "闯入", "categories": ["wgs"]}),
        ("get", "/api/v1/projects/{project_id}/backups", f"/api/v1/projects/{p}/backups", None),
        ("get", "/api/v1/backups/{backup_id}", f"/api/v1/backups/{d}", None),
        ("patch", "/api/v1/backups/{backup_id}", f"/api/v1/backups/{d}", {"name": "改名"}),
        ("post", "/api/v1/backups/{backup_id}/files", f"/api/v1/backups/{d}/files",
         {**HRA, "accession": "HRA000568"}),
        ("get", "/api/v1/backups/{backup_id}/files/{file_id}", f"/api/v1/backups/{d}/files/{f}", None),
        ("patch", "/api/v1/backups/{backup_id}/files/{file_id}", f"/api/v1/backups/{d}/files/{f}", {"cases": 7}),
        ("delete", "/api/v1/backups/{backup_id}/files/{file_id}", f"/api/v1/backups/{d}/files/{f}", None),
        ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verification-code",
         f"/api/v1/backups/{d}/files/{pending}/verification-code", None),
        ("post", "/api/v1/backups/{backup_id}/files/{file_id}/verify",
         f"/api/v1/backups/{d}/files/{pending}/verify", {"code": "123456"}),
        ("post", "/api/v1/backups/{backup_id}/submit", f"/api/v1/backups/{d}/submit", None),
        ("get", "/api/v1/backups/{backup_id}/history", f"/api/v1/backups/{s}/history", None),
        ("get", "/api/v1/backups/{backup_id}/sync", f"/api/v1/backups/{s}/sync", None),
    ]


def test_every_route_is_in_the_matrix():
    routes = {(r.method.lower(), openapi_path(r.rule)) for r in routes_of(GatewayService)}
    assert routes == CLASSIFIED, f"unclassified: {routes - CLASSIFIED}; stale: {CLASSIFIED - routes}"


def test_nobody_but_the_owner_reaches_a_project_backup_or_file(world):
    before = owner_state(world)
    requests_ = owner_only_requests(world)
    assert {(m, t) for m, t, _, _ in requests_} == OWNER_ONLY
    for role, client in world["clients"].items():
        if role == "owner":
            continue
        for method, template, path, body in requests_:
            response = client.request(method.upper(), path, json=body)
            assert response.status_code == 404, (role, method, template, response.text)
            assert response.json()["error"]["code"] in ("backup_not_found", "project_not_found",
                                                       "file_not_found"), (role, template, response.text)
    assert owner_state(world) == before, "a refused request changed something"
    # The owner reaches every one of them (reads answer 200).
    for method, template, path, _body in requests_:
        if method == "get":
            assert world["clients"]["owner"].get(path).status_code == 200, template


def test_institution_views_show_the_backups_to_their_legal_person_and_unit_admin_only(world):
    draft, submitted = world["draft"]["id"], world["submitted"]["id"]
    owners_history = world["clients"]["owner"].get(f"/api/v1/backups/{submitted}/history").json()
    for role, client in world["clients"].items():
        listed = {}
        for status in ("completed", "incomplete"):
            response = client.get("/api/v1/institution/backups", params={"status": status, "page_size": 100})
            listed[status] = response
        detail = client.get(f"/api/v1/institution/backups/{draft}")
        history = client.get(f"/api/v1/institution/backups/{submitted}/history")
        exported = client.get("/api/v1/institution/backups/export", params={"format": "csv", "status": "incomplete"})
        members = client.get("/api/v1/institution/members", params={"page_size": 100})
        delegates = client.get("/api/v1/institution/delegates", params={"page_size": 100})
        if role not in ADMINS:
            for response in (*listed.values(), detail, history, exported, members, delegates):
                assert response.status_code == 403, (role, response.text)
                assert response.json()["error"]["code"] == "institution_admins_only"
            continue
        for response in (*listed.values(), members, delegates):
            assert response.status_code == 200, (role, response.text)
        ids = {item["id"] for r in listed.values() for item in r.json()["items"]}
        assert exported.status_code == 200, (role, exported.text)
        exported_names = exported.content.decode("utf-8-sig")
        people = {item["username"] for item in members.json()["items"]}
        delegate_names = {item["username"] for item in delegates.json()["items"]}
        if role in INSTITUTION_VIEWERS:
            assert {draft, submitted} <= ids, role
            assert "矩阵草稿" in exported_names, role
            assert detail.status_code == 200 and detail.json()["delegate"]["username"] == OWNER
            # 备份详细信息's history: the owner's own timeline, entry for entry
            assert history.status_code == 200, (role, history.text)
            assert history.json() == owners_history and history.json()["items"][-1]["event_type"] == \
                "BackupSubmitted", role
            assert OWNER in people and OWNER in delegate_names
        else:
            assert not ids & {draft, submitted}, role
            assert "矩阵草稿" not in exported_names, role
            assert detail.status_code == 404 and detail.json()["error"]["code"] == "backup_not_found"
            assert history.status_code == 404 and history.json()["error"]["code"] == "backup_not_found", role
            assert OWNER not in people and OWNER not in delegate_names
        if role == "other_institution_legal":
            assert not any(u in people for u in ("ngdc-legal", "wangyuqing", "liuhaoran")), people
        if role == "own_unit_admin":
            assert "liuhaoran" not in people and "wangyuqing" in people
        if role == "legal_person":
            assert {"liuhaoran", "wangyuqing", OWNER} <= people and "sunlijuan" not in people


def test_only_administrators_in_scope_may_move_or_claim(world):
    before = owner_state(world)
    transfer = {"from_account": OWNER, "to_account": "wangyuqing"}
    claim = {"legacy_name": "张晓寒", "legacy_mobile": "13912345678", "delegate_account": OWNER}
    for role, client in world["clients"].items():
        if role in INSTITUTION_VIEWERS:
            continue
        moved = client.post("/api/v1/institution/delegations", json=transfer)
        claimed = client.post("/api/v1/institution/claims", json=claim)
        for response in (moved, claimed):
            expected = (404,) if role in ADMINS else (403,)
            assert response.status_code in expected, (role, response.request.url, response.text)
        if role in ADMINS:
            assert moved.json()["error"]["code"] == "member_not_found"
    assert owner_state(world) == before


def test_claims_by_sms_are_for_natural_persons_and_hgrg_routes_for_hgrg(world):
    body = {"legacy_name": "无此人", "legacy_mobile": "13000000000"}
    for role, client in world["clients"].items():
        response = client.post("/api/v1/claims/sms-code", json=body)
        claim = client.post("/api/v1/claims", json={**body, "sms_code": "123456"})
        if role in PERSONS:
            assert response.status_code == 404, (role, response.text)   # no such registrant
            assert claim.status_code == 404, (role, claim.text)
        else:
            assert response.status_code == 403 and claim.status_code == 403, (role, response.text)
        # A bearer token is no HGRG signature, whoever holds it.
        hgrg = client.post("/api/v1/hgrg/filings", json={"filing_number": "BA1", "backup_numbers": [world["number"]],
                                                         "declared_mb": 1, "recipient": "X",
                                                         "filed_at": "2026-01-01T00:00:00Z"})
        assert hgrg.status_code == 401, (role, hgrg.text)
        institution = client.request("PUT", "/api/v1/hgrg/accounts/intruder", json={"name": "x"})
        assert institution.status_code == 401
    # Each caller's own list holds only their own projects.
    for role, client in world["clients"].items():
        projects = client.get("/api/v1/projects")
        if projects.status_code == 200:
            ids = {p["id"] for p in projects.json()["items"]}
            assert (world["project"]["id"] in ids) == (role == "owner"), role


def test_the_operators_console_is_for_operators_only(world):
    number = world["number"]
    calls = [("get", f"/api/v1/operator/backups/{number}"), ("get", "/api/v1/operator/sync"),
             ("get", "/api/v1/operator/dead-letters"), ("get", "/api/v1/operator/dead-letters/no-such-letter"),
             ("post", "/api/v1/operator/dead-letters/no-such-letter/replay"),
             ("post", "/api/v1/operator/dead-letters/replay"), ("get", "/api/v1/operator/actions")]
    actions = world["clients"]["operator"].get("/api/v1/operator/actions").json()["total"]
    for role, client in world["clients"].items():
        if role == "operator":
            continue
        for method, path in calls:
            response = client.request(method.upper(), path)
            assert response.status_code == 403, (role, path, response.text)
            assert response.json()["error"]["code"] == "operators_only", (role, path)
    operator = world["clients"]["operator"]
    found = operator.get(f"/api/v1/operator/backups/{number}")
    assert found.status_code == 200 and found.json()["owner"]["username"] == OWNER
    for path in ("/api/v1/operator/sync", "/api/v1/operator/dead-letters", "/api/v1/operator/actions"):
        assert operator.get(path).status_code == 200, path
    assert operator.get("/api/v1/operator/dead-letters/no-such-letter").status_code == 404
    assert operator.get("/api/v1/operator/actions").json()["total"] == actions   # refusals recorded nothing
