"""The institution's backup list over HTTP: a blank filter is no filter, and the export (CSV, XLSX)
streams every matching row in the caller's scope, with a bilingual header row."""
import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HGRIP = Path(sys.executable).with_name("hgrip")
EXPORT = "/api/v1/institution/backups/export"
LIST = "/api/v1/institution/backups"


@pytest.fixture(scope="module")
def backups(platform, client_for):
    """Drafts of two units (张晓寒: 生物信息研究部, 刘浩然: 数据资源部) and 张晓寒's legacy backups,
    attached to her at her first login (the completed tab)."""
    env = {**os.environ, **platform.env}
    done = subprocess.run([str(HGRIP), "legacy", "import", str(ROOT / "deploy" / "demo-legacy.json"),
                           "--no-progress"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    made = {}
    for username, count in (("zhangxiaohan", 5), ("liuhaoran", 3)):
        person = client_for(username)
        project = person.post("/api/v1/projects", json={
            "name": f"导出测试项目 {username}", "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn",
            "consent": True}).json()
        made[username] = [person.post(f"/api/v1/projects/{project['id']}/backups", json={
            "name": f"=导出 {username} {n}", "categories": ["wgs"]}).json() for n in range(count)]
    legal = client_for("ngdc-legal")
    wait_until(lambda: legal.get(LIST, params={"delegate": "zhangxiaohan"}).json()["total"] > 0,
               message="张晓寒's legacy backups attached")
    return made


def total(client, **query):
    answer = client.get(LIST, params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


def csv_rows(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")   # UTF-8 BOM: Excel reads Chinese
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_a_blank_filter_is_no_filter_on_every_list(backups, client_for):
    legal = client_for("ngdc-legal")
    for path, blank in ((LIST, {"name": "", "status": "  ", "pi": " ", "unit": "", "sort": ""}),
                        ("/api/v1/institution/members", {"name": " ", "role": "", "unit": ""}),
                        ("/api/v1/institution/delegates", {"name": "", "employed": " ", "unit": ""})):
        answer = legal.get(path, params=blank)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["total"] == legal.get(path).json()["total"] > 0
    assert legal.get(LIST, params={"status": "", "name": "导出"}).json()["total"] == 0   # completed tab
    refused = legal.get(LIST, params={"status": "later"})
    assert refused.status_code == 400 and "status" in refused.json()["error"]["details"]["fields"]


def test_the_csv_export_has_every_matching_row_in_the_scope(backups, client_for):
    legal, bio = client_for("ngdc-legal"), client_for("ngdc-bio-admin")
    for client, query in ((legal, {"status": "incomplete"}), (legal, {"status": "incomplete", "name": "导出"}),
                          (legal, {"status": "completed"}), (bio, {"status": "incomplete"}),
                          (legal, {"status": "incomplete", "delegate": "liuhaoran", "sort": "name"})):
        answer = client.get(EXPORT, params={"format": "csv", **query})
        rows = csv_rows(answer)
        assert rows[0][:8] == ["序号 No.", "备份号 Backup number", "备份名称 Backup name", "备案号 Filing numbers",
                               "项目负责人 Principal investigator", "委托人 Delegate",
                               "创建时间 Created (Beijing time)", "提交时间 Submitted (Beijing time)"]
        assert len(rows) - 1 == total(client, **query, page_size=1) > 0, query
        assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(rows))]
    # The unit administrator gets only their unit's drafts: 张晓寒's, none of 刘浩然's.
    delegates = {row[5] for row in csv_rows(bio.get(EXPORT, params={"format": "csv", "status": "incomplete",
                                                                     "name": "导出"}))[1:]}
    assert delegates == {"张晓寒 (zhangxiaohan)"}
    # A name beginning with "=" stays text; the file is an attachment with a UTF-8 name.
    answer = legal.get(EXPORT, params={"format": "csv", "status": "incomplete", "name": "导出", "sort": "name"})
    rows = csv_rows(answer)
    assert rows[1][2].startswith("'=导出 ")
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"backups-") and "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("''", 1)[1]).startswith("备份列表-未完成-")
    assert rows[1][6][:2] == "20" and "T" not in rows[1][6]      # Beijing time, 2026-12-02 14:52:03


def test_the_xlsx_export_opens_with_the_same_rows(backups, client_for, tmp_path):
    legal = client_for("ngdc-legal")
    answer = legal.get(EXPORT, params={"format": "xlsx", "status": "incomplete"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = tmp_path / "export.xlsx"
    path.write_bytes(answer.content)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "备份号 Backup number"
    assert len(rows) - 1 == total(legal, status="incomplete") > 0
    assert {row[5] for row in rows[1:]} >= {"张晓寒 (zhangxiaohan)", "刘浩然 (liuhaoran)"}


def test_export_refusals_are_bilingual_json(backups, client_for):
    legal = client_for("ngdc-legal")
    for query in ({"format": "pdf"}, {}, {"format": "csv", "page": "2"}, {"format": "csv", "sort": "size"}):
        refused = legal.get(EXPORT, params=query)
        assert refused.status_code == 400, (query, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "invalid_input" and error["message_zh"]
    assert legal.get(EXPORT, params={"format": "pdf"}).json()["error"]["details"]["fields"]["format"][0]["message_zh"]
    for username in ("zhangxiaohan", "operator"):
        refused = client_for(username).get(EXPORT, params={"format": "csv"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "institution_admins_only"
    assert client_for().get(EXPORT, params={"format": "csv"}).status_code == 401
