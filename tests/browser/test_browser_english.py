"""The same screens in English: a browser that prefers English gets them in English (labels, buttons,
Element Plus's own "Total N" paging), with no Chinese left on the page but the data's own values;
the header's switch turns the page Chinese and the choice is remembered.

Accounts: 王雨晴 (wangyuqing) creates one project with one backup and one file (HRA004411)."""
import re

import pytest

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# Data, not interface: the person's name and institution in the header; and the language switch,
# which names the other language in that language.
DATA_VALUES = ("王雨晴", "国家基因组科学数据中心测试", "生物信息研究部", "中文")
PROJECT, BACKUP = "Colorectal cancer targeted sequencing", "Colorectal targeted sequencing backup"


def no_chinese_interface(page, screen: str):
    text = page.locator("body").inner_text()
    for value in DATA_VALUES:
        text = text.replace(value, "")
    leftover = sorted(set(CJK.findall(text)))
    assert not leftover, f"Chinese interface text left on the English {screen} page: {''.join(leftover)}\n{text}"


def action(scope, name: str):
    return scope.locator("a, button").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))


def test_the_screens_in_english(browsing):
    page = browsing.page("en")
    page.goto("/login")
    page.get_by_role("button", name="中文").wait_for()           # the switch names the other language
    no_chinese_interface(page, "login")
    browsing.log_in(page, "wangyuqing", lang="en", at=None)
    for item in ("Operation guide", "Projects", "New project", "Claim backups"):
        browsing.nav_link(page, item).wait_for()
    page.get_by_role("button", name="Log out").wait_for()
    # the repositories' table is filled from the taxonomy, asked when the guide opens: check it filled
    page.get_by_role("cell", name="Omics raw sequencing data", exact=True).wait_for()
    no_chinese_interface(page, "guide")
    browsing.screenshot(page, "en", "guide")

    browsing.nav(page, "en", "new_project")
    page.get_by_label("Project name").fill(PROJECT)
    page.get_by_label("Principal investigator").fill("Wang Yuqing")
    page.get_by_label("PI e-mail").fill("data-admin@big.ac.cn")
    assert page.get_by_label("Institution").is_disabled()
    page.get_by_text("I have read and agree to the above").click()
    no_chinese_interface(page, "new project")
    browsing.screenshot(page, "en", "new-project")
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(re.compile(r"/projects$"))     # the project list, as the manual says
    for column in ("No.", "Project name", "Principal investigator", "Created", "Actions"):
        page.get_by_role("columnheader", name=column, exact=True).wait_for()
    page.get_by_text("Total 1", exact=True).wait_for()           # Element Plus's paging, in English
    no_chinese_interface(page, "projects")
    browsing.screenshot(page, "en", "projects")

    action(page.locator("tbody tr", has_text=PROJECT), "View").click()
    page.wait_for_url(re.compile(r"/projects/[^/]+$"))
    page.get_by_text("Principal investigator: Wang Yuqing, e-mail: data-admin@big.ac.cn").wait_for()
    page.get_by_text("No data").first.wait_for()
    page.get_by_role("button", name="Add", exact=True).click()
    dialog = page.get_by_role("dialog", name="Add backup")
    dialog.get_by_label("Backup name").fill(BACKUP)
    dialog.get_by_text("Targeted genome sequencing data", exact=True).click()
    no_chinese_interface(page, "add backup")
    browsing.screenshot(page, "en", "add-backup")
    dialog.get_by_role("button", name="Submit").click()
    dialog.wait_for(state="hidden")
    row = page.locator("tbody tr", has_text=BACKUP)
    row.wait_for()
    assert "Incomplete" in row.inner_text()
    no_chinese_interface(page, "backups")
    browsing.screenshot(page, "en", "backups")

    action(row, "Add files").click()
    page.wait_for_url(re.compile(r"/backups/[^/]+$"))
    page.get_by_text("Content: Targeted genome sequencing data", exact=True).wait_for()
    page.get_by_role("button", name="Add regular file").click()
    dialog = page.get_by_role("dialog", name="Add regular data")
    dialog.get_by_label("Detailed type").click(force=True)
    options = page.get_by_role("option")
    options.first.wait_for()
    assert [o.strip() for o in options.all_inner_texts()] == [
        "Omics raw sequencing data", "Nucleic-acid sequence biomarkers", "Other nucleic-acid biomarkers",
        "Statistics and analysis data"]
    page.get_by_role("option", name="Omics raw sequencing data").click()
    assert re.search(r"Submit data of this type to the\s*GSA-Human\s*repository", dialog.inner_text())
    dialog.get_by_label("Total cases").fill("12")
    dialog.get_by_label("Size (MB/case)").fill("300")
    dialog.get_by_label("Repository submission account").fill("data-admin@big.ac.cn")
    dialog.get_by_label("Dataset accession").fill("HRA004411")
    no_chinese_interface(page, "add file")
    browsing.screenshot(page, "en", "add-file")
    dialog.get_by_role("button", name="Create", exact=True).click()
    dialog.wait_for(state="hidden")
    file_row = page.locator("[data-test=file-table] tbody tr", has_text="HRA004411")
    file_row.wait_for()
    assert "Complete" in file_row.inner_text()
    for column in ("Detailed type", "Total cases", "Size per case", "File name / accession", "Progress"):
        page.get_by_role("columnheader", name=column, exact=True).wait_for()
    page.get_by_text("Total 1", exact=True).wait_for()
    no_chinese_interface(page, "files")
    browsing.screenshot(page, "en", "files")

    page.get_by_role("button", name="Submit", exact=True).click()
    confirm = page.get_by_role("dialog").filter(has_text="locked")
    confirm.get_by_role("button", name="Submit").click()
    told = page.get_by_role("dialog").filter(has_text="Backup number assigned")
    told.wait_for()
    told.get_by_role("button", name="OK").click()
    page.locator("[data-test=backup-number]").filter(has_text=re.compile(r"BF\d{13}")).wait_for()
    # both regions are there before the submission; their new content is asked after it: check that
    page.get_by_role("region", name="Backup history").get_by_text(
        re.compile(r"Submitted the backup: backup number BF\d{13}")).wait_for()
    page.get_by_role("region", name="Sync with HGRG").get_by_role("button", name="Refresh").wait_for()
    no_chinese_interface(page, "numbered files")
    browsing.screenshot(page, "en", "files-numbered")

    browsing.nav(page, "en", "claims")
    for label in ("Old-system registrant's name", "Old-system registrant's mobile", "SMS code"):
        page.get_by_label(label).wait_for()
    page.get_by_role("button", name="Get code").wait_for()
    no_chinese_interface(page, "claims")
    browsing.screenshot(page, "en", "claims")

    # the switch in the header: Chinese now, and still after a reload
    page.get_by_role("button", name="中文").click()
    browsing.nav_link(page, "项目列表").wait_for()
    page.reload()
    page.get_by_label("原系统注册人姓名").wait_for()
    page.get_by_role("button", name="English").wait_for()
