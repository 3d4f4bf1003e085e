"""The institution's screens (法人/单位管理员) in Chromium: the menu, 备份列表 (tabs, filters and sort in
the address, the export opened and its rows counted), 备份详细信息, 成员列表, 委托调整 with 张晓寒's
row as the manual shows it and a delegation done in the dialog then seen by both people, a unit
administrator who does not see the other unit's backups, an institution's 备份认领 (and one across
institutions refused, naming both), and the same screens in English.

Accounts: 张晓寒 (zhangxiaohan: the manual's project, set up over the API, later delegated to 王雨晴
(wangyuqing) in the dialog), the legal person ngdc-legal, the unit administrators ngdc-bio-admin and
ngdc-data-admin, 刘浩然 (liuhaoran: receives his legacy backups by the institution's claim)."""
import csv
import io
import re
from urllib.parse import parse_qs, urlparse

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
ZHANG_LEGACY = ("BF2021031500012", "BF2022110800047")       # attached to 张晓寒 by the demo import
LIU_LEGACY_NAME, LIU_LEGACY_MOBILE, LIU_LEGACY_NUMBER = "刘浩然", "18600001111", "BF2020120100005"


@pytest.fixture(scope="module")
def manual(web_platform, client_class):
    """张晓寒's project with the manual's submitted backup (two files) and two drafts, over the API."""
    zhang = client_class(web_platform.gateway_url, "zhangxiaohan")
    project = zhang.post("/api/v1/projects", json=PROJECT).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups", json=BACKUP).json()
    base = f"/api/v1/backups/{backup['id']}"
    assert zhang.post(f"{base}/files", json=HRA).status_code == 201
    omix = zhang.post(f"{base}/files", json=OMIX).json()
    assert zhang.post(f"{base}/files/{omix['id']}/verification-code").status_code == 202
    return {"zhang": zhang, "project": project, "backup": backup, "base": base, "omix": omix}


def mailed_code(platform, address: str) -> str:
    """The newest code mailed to ``address``, read on the mail sink's inbox page (newest first)."""
    def code():
        inbox = requests.get(platform.mail_url, params={"to": address}, timeout=10).text
        found = re.search(r"验证码为[：:]\s*(\d{6})", inbox)
        return found.group(1) if found else None
    return wait_until(code, timeout=30, interval=1, message=f"a code mailed to {address}")


@pytest.fixture(scope="module")
def submitted(manual, web_platform):
    """The manual's backup submitted (its second file verified with the code from the mail sink)."""
    code = mailed_code(web_platform, "zhangxx@big.ac.cn")
    zhang, base = manual["zhang"], manual["base"]
    assert zhang.post(f"{base}/files/{manual['omix']['id']}/verify", json={"code": code}).status_code == 200
    done = zhang.post(f"{base}/submit").json()
    for n in (1, 2):
        assert zhang.post(f"/api/v1/projects/{manual['project']['id']}/backups",
                          json={"name": f"未完成备份 {n}", "categories": ["targeted"]}).status_code == 201
    return {**manual, "number": done["backup_number"]}


def row_cells(row) -> list[str]:
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def headers(page) -> list[str]:
    """The column headers of the institution's backup list."""
    return [h.strip() for h in page.locator("[data-test=institution-backups] .el-table__header th").all_inner_texts()]


def answered(table):
    """A list once its request has answered: Element Plus's v-loading mask is on the table from its
    first drawing while the request is out, and gone after (an empty list says 暂无数据 and 共 0 条
    before its answer as after it)."""
    table.wait_for()
    table.locator(".el-loading-mask").wait_for(state="detached")


def choose(page, scope, label: str, option: str):
    """Element Plus's select: click through to its input, pick the option in the popper."""
    scope.get_by_label(label).click(force=True)
    page.get_by_role("option", name=option, exact=True).click()


def test_the_menu_the_backup_list_and_a_backups_detail(browsing, submitted):
    page = browsing.page("zh")
    browsing.log_in(page, "ngdc-legal")
    for item in ("操作指南", "成员列表", "备份列表", "委托调整", "备份认领"):
        browsing.nav_link(page, item).wait_for()
    assert browsing.nav_link(page, "项目列表").count() == 0

    browsing.nav_link(page, "备份列表").click()
    page.wait_for_url(re.compile(r"/institution/backups$"))
    number = submitted["number"]
    page.locator("[data-test=institution-backups] tbody tr").first.wait_for()
    assert headers(page) == ["序号", "备份号", "备份名称", "备案号", "项目负责人", "委托人", "创建时间"]
    row = page.locator("tbody tr", has_text=number)
    row.wait_for()
    cells = row_cells(row)
    assert cells[1:6] == [number, BACKUP["name"], "", "刘晓寒", "张晓寒"], cells
    for legacy in ZHANG_LEGACY:
        page.locator("tbody tr", has_text=legacy).wait_for()
    page.get_by_text(re.compile(r"共 \d+ 条")).wait_for()
    browsing.screenshot(page, "zh", "institution-backups")

    # a filter and the other tab live in the address: a reload keeps them
    page.get_by_role("textbox", name="备份名称").fill("测序数据开放共享")
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(r"name="))
    wait_until(lambda: page.locator("[data-test=institution-backups] tbody tr").count() == 1, message="one row found")
    page.locator("tbody tr").filter(has_text=number).wait_for()
    page.reload()
    assert page.get_by_role("textbox", name="备份名称").input_value() == "测序数据开放共享"
    page.locator("tbody tr").filter(has_text=number).wait_for()
    page.get_by_role("tab", name="未完成备份列表").click()
    page.wait_for_url(re.compile(r"status=incomplete"))
    page.get_by_text("暂无数据").wait_for()                       # the drafts are not named so
    page.go_back()
    page.locator("tbody tr").filter(has_text=number).wait_for()
    page.get_by_role("button", name="重置", exact=True).click()
    page.wait_for_url(re.compile(r"/institution/backups$"))
    # the unfiltered page replaces the filtered one when it arrives: until then the one row shown
    # (the new backup alone) would pass for sorted below
    for legacy in ZHANG_LEGACY:
        page.locator("tbody tr", has_text=legacy).wait_for()

    # sorted by 备份号, oldest number first: the legacy ones come before the new one
    page.locator(".el-table__header th", has_text="备份号").locator(".caret-wrapper .ascending").click()
    page.wait_for_url(re.compile(r"sort=backup_number"))
    # the sorted page replaces the shown one when it arrives: wait for it rather than read the old rows
    def sorted_numbers() -> list[str] | None:
        numbers = [n.strip() for n in page.locator("tbody tr td:nth-child(2)").all_inner_texts()]
        return numbers if numbers == sorted(numbers) and number in numbers else None
    wait_until(sorted_numbers, message="the rows sorted by 备份号")

    # 备份详细信息
    page.get_by_role("link", name=number, exact=True).click()
    page.wait_for_url(re.compile(r"/institution/backups/[^/?]+$"))
    page.get_by_role("heading", name="基本信息").wait_for()
    basic = page.locator("[data-test=basic]").inner_text()
    for value in ("项目名称", PROJECT["name"], "备份编号", number, "文件数", "2", "总大小", "完成情况", "已完成",
                  "项目负责人", "刘晓寒", "联系方式", "data-admin@big.ac.cn", "委托人", "张晓寒",
                  "授权时间", "2023-06-27 11:26:27", "单位信息", INSTITUTION, "涉及内容", "全基因组测序相关数据"):
        assert value in basic, (value, basic)
    files = page.locator("[data-test=files] tbody tr")
    assert row_cells(files.nth(0))[1:] == ["组学原始测序数据", "50", "2000", "HRA000567"]
    assert row_cells(files.nth(1))[1:] == ["各类统计与分析数据", "10", "5", "OMIX001226"]
    # below the filings, its history (the delegate's timeline, newest first): the submission by 张晓寒
    history = page.locator("[data-test=backup-history]")
    history.get_by_role("heading", name="备份记录").wait_for()
    submitted_line = history.locator(".el-timeline-item", has_text=f"提交备份，获得备份号 {number}")
    submitted_line.wait_for()
    assert "张晓寒" in submitted_line.inner_text()
    assert "创建备份" in history.locator(".el-timeline-item").last.inner_text()
    browsing.screenshot(page, "zh", "institution-backup-detail")

    browsing.nav_link(page, "成员列表").click()
    for column in ("序号", "姓名", "角色", "单位"):
        page.get_by_role("columnheader", name=column, exact=True).wait_for()
    page.locator("tbody tr", has_text="张晓寒").wait_for()
    page.get_by_label("姓名").fill("张晓寒")
    page.get_by_role("button", name="查询", exact=True).click()
    page.get_by_text("共 1 条").wait_for()
    browsing.screenshot(page, "zh", "institution-members")


def test_the_export_has_every_matching_row(browsing, api, submitted):
    legal = api("ngdc-legal")
    total = legal.get("/api/v1/institution/backups").json()["total"]
    page = browsing.page("zh")
    browsing.log_in(page, "ngdc-legal")
    browsing.nav_link(page, "备份列表").click()
    link = page.locator("[data-test=export-csv]")
    link.wait_for()
    assert parse_qs(urlparse(link.get_attribute("href")).query)["format"] == ["csv"]
    with page.expect_download() as download:
        link.click()
    data = download.value.path().read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == total + 1                                  # the header row, then every backup
    assert any(submitted["number"] in row for row in rows)
    # filtered: only what the list shows
    page.get_by_role("textbox", name="备份号").fill(submitted["number"])
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(r"backup_number="))
    with page.expect_download() as download:
        page.locator("[data-test=export-csv]").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 2 and submitted["number"] in rows[1]


def test_zhangs_row_then_a_delegation_seen_by_both(browsing, api, submitted):
    legal = api("ngdc-legal")
    counted = legal.get("/api/v1/institution/delegates", params={"name": "张晓寒"}).json()["items"][0]
    assert (counted["project_count"], counted["backups_incomplete"]) == (1, 2)
    page = browsing.page("zh")
    browsing.log_in(page, "ngdc-legal")
    browsing.nav_link(page, "委托调整").click()
    for column in ("序号", "委托人", "单位", "角色", "项目数", "备份数", "状态", "操作"):
        page.get_by_role("columnheader", name=column, exact=True).wait_for()
    row = page.locator("[data-test=delegates] tbody tr", has_text="张晓寒")
    row.wait_for()
    cells = row_cells(row)
    # the manual's row: 张晓寒 | 国家基因组科学数据中心测试 | 自然人 | 1 | 已完成: 1; 未完成: 2; | 在职 | 委托调整
    # (here 已完成 also counts the two legacy backups the demo import attached to her)
    assert cells[1] == "张晓寒" and INSTITUTION in cells[2]
    counts = f"已完成: {counted['backups_completed']}; 未完成: 2;"
    assert cells[3:8] == ["自然人", "1", counts, "在职", "委托调整"], cells
    browsing.screenshot(page, "zh", "institution-delegation")

    row.get_by_role("button", name="委托调整").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("名下的全部备份").wait_for()
    dialog.get_by_label("新委托人").click(force=True)
    # the candidates load when the dialog opens: read the list once it has arrived (all at once)
    page.get_by_role("option", name="王雨晴（生物信息研究部）", exact=True).wait_for()
    offered = [o.strip() for o in page.get_by_role("option").all_inner_texts() if o.strip()]
    assert not any(o.startswith(("张晓寒", "李文博", "陈静怡")) for o in offered), offered
    page.get_by_role("option", name="王雨晴（生物信息研究部）", exact=True).click()
    browsing.screenshot(page, "zh", "institution-delegation-dialog")
    dialog.get_by_role("button", name="确定", exact=True).click()
    confirm = page.locator(".delegation-confirm")
    confirm.get_by_text("确定将 张晓寒 名下的全部备份和项目移交给 王雨晴？").wait_for()
    confirm.get_by_role("button", name="确定", exact=True).click()
    done = page.locator("[data-test=delegation-done]")
    done.wait_for()
    assert "委托调整完成" in done.inner_text() and "王雨晴" in done.inner_text()
    assert submitted["number"] in done.inner_text()
    browsing.screenshot(page, "zh", "institution-delegation-done")
    dialog.get_by_role("button", name="关闭", exact=True).click()
    wait_until(lambda: "已完成: 0; 未完成: 0;" in page.locator("tbody tr", has_text="张晓寒").inner_text(),
               message="张晓寒's row emptied")

    # both people see it: 王雨晴 has the project, 张晓寒 no longer
    wang = browsing.page("zh")
    browsing.log_in(wang, "wangyuqing")
    browsing.nav(wang, "zh", "projects")
    wang.locator("tbody tr", has_text=PROJECT["name"]).wait_for()
    zhang = browsing.page("zh")
    browsing.log_in(zhang, "zhangxiaohan")
    browsing.nav(zhang, "zh", "projects")
    zhang.get_by_text("暂无数据").first.wait_for()
    assert zhang.locator("tbody tr", has_text=PROJECT["name"]).count() == 0


def test_a_unit_administrator_sees_only_their_unit(browsing, watch, submitted):
    watch.allow(404, r"/api/v1/institution/backups/[^/]+$")
    page = browsing.page("zh")
    browsing.log_in(page, "ngdc-data-admin")                  # 数据资源部: the manual's backup is 生物信息研究部's
    browsing.nav_link(page, "备份列表").click()
    unit = page.locator("[data-test=unit-filter]")
    assert "数据资源部" in unit.inner_text()
    assert page.locator("[data-test=unit-filter] .is-disabled").count() >= 1
    page.get_by_text(re.compile(r"共 \d+ 条")).wait_for()
    answered(page.locator("[data-test=institution-backups]"))     # not the empty table drawn before
    body = page.locator("[data-test=institution-backups]").inner_text()
    assert submitted["number"] not in body and not any(n in body for n in ZHANG_LEGACY)
    browsing.screenshot(page, "zh", "institution-backups-unit-admin")
    page.goto(f"/institution/backups/{submitted['backup']['id']}")   # typed: outside the scope is absent
    page.get_by_role("alert").filter(has_text="加载失败").wait_for()
    assert page.locator("[data-test=basic]").count() == 0

    bio = browsing.page("zh")
    browsing.log_in(bio, "ngdc-bio-admin")
    browsing.nav_link(bio, "备份列表").click()
    bio.locator("tbody tr", has_text=submitted["number"]).wait_for()

    # a natural person typing an institution page is refused, not shown an empty table
    zhang = browsing.page("zh")
    browsing.log_in(zhang, "zhangxiaohan")
    assert browsing.nav_link(zhang, "备份列表").count() == 0
    zhang.goto("/institution/backups")
    zhang.get_by_text("您无权查看此页面。").wait_for()
    assert zhang.locator("table").count() == 0


def test_an_institution_claim_and_one_across_institutions(browsing, watch, api):
    watch.allow(409, r"/api/v1/institution/claims$")
    page = browsing.page("zh")
    browsing.log_in(page, "ngdc-legal")
    browsing.nav_link(page, "备份认领").click()
    page.get_by_text("认领须知").wait_for()
    for rule in ("不支持跨单位（公司）认领", "个别字不同", "不可再次认领"):
        page.get_by_text(rule, exact=False).first.wait_for()
    mobile = page.get_by_label("旧系统注册手机号")
    assert re.search(r"0\s*/\s*11", page.locator(".el-form-item", has=mobile).inner_text())

    # across institutions: 赵明辉's old backups are 华东医学遗传研究院测试's
    page.get_by_label("旧系统注册人姓名").fill("赵明辉")
    mobile.fill("17755556666")
    choose(page, page, "新委托人", "刘浩然（数据资源部）")
    page.get_by_role("button", name="提交", exact=True).click()
    refusal = page.locator("[data-test=refusal]")
    refusal.wait_for()
    assert "华东医学遗传研究院测试" in refusal.inner_text() and INSTITUTION in refusal.inner_text()
    browsing.screenshot(page, "zh", "institution-claim-refused")

    page.get_by_role("button", name="重置", exact=True).click()
    page.get_by_label("旧系统注册人姓名").fill(LIU_LEGACY_NAME)
    mobile.fill(LIU_LEGACY_MOBILE)
    choose(page, page, "新委托人", "刘浩然（数据资源部）")
    page.get_by_role("button", name="提交", exact=True).click()
    claimed = page.locator("[data-test=claimed]")
    claimed.wait_for()
    assert LIU_LEGACY_NUMBER in claimed.inner_text() and "刘浩然" in claimed.inner_text()
    browsing.screenshot(page, "zh", "institution-claim-done")
    assert api("liuhaoran").get("/api/v1/projects").status_code == 200
    listed = api("ngdc-legal").get("/api/v1/institution/backups", params={"backup_number": LIU_LEGACY_NUMBER}).json()
    assert [i["delegate"]["username"] for i in listed["items"]] == ["liuhaoran"]


def test_the_institution_screens_in_english(browsing, submitted):
    page = browsing.page("en")
    browsing.log_in(page, "ngdc-legal", lang="en")
    for item in ("Operation guide", "Members", "Backups", "Delegation", "Claim backups"):
        browsing.nav_link(page, item).wait_for()

    browsing.nav_link(page, "Backups").click()
    page.wait_for_url(re.compile(r"/institution/backups$"))
    page.locator("[data-test=institution-backups] tbody tr").first.wait_for()
    assert headers(page) == ["No.", "Backup number", "Backup name", "Filing number", "Principal investigator",
                             "Delegate", "Created"]
    page.get_by_role("tab", name="Completed backups").wait_for()
    page.get_by_text(re.compile(r"Total \d+")).wait_for()
    page.get_by_role("link", name="Export CSV").wait_for()
    browsing.screenshot(page, "en", "institution-backups")
    page.get_by_role("link", name=submitted["number"], exact=True).click()
    page.get_by_role("heading", name="Basic information").wait_for()
    for label in ("Project name", "Backup number", "Total size", "Delegate", "Authorised at"):
        page.locator("[data-test=basic]").get_by_text(label, exact=True).wait_for()
    page.locator("[data-test=backup-history] .el-timeline-item",
                 has_text=f"Submitted the backup: backup number {submitted['number']}").wait_for()
    browsing.screenshot(page, "en", "institution-backup-detail")

    browsing.nav_link(page, "Members").click()
    for column in ("No.", "Name", "Role", "Unit"):
        page.get_by_role("columnheader", name=column, exact=True).wait_for()
    page.get_by_text("Natural person").first.wait_for()
    browsing.screenshot(page, "en", "institution-members")

    browsing.nav_link(page, "Delegation").click()
    for column in ("Delegate", "Unit", "Role", "Projects", "Backups", "State", "Actions"):
        page.get_by_role("columnheader", name=column, exact=True).wait_for()
    page.get_by_role("button", name="Adjust delegation").first.wait_for()
    page.get_by_text(re.compile(r"Completed: \d+; incomplete: \d+;")).first.wait_for()
    browsing.screenshot(page, "en", "institution-delegation")

    browsing.nav_link(page, "Claim backups").click()
    page.get_by_text("About claiming").wait_for()
    for label in ("Old-system registrant's name", "Old-system registrant's mobile", "New delegate"):
        page.get_by_label(label).first.wait_for()
    page.get_by_role("button", name="Submit", exact=True).wait_for()
    browsing.screenshot(page, "en", "institution-claim")
