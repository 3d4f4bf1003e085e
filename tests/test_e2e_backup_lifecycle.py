"""The operations manual's whole example over HTTP: project → backup → two data files → the second
verified by a code read from the mail sink → submit → a BF number → HGRG has it."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

PROJECT = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒",
           "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}
MISMATCH_ZH = "提交账号与数据集序列号不匹配"


def received_by_hgrg(platform) -> list[str]:
    response = requests.get(f"{platform.hgrg_url}/api/v1/backups", timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body.get("items", body) if isinstance(body, dict) else body
    return [item["backup_number"] for item in items]


def error_of(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"], error
    return error


def test_the_manual_example_end_to_end(platform, client_for, mailbox):
    zhang = client_for("zhangxiaohan")
    taxonomy = client_for().get("/api/v1/taxonomy").json()
    assert {c["code"] for c in taxonomy["categories"]} == {
        "wgs", "chip", "wes", "targeted", "epigenome", "transcriptome"}

    project = zhang.post("/api/v1/projects", json=PROJECT).json()
    created = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                         json={"name": "三例样本（父母子）的测序数据开放共享备份", "categories": ["targeted"]})
    assert created.status_code == 201, created.text
    backup = created.json()
    assert backup["status"] == "draft" and backup["backup_number"] is None
    base = f"/api/v1/backups/{backup['id']}"

    hra = zhang.post(f"{base}/files", json=HRA)
    assert hra.status_code == 201, hra.text
    assert (hra.json()["repository"], hra.json()["progress"]) == ("GSA-Human", "complete")
    omix = zhang.post(f"{base}/files", json=OMIX)
    assert omix.status_code == 201, omix.text
    omix = omix.json()
    assert (omix["repository"], omix["progress"]) == ("OMIX", "pending_verification")

    error_of(zhang.post(f"{base}/submit"), 409, "files_not_verified")

    sent = zhang.post(f"{base}/files/{omix['id']}/verification-code")
    assert sent.status_code == 202, sent.text
    assert sent.json()["sent_to"] != "zhangxx@big.ac.cn"  # masked
    mail = wait_until(lambda: mailbox.to("zhangxx@big.ac.cn"), message="verification mail")[0]
    assert "数据集验证码" in mail["Subject"]
    text = mailbox.body(mail)
    for expected in ("张晓寒", "OMIX", "OMIX001226", PROJECT["name"], "48"):
        assert expected in text, expected
    code = re.search(r"验证码为[：:]\s*(\d{6})", text).group(1)

    too_soon = zhang.post(f"{base}/files/{omix['id']}/verification-code")
    error_of(too_soon, 429, "code_resend_too_soon")
    assert int(too_soon.headers["Retry-After"]) > 0
    wrong = "000000" if code != "000000" else "111111"
    error_of(zhang.post(f"{base}/files/{omix['id']}/verify", json={"code": wrong}), 400, "verification_code_invalid")
    verified = zhang.post(f"{base}/files/{omix['id']}/verify", json={"code": code})
    assert verified.status_code == 200 and verified.json()["progress"] == "complete", verified.text

    submitted = zhang.post(f"{base}/submit", json={})
    assert submitted.status_code == 200, submitted.text
    backup = submitted.json()
    beijing_today = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y%m%d")
    assert re.fullmatch(rf"BF{beijing_today}\d{{5}}", backup["backup_number"]), backup["backup_number"]
    assert (backup["status"], backup["file_count"], backup["total_mb"]) == ("completed", 2, 50 * 2000 + 10 * 5)

    number = backup["backup_number"]
    wait_until(lambda: number in received_by_hgrg(platform), timeout=20, message="HGRG has the number")
    assert received_by_hgrg(platform).count(number) == 1
    sync = wait_until(lambda: (lambda s: s if s["state"] == "synced" else None)(zhang.get(f"{base}/sync").json()),
                      message="sync state synced")
    assert sync["synced_at"] and sync["attempts"] >= 1

    listed = zhang.get(f"/api/v1/projects/{project['id']}/backups").json()
    assert [(b["backup_number"], b["file_count"]) for b in listed["items"]] == [(number, 2)]

    history = zhang.get(f"{base}/history").json()["items"]
    kinds = [entry["event_type"] for entry in history]
    assert kinds[0] == "BackupCreated" and kinds[-1] == "BackupSubmitted"
    assert kinds.count("DataFileAdded") == 2 and "DataFileVerified" in kinds
    assert all(entry["actor_name"] == "张晓寒" for entry in history if entry["event_type"] != "DataFileVerified")
    assert all(entry["correlation_id"] and entry["summary_zh"] and entry["summary_en"] for entry in history)
    assert "zhangxx@big.ac.cn" not in json.dumps(history)

    # Locked: only each file's cases and MB per case may still be corrected.
    error_of(zhang.post(f"{base}/files", json={**HRA, "accession": "HRA000568"}), 409, "backup_locked")
    error_of(zhang.request("PATCH", base, json={"name": "改名"}), 409, "backup_locked")
    error_of(zhang.request("DELETE", f"{base}/files/{omix['id']}"), 409, "backup_locked")
    error_of(zhang.request("PATCH", f"{base}/files/{omix['id']}", json={"accession": "OMIX001227"}),
             409, "backup_locked")
    corrected = zhang.request("PATCH", f"{base}/files/{omix['id']}", json={"cases": 12, "mb_per_case": 6})
    assert corrected.status_code == 200 and corrected.json()["cases"] == 12, corrected.text
    assert zhang.get(base).json()["total_mb"] == 50 * 2000 + 12 * 6
    assert received_by_hgrg(platform).count(number) == 1  # a correction is no new backup


def test_every_refusal_says_why_and_changes_nothing(platform, client_for):
    zhang = client_for("zhangxiaohan")
    project = zhang.post("/api/v1/projects", json={**PROJECT, "name": "拒绝测试项目"}).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                        json={"name": "拒绝测试", "categories": ["targeted"]}).json()
    base = f"/api/v1/backups/{backup['id']}"

    mismatch = error_of(zhang.post(f"{base}/files", json={**HRA, "submission_account": "zhangxx@big.ac.cn"}),
                        400, "dataset_account_mismatch")
    assert mismatch["message_zh"] == MISMATCH_ZH
    unknown = error_of(zhang.post(f"{base}/files", json={**HRA, "accession": "HRA999998"}),
                       400, "dataset_account_mismatch")
    assert unknown["message_zh"] == MISMATCH_ZH
    error_of(zhang.post(f"{base}/files", json={**HRA, "accession": "HRA00567"}), 400, "accession_format_invalid")
    error_of(zhang.post(f"{base}/files", json={**HRA, "detailed_type": "chip_raw", "accession": "OMIX001226"}),
             400, "detailed_type_not_allowed")
    error_of(zhang.post(f"{base}/files", json={**HRA, "cases": 0}), 400, "invalid_input")
    error_of(zhang.post(f"{base}/files", json={**HRA, "mb_per_case": 0}), 400, "invalid_input")
    error_of(zhang.post(f"{base}/files", json={**HRA, "submission_account": "not-an-email"}), 400, "invalid_input")
    assert zhang.get(base).json()["file_count"] == 0

    assert zhang.post(f"{base}/files", json=HRA).status_code == 201
    error_of(zhang.post(f"{base}/files", json=HRA), 409, "accession_already_in_backup")
    stranded = error_of(zhang.request("PATCH", base, json={"categories": ["chip"]}), 409,
                        "category_change_strands_files")
    assert [f["accession"] for f in stranded["details"]["files"]] == ["HRA000567"]
    assert zhang.get(base).json()["categories"] == ["targeted"]
    empty = zhang.post(f"/api/v1/projects/{project['id']}/backups", json={"name": "空备份", "categories": ["wgs"]})
    error_of(zhang.post(f"/api/v1/backups/{empty.json()['id']}/submit"), 409, "backup_has_no_files")

    # Someone else's backup does not exist for them.
    wang = client_for("wangyuqing")
    error_of(wang.get(base), 404, "backup_not_found")
    error_of(wang.post(f"{base}/submit"), 404, "backup_not_found")
