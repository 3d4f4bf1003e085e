"""The manual's institution screens over HTTP (法人/单位管理员): the backup list and its filters,
the backup detail, the member and delegate lists (the 张晓寒 row), the filing-volume warning, and
a delegation transfer that HGRG hears of."""
import pytest
import requests

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

INSTITUTION = "国家基因组科学数据中心测试"
PROJECT = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒",
           "pi_email": "data-admin@big.ac.cn", "consent": True}
BACKUP = {"name": "三例样本（父母子）的测序数据开放共享备份",
          "categories": ["wgs", "chip", "wes", "targeted", "epigenome", "transcriptome"]}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}


@pytest.fixture(scope="module")
def manual(platform, client_for, mailbox):
    """张晓寒's project with the manual's submitted backup (two files) and two drafts."""
    zhang = client_for("zhangxiaohan")
    project = zhang.post("/api/v1/projects", json=PROJECT).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups", json=BACKUP).json()
    base = f"/api/v1/backups/{backup['id']}"
    assert zhang.post(f"{base}/files", json=HRA).status_code == 201
    omix = zhang.post(f"{base}/files", json=OMIX).json()
    assert zhang.post(f"{base}/files/{omix['id']}/verification-code").status_code == 202
    code = wait_until(lambda: mailbox.latest_code("zhangxx@big.ac.cn"), message="the e-mailed code")
    assert zhang.post(f"{base}/files/{omix['id']}/verify", json={"code": code}).status_code == 200
    submitted = zhang.post(f"{base}/submit").json()
    drafts = [zhang.post(f"/api/v1/projects/{project['id']}/backups",
                         json={"name": f"未完成备份 {n}", "categories": ["targeted"]}).json() for n in (1, 2)]
    return {"zhang": zhang, "project": project, "backup": submitted, "drafts": drafts}


def test_the_delegate_list_shows_the_manual_row_for_zhang(client_for, manual):
    legal = client_for("ngdc-legal")
    answer = legal.get("/api/v1/institution/delegates", params={"name": "张晓寒"})
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["items"]
    # 张晓寒 | 国家基因组科学数据中心测试 | 自然人 | 1 | 已完成: 1; 未完成: 2; | 在职
    assert (row["name"], row["institution"]["name"], row["role"], row["project_count"],
            row["backups_completed"], row["backups_incomplete"], row["employed"]) == \
        ("张晓寒", INSTITUTION, "natural_person", 1, 1, 2, True)
    # The unit admin of 生物信息研究部 sees the same row; the other unit's admin does not.
    assert [r["username"] for r in client_for("ngdc-bio-admin").get(
        "/api/v1/institution/delegates", params={"name": "张晓寒"}).json()["items"]] == ["zhangxiaohan"]
    assert client_for("ngdc-data-admin").get("/api/v1/institution/delegates",
                                             params={"name": "张晓寒"}).json()["items"] == []


def test_the_backup_list_tabs_filters_and_detail_as_in_the_manual(client_for, manual):
    legal = client_for("ngdc-legal")
    number = manual["backup"]["backup_number"]
    completed = legal.get("/api/v1/institution/backups", params={"status": "completed"}).json()
    [row] = [item for item in completed["items"] if item["backup_number"] == number]
    # 备份号 | 备份名称 | 备案号 | 项目负责人 | 委托人 | 创建时间
    assert (row["name"], row["filing_numbers"], row["pi_name"], row["delegate"]["name"]) == \
        (BACKUP["name"], [], "刘晓寒", "张晓寒")
    incomplete = legal.get("/api/v1/institution/backups", params={"status": "incomplete"}).json()
    assert {d["id"] for d in manual["drafts"]} <= {item["id"] for item in incomplete["items"]}
    for query in ({"backup_number": number}, {"backup_number": number[:10]}, {"delegate": "张晓寒"},
                  {"pi": "刘晓寒"}, {"name": "三例样本"}):
        found = legal.get("/api/v1/institution/backups", params=query).json()
        assert number in [item["backup_number"] for item in found["items"]], query
    nothing = legal.get("/api/v1/institution/backups", params={"delegate": "王雨晴"}).json()
    assert number not in [item["backup_number"] for item in nothing["items"]]
    bad = legal.get("/api/v1/institution/backups", params={"status": "finished", "page": 0})
    problems = bad.json()["error"]["details"]["fields"]
    assert bad.status_code == 400 and {"status", "page"} <= set(problems)
    assert problems["status"][0]["code"] == "not_one_of" and problems["page"][0]["code"] == "too_small"

    detail = legal.get(f"/api/v1/institution/backups/{row['id']}")
    assert detail.status_code == 200, detail.text
    detail = detail.json()
    assert detail["project"]["name"] == PROJECT["name"]
    assert (detail["backup_number"], detail["name"], detail["file_count"], detail["status"]) == \
        (number, BACKUP["name"], 2, "completed")
    assert detail["total_mb"] == 50 * 2000 + 10 * 5
    assert (detail["pi_name"], detail["pi_email"]) == ("刘晓寒", "data-admin@big.ac.cn")
    assert detail["delegate"]["name"] == "张晓寒"
    assert detail["delegate"]["authorised_at"].startswith("2023-06-27T03:26:27")  # 11:26:27 Beijing
    assert detail["institution"]["name"] == INSTITUTION
    assert detail["categories"] == BACKUP["categories"]
    assert [(f["detailed_type"], f["cases"], f["mb_per_case"], f["accession"]) for f in detail["files"]] == \
        [("raw_sequencing", 50, 2000, "HRA000567"), ("analysis_statistics", 10, 5, "OMIX001226")]


def test_members_list_by_scope(client_for, manual):
    legal = client_for("ngdc-legal").get("/api/v1/institution/members", params={"page_size": 100}).json()
    rows = {item["username"]: item for item in legal["items"]}
    assert rows["zhangxiaohan"]["role"] == "natural_person"
    assert rows["ngdc-legal"]["role"] == "legal_person"
    assert rows["liuhaoran"]["unit"]["name"] == "数据资源部"
    assert "sunlijuan" not in rows and "operator" not in rows
    assert legal["total"] == len(rows)
    paged = client_for("ngdc-legal").get("/api/v1/institution/members", params={"page_size": 2, "page": 2}).json()
    assert paged["total"] == legal["total"] and len(paged["items"]) == 2


def test_a_filing_over_its_declared_volume_warns_the_institution(platform, client_for, manual):
    number = manual["backup"]["backup_number"]
    wait_until(lambda: number in requests.get(f"{platform.hgrg_url}/api/v1/backups", timeout=10).text,
               timeout=30, message="HGRG has the number")
    filed = requests.post(f"{platform.hgrg_url}/control/filings", timeout=60, json={
        "backup_numbers": [number], "declared_mb": 500, "recipient": "Pacific Genomics Ltd (US)"})
    assert filed.status_code == 201, filed.text
    filing_number = filed.json()["filing_number"]
    legal = client_for("ngdc-legal")
    found = legal.get("/api/v1/institution/backups", params={"filing_number": filing_number}).json()
    [row] = found["items"]
    assert row["backup_number"] == number and row["filing_numbers"] == [filing_number]
    assert row["filing_warning"] is True
    detail = legal.get(f"/api/v1/institution/backups/{row['id']}").json()
    assert detail["filings"][0]["exceeds_declared"] is True and detail["warnings"]


def test_a_delegation_transfer_moves_everything_and_hgrg_hears_of_it(platform, client_for, manual):
    admin = client_for("ngdc-bio-admin")
    moved = admin.post("/api/v1/institution/delegations",
                       json={"from_account": "zhangxiaohan", "to_account": "wangyuqing"})
    assert moved.status_code == 200, moved.text
    assert len(moved.json()["backups"]) == 3 and moved.json()["project_ids"] == [manual["project"]["id"]]
    wang, zhang = client_for("wangyuqing"), manual["zhang"]
    backup_id = manual["backup"]["id"]
    assert wang.get(f"/api/v1/backups/{backup_id}").status_code == 200
    assert zhang.get(f"/api/v1/backups/{backup_id}").status_code == 404
    assert wang.get(f"/api/v1/projects/{manual['project']['id']}").status_code == 200
    assert zhang.get(f"/api/v1/projects/{manual['project']['id']}").status_code == 404
    history = wang.get(f"/api/v1/backups/{backup_id}/history").json()["items"]
    assert history[-1]["event_type"] == "BackupDelegated" and history[-1]["actor_name"] == "李文博"
    number = manual["backup"]["backup_number"]

    def hgrg_owner():
        answer = requests.get(f"{platform.hgrg_url}/api/v1/backups/{number}/owner", timeout=10)
        return answer.json() if answer.status_code == 200 else None
    owner = wait_until(hgrg_owner, timeout=30, message="HGRG told the new owner")
    assert owner["owner_username"] == "wangyuqing"
    row = client_for("ngdc-legal").get("/api/v1/institution/delegates", params={"name": "王雨晴"}).json()["items"][0]
    assert (row["project_count"], row["backups_completed"], row["backups_incomplete"]) == (1, 1, 2)
