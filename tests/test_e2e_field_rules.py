"""The shared field rules (hgrip_kernel.field_rules) over HTTP: a mobile typed by a user is 11 plain
digits on every route that takes one, and a name too long, a name with a control character, and a
number of cases above the maximum get the same field code on every route that takes them."""
import pytest

pytestmark = pytest.mark.slow

MOBILE_PROBLEM = {"code": "invalid_mobile", "message": "Must be an 11-digit mainland-China mobile number.",
                  "message_zh": "须为 11 位中国大陆手机号码。", "params": {}}
PROJECT = {"name": "字段规则项目", "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
CASES_MAX = 1_000_000_000


def field_problems(response) -> dict:
    """The per-field problems of a 400 invalid_input answer."""
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["message"] and error["message_zh"], error
    return error["details"]["fields"]


def codes(response) -> dict:
    return {path: [problem["code"] for problem in problems] for path, problems in field_problems(response).items()}


@pytest.fixture(scope="module")
def people(client_for):
    """A natural person (claims by SMS code) and a legal person (claims for a delegate)."""
    return {"natural": client_for("liuhaoran"), "legal": client_for("ngdc-legal")}


@pytest.fixture(scope="module")
def claim_routes(people):
    """(client, path, a body valid but for the fields under test) of every route taking a registrant."""
    registrant = {"legacy_name": "刘浩然", "legacy_mobile": "18600001111"}
    return [(people["natural"], "/api/v1/claims/sms-code", registrant),
            (people["natural"], "/api/v1/claims", {**registrant, "sms_code": "123456"}),
            (people["legal"], "/api/v1/institution/claims", {**registrant, "delegate_account": "zhangxiaohan"})]


@pytest.fixture(scope="module")
def draft(client_for):
    """zhangxiaohan's draft backup with one data file: (client, backup path, file path)."""
    zhang = client_for("zhangxiaohan")
    project = zhang.post("/api/v1/projects", json=PROJECT)
    assert project.status_code == 201, project.text
    backup = zhang.post(f"/api/v1/projects/{project.json()['id']}/backups",
                        json={"name": "字段规则备份", "categories": ["wgs"]})
    assert backup.status_code == 201, backup.text
    base = f"/api/v1/backups/{backup.json()['id']}"
    added = zhang.post(f"{base}/files", json=HRA)
    assert added.status_code == 201, added.text
    return zhang, base, f"{base}/files/{added.json()['id']}", project.json()["id"]


@pytest.mark.parametrize("typed", ["138 0013 8000", "+8613800138000", "１３８００１３８０００", "1380013800"])
def test_a_typed_mobile_is_eleven_plain_digits_on_every_route(claim_routes, typed):
    for client, path, body in claim_routes:
        answer = client.post(path, json={**body, "legacy_mobile": typed})
        assert field_problems(answer) == {"legacy_mobile": [MOBILE_PROBLEM]}, (path, answer.text)


def test_a_valid_mobile_passes_the_field_rules(claim_routes):
    # Nobody registered this number on the old platform: refused, but for that reason, not a field's.
    for client, path, body in claim_routes:
        answer = client.post(path, json={**body, "legacy_name": "无此注册人", "legacy_mobile": "13800138000"})
        assert answer.status_code < 500, answer.text
        assert answer.json().get("error", {}).get("code") != "invalid_input", (path, answer.text)


@pytest.mark.parametrize("name, code", [("名" * 201, "length_out_of_range"), ("  ", "length_out_of_range"),
                                        ("a\x07b", "control_characters"), ("line\nbreak", "control_characters")])
def test_a_bad_name_gets_the_same_code_on_every_route(claim_routes, draft, name, code):
    zhang, base, _, project_id = draft
    routes = [(zhang, "POST", "/api/v1/projects", {**PROJECT, "name": name}, "name"),
              (zhang, "POST", f"/api/v1/projects/{project_id}/backups", {"name": name, "categories": ["wgs"]}, "name"),
              (zhang, "PATCH", base, {"name": name}, "name"),
              *((client, "POST", path, {**body, "legacy_name": name}, "legacy_name")
                for client, path, body in claim_routes)]
    for client, method, path, body, field in routes:
        answer = client.request(method, path, json=body)
        assert codes(answer) == {field: [code]}, (method, path, answer.text)
        if code == "length_out_of_range":
            assert field_problems(answer)[field][0]["params"] == {"min": 1, "max": 200}, answer.text


BACKUPS_CASES_PROBLEM = {"code": "out_of_range", "message": f"Must be a whole number from 1 to {CASES_MAX}.",
                         "message_zh": f"须为 1 到 {CASES_MAX} 之间的整数。", "params": {"min": 1, "max": CASES_MAX}}
# What the gateway refused before the limit was shared (outside a 32-bit integer) keeps its answer.
FORMER_CASES_PROBLEM = {"code": "out_of_range",
                        "message": "Must be greater than or equal to 1 and less than or equal to 2147483647.",
                        "message_zh": "须大于或等于 1 且小于或等于 2147483647。",
                        "params": {"min": 1, "max": 2147483647, "min_inclusive": True, "max_inclusive": True}}


@pytest.mark.parametrize("cases, problem", [(CASES_MAX + 1, BACKUPS_CASES_PROBLEM),
                                            (2_147_483_647, BACKUPS_CASES_PROBLEM),
                                            (2_147_483_648, FORMER_CASES_PROBLEM), (0, FORMER_CASES_PROBLEM)])
def test_cases_outside_backups_range_get_one_answer_on_both_file_routes(draft, cases, problem):
    zhang, base, file_path, _ = draft
    for method, path, body in (("POST", f"{base}/files", {**HRA, "cases": cases}),
                               ("PATCH", file_path, {"cases": cases})):
        answer = zhang.request(method, path, json=body)
        assert field_problems(answer) == {"cases": [problem]}, answer.text


def test_the_largest_file_numbers_are_taken(draft):
    zhang, _, file_path, _ = draft
    answer = zhang.request("PATCH", file_path, json={"cases": CASES_MAX, "mb_per_case": 1_000_000_000})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["cases"], answer.json()["mb_per_case"]) == (CASES_MAX, 1_000_000_000)
    too_much = zhang.request("PATCH", file_path, json={"mb_per_case": 1_000_000_001})
    assert codes(too_much) == {"mb_per_case": ["out_of_range"]}, too_much.text


def test_a_username_longer_than_identity_keeps_is_refused_as_identity_refused_it(client_for):
    anyone = client_for()
    for path, headers in (("/api/v1/auth/login", {}), ("/api/v1/auth/session", {"X-HGRIP-CSRF": "1"})):
        answer = anyone.post(path, json={"username": "u" * 101, "password": "whatever"}, headers=headers)
        assert codes(answer) == {"username": ["length_out_of_range"]}, answer.text
        assert field_problems(answer)["username"][0]["params"] == {"min": 1, "max": 100}
