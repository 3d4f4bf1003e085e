"""The backup routes over real RabbitMQ against small recording fakes of backups, verification and
registry-sync: each route calls the right RPC with the actor id and the validated body, and maps
results and refusals. What the real services decide is tested with them (and end to end)."""
import time

import eventlet
import jwt
import pytest
from nameko.rpc import RpcProxy, rpc

from hgrip_kernel.errors import (
    Conflict,
    InvalidInput,
    Locked,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

# A token signed with the kernel fixture's TOKEN_SECRET: the gateway checks signatures itself.
GOOD_TOKEN = jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32, "jti": "good"},
                        "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
BOB_TOKEN = jwt.encode({"sub": "acc-2", "iat": 0, "exp": 2**32, "jti": "bob"},
                       "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
ACCOUNTS = {
    GOOD_TOKEN: {"id": "acc-1", "username": "alice", "name": "Alice", "role": "natural_person"},
    BOB_TOKEN: {"id": "acc-2", "username": "bob", "name": "Bob", "role": "natural_person"},
}
GOOD = {"Authorization": f"Bearer {GOOD_TOKEN}"}
NUMBER = "BF2024060300001"       # submitted, and registry-sync has its state
NUMBER_NEW = "BF2024060300002"   # submitted a moment ago: registry-sync has no state yet
FILE = {"id": "f-1", "detailed_type": "raw_sequencing", "repository": "GSA-Human", "cases": 120,
        "mb_per_case": 1.5, "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567",
        "progress": "pending_verification", "created_at": "2024-06-03T01:00:00+00:00",
        "updated_at": "2024-06-03T01:00:00+00:00"}
BACKUP = {"id": "b-1", "project_id": "p-1", "project_name": "肺癌队列", "name": "第一批", "categories": ["wgs"],
          "status": "draft", "backup_number": None, "filing_numbers": [], "file_count": 1, "total_mb": 180.0,
          "created_at": "2024-06-03T01:00:00+00:00", "submitted_at": None, "files": [FILE]}
SYNC = {"backup_number": NUMBER, "state": "failing", "attempts": 3, "last_error": "HGRG answered 502",
        "synced_at": None, "next_attempt_at": "2024-06-03T02:00:08+00:00"}
HISTORY = [{"at": "2024-06-03T01:00:00+00:00", "event_type": "BackupCreated", "summary_zh": "创建备份",
            "summary_en": "Backup created", "actor_id": "acc-1", "actor_name": "Alice", "correlation_id": "r-1",
            "details": {"name": "第一批"}}]
TAXONOMY = {"categories": [{"code": "wgs", "label_zh": "全基因组测序", "label_en": "Whole genome sequencing",
                            "detailed_types": ["raw_sequencing"]}],
            "detailed_types": [{"code": "raw_sequencing", "label_zh": "原始测序数据", "label_en": "Raw sequencing data",
                                "repository": "GSA-Human"}],
            "repositories": [{"code": "GSA-Human", "name": "GSA-Human", "accession_pattern": r"^HRA\d{6}$",
                              "accession_example": "HRA000567", "url": "https://ngdc.cncb.ac.cn/gsa-human/"}]}
MISMATCH_ZH = "提交账号与数据集序列号不匹配"

CALLS = []  # (service.method, args), in the order the fakes received them


def not_found(backup_id):
    return NotFound("backup_not_found", "No such backup.", "备份不存在。", {"backup_id": backup_id})


class FakeIdentity:
    name = "identity"

    @rpc
    def authenticate(self, token):
        if token not in ACCOUNTS:
            raise Unauthorized("invalid_token", "bad token", "令牌无效")
        return ACCOUNTS[token]


class FakeBackups:
    """Answers from fixed data; a few ids and values stand for the refusals of the contract."""
    name = "backups"
    verification = RpcProxy("verification")

    def backup(self, backup_id, **changes):
        if backup_id == "b-404":
            raise not_found(backup_id)
        if backup_id == "b-slow":
            eventlet.sleep(5)
        number = {"b-sub": NUMBER, "b-new": NUMBER_NEW}.get(backup_id)
        return {**BACKUP, "id": backup_id, "backup_number": number, "owner_id": "not for clients", **changes}

    @rpc
    def create_backup(self, actor_id, project_id, payload):
        CALLS.append(("backups.create_backup", (actor_id, project_id, payload)))
        return self.backup("b-created", project_id=project_id, files=[], file_count=0, total_mb=0, **payload)

    @rpc
    def list_backups(self, actor_id, project_id):
        CALLS.append(("backups.list_backups", (actor_id, project_id)))
        summary = {key: value for key, value in self.backup("b-1").items() if key != "files"}
        return [summary, {**summary, "id": "b-0"}]

    @rpc
    def get_backup(self, actor_id, backup_id):
        CALLS.append(("backups.get_backup", (actor_id, backup_id)))
        return self.backup(backup_id)

    @rpc
    def update_backup(self, actor_id, backup_id, payload):
        CALLS.append(("backups.update_backup", (actor_id, backup_id, payload)))
        if payload.get("categories") == ["wes"]:
            raise Conflict("category_change_strands_files", "Files would be stranded.", "有数据文件将不再被允许。",
                           {"files": [{"id": "f-1", "detailed_type": "raw_sequencing", "accession": "HRA000567"}]})
        return self.backup(backup_id, **payload)

    @rpc
    def add_file(self, actor_id, backup_id, payload):
        CALLS.append(("backups.add_file", (actor_id, backup_id, payload)))
        if payload["accession"] == "HRA999999":
            raise InvalidInput("dataset_account_mismatch",
                               "The submission account and the dataset accession do not match.", MISMATCH_ZH)
        self.backup(backup_id)
        return {**FILE, **payload, "id": "f-new"}

    @rpc
    def update_file(self, actor_id, backup_id, file_id, payload):
        CALLS.append(("backups.update_file", (actor_id, backup_id, file_id, payload)))
        if backup_id == "b-sub" and "accession" in payload:
            raise Conflict("backup_locked", "The backup is submitted.", "备份已提交，不能修改。")
        return {**FILE, **payload, "id": file_id}

    @rpc
    def get_file(self, actor_id, backup_id, file_id):
        CALLS.append(("backups.get_file", (actor_id, backup_id, file_id)))
        if file_id == "f-404":
            raise NotFound("file_not_found", "Data file not found in this backup.", "该备份中不存在此数据文件。")
        return {**FILE, "id": file_id}

    @rpc
    def delete_file(self, actor_id, backup_id, file_id):
        CALLS.append(("backups.delete_file", (actor_id, backup_id, file_id)))
        return {"deleted": file_id}

    @rpc
    def request_verification_code(self, actor_id, backup_id, file_id):
        CALLS.append(("backups.request_verification_code", (actor_id, backup_id, file_id)))
        # As the real one does: verification sends the code, and its refusals come back unchanged.
        return self.verification.send_code({"file_id": file_id, "backup_id": backup_id})

    @rpc
    def verify_file(self, actor_id, backup_id, file_id, code):
        CALLS.append(("backups.verify_file", (actor_id, backup_id, file_id, code)))
        if code == "000000":
            raise InvalidInput("verification_code_invalid", "Wrong code.", "验证码错误。", {"attempts_left": 4})
        if code == "999999":
            raise Locked("verification_locked", "Too many wrong codes.", "错误次数过多。")
        return {**FILE, "id": file_id, "progress": "complete"}

    @rpc
    def submit(self, actor_id, backup_id):
        CALLS.append(("backups.submit", (actor_id, backup_id)))
        if backup_id == "b-empty":
            raise Conflict("backup_has_no_files", "The backup has no files.", "备份中没有数据文件。")
        return self.backup(backup_id, status="completed", backup_number=NUMBER,
                           submitted_at="2024-06-03T02:00:00+00:00")

    @rpc
    def history(self, actor_id, backup_id):
        CALLS.append(("backups.history", (actor_id, backup_id)))
        self.backup(backup_id)
        return HISTORY

    @rpc
    def taxonomy(self):
        CALLS.append(("backups.taxonomy", ()))
        return TAXONOMY


class FakeVerification:
    name = "verification"

    @rpc
    def send_code(self, payload):
        CALLS.append(("verification.send_code", (payload,)))
        if payload["file_id"] == "f-soon":
            raise TooManyRequests("code_resend_too_soon", "A code was sent less than 5 minutes ago.",
                                  "5 分钟内已发送过验证码。", {"retry_after_seconds": 241})
        if payload["file_id"] == "f-nomail":
            raise ServiceUnavailable("mail_unavailable", "Mail cannot be sent now.", "邮件暂时无法发送。")
        return {"sent_to": "d***@big.ac.cn", "expires_at": "2024-06-05T01:00:00+00:00",
                "resend_available_at": "2024-06-03T01:05:00+00:00"}


class FakeRegistrySync:
    name = "registry-sync"

    @rpc
    def get_sync_state(self, backup_number):
        CALLS.append(("registry-sync.get_sync_state", (backup_number,)))
        if backup_number != NUMBER:
            raise NotFound("sync_state_not_found", "No sync state.", "无同步状态。")
        return {**SYNC, "internal_row_id": 7}


@pytest.fixture(autouse=True)
def _forget_calls():
    CALLS.clear()


@pytest.fixture
def start_platform(start_service, service_config, start_gateway):
    def start(*fakes):
        for fake in (FakeIdentity, *fakes):
            start_service(fake, service_config(fake.name))
        return start_gateway(GATEWAY_RPC_TIMEOUT=1)
    return start


@pytest.fixture
def api(start_platform):
    return start_platform(FakeBackups, FakeVerification, FakeRegistrySync)


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"]
    return error


def called(*names):
    return [call for call in CALLS if call[0] in names] if names else CALLS


def public_backup(backup_id, **changes):
    return {**BACKUP, "id": backup_id, **changes}


# ---- backups ------------------------------------------------------------------------------

def test_create_backup_passes_the_actor_and_the_validated_body(api):
    response = api.post("/api/v1/projects/p-1/backups", headers=GOOD,
                        json={"name": "  第一批 ", "categories": ["wgs", "chip"]})
    body = ok(response, 201)
    assert called() == [("backups.create_backup", ("acc-1", "p-1", {"name": "第一批", "categories": ["wgs", "chip"]}))]
    assert response.headers["Location"] == "/api/v1/backups/b-created"
    assert body["id"] == "b-created" and body["files"] == [] and "owner_id" not in body


def test_the_actor_is_whoever_the_token_belongs_to(api):
    ok(api.get("/api/v1/backups/b-1", headers={"Authorization": f"Bearer {BOB_TOKEN}"}))
    assert called() == [("backups.get_backup", ("acc-2", "b-1"))]


def test_an_invalid_body_never_reaches_backups(api):
    error = assert_error(api.post("/api/v1/projects/p-1/backups", headers=GOOD,
                                  json={"name": "", "categories": [], "owner_id": "acc-2"}), 400, "invalid_input")
    assert set(error["details"]["fields"]) == {"name", "categories", "owner_id"}
    assert error["details"]["fields"]["owner_id"][0]["code"] == "unknown_field"
    assert_error(api.request("PATCH", "/api/v1/backups/b-1", headers=GOOD, json={}), 400, "invalid_input")
    assert_error(api.post("/api/v1/backups/b-1/files", headers=GOOD, data=b"{"), 400, "invalid_json")
    assert called() == []


def test_list_backups_pages_the_plain_list_without_files(api):
    body = ok(api.get("/api/v1/projects/p-1/backups", headers=GOOD))
    assert called() == [("backups.list_backups", ("acc-1", "p-1"))]
    assert body["total"] == 2 and [item["id"] for item in body["items"]] == ["b-1", "b-0"]
    assert all("files" not in item and "owner_id" not in item for item in body["items"])


def test_get_backup_has_its_files_and_nothing_internal(api):
    assert ok(api.get("/api/v1/backups/b-1", headers=GOOD)) == public_backup("b-1")


def test_someone_elses_backup_is_the_services_404(api):
    error = assert_error(api.get("/api/v1/backups/b-404", headers=GOOD), 404, "backup_not_found")
    assert error["message_zh"] == "备份不存在。" and error["details"] == {"backup_id": "b-404"}


def test_patch_backup_passes_only_what_was_given(api):
    body = ok(api.request("PATCH", "/api/v1/backups/b-1", headers=GOOD, json={"name": " 改名 "}))
    assert called() == [("backups.update_backup", ("acc-1", "b-1", {"name": "改名"}))]
    assert body["name"] == "改名"


def test_a_stranding_category_change_is_409_with_the_files(api):
    error = assert_error(api.request("PATCH", "/api/v1/backups/b-1", headers=GOOD, json={"categories": ["wes"]}),
                         409, "category_change_strands_files")
    assert error["details"]["files"] == [{"id": "f-1", "detailed_type": "raw_sequencing", "accession": "HRA000567"}]


# ---- files --------------------------------------------------------------------------------

def test_add_file(api):
    document = {"detailed_type": "raw_sequencing", "cases": 3, "mb_per_case": 2,
                "submission_account": " data-admin@big.ac.cn ", "accession": "HRA000567"}
    response = api.post("/api/v1/backups/b-1/files", headers=GOOD, json=document)
    body = ok(response, 201)
    validated = {**document, "mb_per_case": 2.0, "submission_account": "data-admin@big.ac.cn"}
    assert called() == [("backups.add_file", ("acc-1", "b-1", validated))]
    assert response.headers["Location"] == "/api/v1/backups/b-1/files/f-new"
    assert body == {**FILE, **validated, "id": "f-new"}


def test_a_mismatched_dataset_keeps_the_services_exact_words(api):
    document = {"detailed_type": "raw_sequencing", "cases": 3, "mb_per_case": 2,
                "submission_account": "x@big.ac.cn", "accession": "HRA999999"}
    error = assert_error(api.post("/api/v1/backups/b-1/files", headers=GOOD, json=document),
                         400, "dataset_account_mismatch")
    assert error["message_zh"] == MISMATCH_ZH
    assert error["message"] == "The submission account and the dataset accession do not match."


def test_file_body_rules(api):
    base = {"detailed_type": "raw_sequencing", "cases": 1, "mb_per_case": 1,
            "submission_account": "a@big.ac.cn", "accession": "HRA000567"}
    for field, value in (("cases", 0), ("mb_per_case", 0), ("submission_account", "nope")):
        error = assert_error(api.post("/api/v1/backups/b-1/files", headers=GOOD, json={**base, field: value}),
                             400, "invalid_input")
        assert set(error["details"]["fields"]) == {field}
    assert called() == []


def test_patch_and_delete_file(api):
    body = ok(api.request("PATCH", "/api/v1/backups/b-1/files/f-1", headers=GOOD, json={"cases": 7}))
    assert body["cases"] == 7
    assert ok(api.request("DELETE", "/api/v1/backups/b-1/files/f-1", headers=GOOD)) == {"deleted": "f-1"}
    assert called() == [("backups.update_file", ("acc-1", "b-1", "f-1", {"cases": 7})),
                        ("backups.delete_file", ("acc-1", "b-1", "f-1"))]


def test_the_location_of_a_new_file_answers_get(api):
    created = api.post("/api/v1/backups/b-1/files", headers=GOOD, json={
        "detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
        "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"})
    assert created.status_code == 201
    body = ok(api.request("GET", created.headers["Location"], headers=GOOD))
    assert body["id"] == "f-new"
    assert_error(api.request("GET", "/api/v1/backups/b-1/files/f-404", headers=GOOD), 404, "file_not_found")


def test_a_locked_backup_is_409(api):
    error = assert_error(api.request("PATCH", "/api/v1/backups/b-sub/files/f-1", headers=GOOD,
                                     json={"accession": "HRA000568"}), 409, "backup_locked")
    assert error["message_zh"] == "备份已提交，不能修改。"


# ---- verification -------------------------------------------------------------------------

def test_request_a_code_is_202(api):
    body = ok(api.post("/api/v1/backups/b-1/files/f-1/verification-code", headers=GOOD), 202)
    assert body == {"sent_to": "d***@big.ac.cn", "expires_at": "2024-06-05T01:00:00+00:00",
                    "resend_available_at": "2024-06-03T01:05:00+00:00"}
    assert called("backups.request_verification_code") == [
        ("backups.request_verification_code", ("acc-1", "b-1", "f-1"))]


def test_too_soon_is_429_with_retry_after_across_two_rpc_hops(api):
    response = api.post("/api/v1/backups/b-1/files/f-soon/verification-code", headers=GOOD)
    error = assert_error(response, 429, "code_resend_too_soon")
    assert response.headers["Retry-After"] == "241"
    assert error["message_zh"] == "5 分钟内已发送过验证码。"
    assert set(error["details"]) == {"retry_after_seconds"}


def test_error_details_keep_their_json_types_across_rpc(api):
    response = api.post("/api/v1/backups/b-1/files/f-soon/verification-code", headers=GOOD)
    assert response.json()["error"]["details"] == {"retry_after_seconds": 241}


def test_mail_trouble_is_the_services_503(api):
    response = api.post("/api/v1/backups/b-1/files/f-nomail/verification-code", headers=GOOD)
    error = assert_error(response, 503, "mail_unavailable")
    assert error["message"] and error["message_zh"]


def test_verify_passes_the_code_as_text(api):
    body = ok(api.post("/api/v1/backups/b-1/files/f-1/verify", headers=GOOD, json={"code": "042917"}))
    assert body["progress"] == "complete"
    assert called() == [("backups.verify_file", ("acc-1", "b-1", "f-1", "042917"))]


def test_verify_refusals(api):
    error = assert_error(api.post("/api/v1/backups/b-1/files/f-1/verify", headers=GOOD, json={"code": "000000"}),
                         400, "verification_code_invalid")
    assert set(error["details"]) == {"attempts_left"}
    assert_error(api.post("/api/v1/backups/b-1/files/f-1/verify", headers=GOOD, json={"code": "999999"}),
                 423, "verification_locked")
    assert_error(api.post("/api/v1/backups/b-1/files/f-1/verify", headers=GOOD, json={"code": "12345"}),
                 400, "invalid_input")
    assert len(called()) == 2


# ---- submit, history, sync ----------------------------------------------------------------

def test_submit(api):
    body = ok(api.post("/api/v1/backups/b-1/submit", headers=GOOD))
    assert body["backup_number"] == NUMBER and body["status"] == "completed"
    assert called() == [("backups.submit", ("acc-1", "b-1"))]
    assert_error(api.post("/api/v1/backups/b-empty/submit", headers=GOOD), 409, "backup_has_no_files")


def test_history_is_items(api):
    assert ok(api.get("/api/v1/backups/b-1/history", headers=GOOD)) == {"items": HISTORY}
    assert called() == [("backups.history", ("acc-1", "b-1"))]
    assert_error(api.get("/api/v1/backups/b-404/history", headers=GOOD), 404, "backup_not_found")


def test_sync_checks_access_then_reads_registry_sync(api):
    assert ok(api.get("/api/v1/backups/b-sub/sync", headers=GOOD)) == SYNC
    assert called() == [("backups.get_backup", ("acc-1", "b-sub")), ("registry-sync.get_sync_state", (NUMBER,))]


def test_sync_before_registry_sync_has_recorded_it_is_pending(api):
    assert ok(api.get("/api/v1/backups/b-new/sync", headers=GOOD)) == {
        "backup_number": NUMBER_NEW, "state": "pending", "attempts": 0, "last_error": None,
        "synced_at": None, "next_attempt_at": None}


def test_sync_of_a_draft_is_409_and_asks_no_one_else(api):
    error = assert_error(api.get("/api/v1/backups/b-1/sync", headers=GOOD), 409, "backup_not_submitted")
    assert error["details"] == {"backup_id": "b-1"} and error["message_zh"].startswith("该备份尚未提交")
    assert_error(api.get("/api/v1/backups/b-404/sync", headers=GOOD), 404, "backup_not_found")
    assert [name for name, _ in called()] == ["backups.get_backup", "backups.get_backup"]


def test_sync_without_registry_sync_is_503(start_platform):
    api = start_platform(FakeBackups)
    response = api.get("/api/v1/backups/b-sub/sync", headers=GOOD)
    error = assert_error(response, 503, "service_unavailable")
    assert error["details"] == {"service": "registry-sync"} and response.headers["Retry-After"]


# ---- taxonomy, auth, availability ---------------------------------------------------------

def test_taxonomy_is_public_and_cached(api):
    first = api.get("/api/v1/taxonomy", token="")
    assert ok(first) == TAXONOMY
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert ok(api.get("/api/v1/taxonomy", headers=GOOD)) == TAXONOMY
    assert called() == [("backups.taxonomy", ())]


def test_taxonomy_failures_are_not_cached(start_platform, start_service, service_config):
    api = start_platform()
    assert_error(api.get("/api/v1/taxonomy"), 503, "service_unavailable")
    start_service(FakeBackups, service_config("backups"))
    assert ok(api.get("/api/v1/taxonomy")) == TAXONOMY


BEARER_ROUTES = [
    ("POST", "/api/v1/projects/p-1/backups"), ("GET", "/api/v1/projects/p-1/backups"),
    ("GET", "/api/v1/backups/b-1"), ("PATCH", "/api/v1/backups/b-1"), ("POST", "/api/v1/backups/b-1/files"),
    ("PATCH", "/api/v1/backups/b-1/files/f-1"), ("DELETE", "/api/v1/backups/b-1/files/f-1"),
    ("POST", "/api/v1/backups/b-1/files/f-1/verification-code"), ("POST", "/api/v1/backups/b-1/files/f-1/verify"),
    ("POST", "/api/v1/backups/b-1/submit"), ("GET", "/api/v1/backups/b-1/history"),
    ("GET", "/api/v1/backups/b-1/sync"),
]


def test_every_backup_route_needs_a_valid_token(api):
    for method, path in BEARER_ROUTES:
        response = api.request(method, path, json={})
        assert_error(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert_error(api.request(method, path, json={}, token="stolen"), 401, "invalid_token")
    assert called() == []


def test_a_slow_backups_is_503_in_time(api):
    started = time.monotonic()
    assert_error(api.get("/api/v1/backups/b-slow", headers=GOOD), 503, "service_unavailable")
    assert time.monotonic() - started < 4


def test_no_backups_service_is_503(start_platform):
    api = start_platform()
    error = assert_error(api.post("/api/v1/backups/b-1/submit", headers=GOOD), 503, "service_unavailable")
    assert error["details"] == {"service": "backups"}
