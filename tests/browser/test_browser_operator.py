"""The operator's console (运营控制台) in Chromium: the platform operator finds the manual's backup by its
number and sees its owner and HGRG state, finds a legacy backup by its old number, sees a number no
backup has refused, reads a dead letter (personal data masked) and replays it after confirmation, then
sees the replay in the operators' actions naming them; the same console in English (replay all).

Accounts: 张晓寒 (zhangxiaohan: the manual's project and backup, set up over the API; her first login
attaches her legacy backups) and the platform operator (operator, 平台运维测试). The dead letter is a
poison message published straight to the events exchange, as the end-to-end test of the console does."""
import re

import pytest
from kombu import Connection, Producer

from hgrip_kernel.messaging.topology import events_exchange
from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

PROJECT = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒",
           "pi_email": "data-admin@big.ac.cn", "consent": True}
BACKUP = {"name": "三例样本（父母子）的测序数据开放共享备份", "categories": ["targeted"]}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
LEGACY = "BF2021031500012"                      # 张晓寒's, attached at her first login
POISON_QUEUE = "backups.on_project_created"
OPERATOR_NAME = "平台运维测试"


@pytest.fixture(scope="module")
def manual(web_platform, client_class):
    """The manual's backup submitted over the API; the operator's API client waits until HGRG has it."""
    zhang = client_class(web_platform.gateway_url, "zhangxiaohan")
    project = zhang.post("/api/v1/projects", json=PROJECT).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups", json=BACKUP).json()
    assert zhang.post(f"/api/v1/backups/{backup['id']}/files", json=HRA).status_code == 201
    number = zhang.post(f"/api/v1/backups/{backup['id']}/submit").json()["backup_number"]
    operator = client_class(web_platform.gateway_url, "operator")
    wait_until(lambda: (lambda push: push and push["state"] == "synced")(
        operator.get(f"/api/v1/operator/backups/{number}").json()["hgrg"]["number"]),
        message="the number pushed to HGRG")
    wait_until(lambda: operator.get(f"/api/v1/operator/backups/{LEGACY}").json()["owner"], message="legacy attached")
    return {"number": number, "operator": operator}


def poison(platform, message_id: str, operator):
    """A message no consumer can handle (no envelope): after its attempts it is a dead letter."""
    with Connection(platform.env["HGRIP_AMQP_URI"]) as connection:
        Producer(connection.default_channel).publish(
            {"event_type": "ProjectCreated", "data": {"pi_email": "liuxh@big.ac.cn", "mobile": "13912345678"}},
            exchange=events_exchange, routing_key="projects.ProjectCreated", message_id=message_id, serializer="json")
    wait_until(lambda: any(item["message_id"] == message_id
                           for item in operator.get("/api/v1/operator/dead-letters").json()["items"]),
               message=f"the dead letter {message_id}")


def shown(page):
    """Element Plus's tab bar and messages animate (0.3 s): let a screenshot show them at rest."""
    page.mouse.move(0, 0)                       # no hover colour on the last button clicked
    page.wait_for_timeout(400)


def cells(row) -> list[str]:
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def open_console(browsing, page, lang: str, name: str):
    browsing.log_in(page, "operator", lang=lang)
    browsing.nav_link(page, name).click()
    page.wait_for_url(re.compile(r"/console"))
    page.locator("[data-test=card-pending]").wait_for()


def test_the_operator_finds_a_backup_and_replays_a_dead_letter(browsing, manual, web_platform, watch):
    number, operator = manual["number"], manual["operator"]
    poison(web_platform, "poison-browser-zh", operator)
    page = browsing.page("zh")
    open_console(browsing, page, "zh", "运营控制台")
    for card in ("等待同步", "同步失败", "最早待同步", "最近成功推送"):
        page.locator(".el-card", has_text=card).first.wait_for()

    # a backup by its number: detail, owner, HGRG state; the number lives in the address
    page.get_by_role("textbox", name="备份号").fill(number)
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(rf"number={number}"))
    basic = page.locator("[data-test=operator-basic]")
    basic.get_by_text(BACKUP["name"]).wait_for()
    owner = page.locator("[data-test=owner]").inner_text()
    assert "张晓寒" in owner and "zhangxiaohan" in owner and "自然人" in owner, owner
    push = page.locator("[data-test=hgrg] tbody tr").first
    push.get_by_text("已同步").wait_for()
    assert cells(push)[0] == f"备份号 {number}" and cells(push)[3] == "", cells(push)
    for column in ("推送内容", "状态", "尝试次数", "最近错误", "请求时间", "下次尝试", "同步时间"):
        page.locator("[data-test=hgrg]").get_by_role("columnheader", name=column, exact=True).wait_for()
    page.locator("[data-test=operator-history]").get_by_text("张晓寒").first.wait_for()
    shown(page)
    browsing.screenshot(page, "zh", "operator-console")   # docs/screenshots/ holds a copy for the README

    # a legacy number: the owner it was attached to and the claim pushed to HGRG; a reload keeps it
    page.get_by_role("textbox", name="备份号").fill(LEGACY.lower())
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(rf"number={LEGACY.lower()}"))
    page.locator("[data-test=operator-basic]").get_by_text("旧系统导入").wait_for()
    page.reload()
    page.locator("[data-test=hgrg]").get_by_text("备份认领 → zhangxiaohan", exact=False).wait_for()
    assert "张晓寒" in page.locator("[data-test=owner]").inner_text()

    # a number no backup has: said so, not an empty page
    watch.allow(404, r"/api/v1/operator/backups/")
    page.get_by_role("textbox", name="备份号").fill("BF2099010100001")
    page.get_by_role("button", name="查询", exact=True).click()
    page.get_by_text("未找到备份号 BF2099010100001 对应的备份。").wait_for()

    # the dead letter: listed, read masked, replayed after confirmation
    page.get_by_role("tab", name="死信队列").click()
    page.wait_for_url(re.compile(r"tab=dead-letters"))
    row = page.locator("[data-test=dead-letter-table] tbody tr", has_text=POISON_QUEUE).first
    row.wait_for()
    assert cells(row)[1:3] == ["backups", POISON_QUEUE], cells(row)     # no envelope: no event type
    row.get_by_role("button", name="查看", exact=True).click()
    dialog = page.locator(".dead-letter-dialog")
    body = dialog.locator("[data-test=dead-letter-body]")
    body.get_by_text("139****5678", exact=False).wait_for()
    assert "13912345678" not in dialog.inner_text() and "liuxh@big.ac.cn" not in dialog.inner_text()
    page.wait_for_function("() => !document.querySelector('.dialog-fade-enter-active')")   # fully shown
    browsing.screenshot(page, "zh", "operator-dead-letter")
    dialog.get_by_role("button", name="关闭", exact=True).click()
    dialog.wait_for(state="hidden")

    row.get_by_role("button", name="重放", exact=True).click()
    confirm = page.locator(".replay-confirm")
    confirm.get_by_text("以您的名义记录", exact=False).wait_for()
    confirm.get_by_role("button", name="重放", exact=True).click()
    page.locator("[data-test=replay-result]").get_by_text("已重放 1 条消息。").wait_for()
    shown(page)
    browsing.screenshot(page, "zh", "operator-replayed")

    # the replay, an action naming the operator
    page.get_by_role("tab", name="操作记录").click()
    page.wait_for_url(re.compile(r"tab=actions"))
    newest = page.locator("[data-test=action-table] tbody tr").first
    newest.get_by_text("重放死信").wait_for()
    assert cells(newest)[1:6] == [f"{OPERATOR_NAME} (operator)", "重放死信", "poison-browser-zh", "1",
                                  POISON_QUEUE], cells(newest)
    shown(page)
    browsing.screenshot(page, "zh", "operator-actions")
    page.go_back()
    page.wait_for_url(re.compile(r"tab=dead-letters"))


def test_the_console_in_english(browsing, manual, web_platform):
    number, operator = manual["number"], manual["operator"]
    poison(web_platform, "poison-browser-en", operator)
    page = browsing.page("en")
    open_console(browsing, page, "en", "Operator console")
    for card in ("Pending", "Failing", "Oldest pending", "Last successful push"):
        page.locator(".el-card", has_text=card).first.wait_for()
    page.get_by_role("textbox", name="Backup number").fill(number)
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("[data-test=hgrg] tbody tr").first.get_by_text("Synced").wait_for()
    assert cells(page.locator("[data-test=hgrg] tbody tr").first)[0] == f"Backup number {number}"
    assert "Natural person" in page.locator("[data-test=owner]").inner_text()
    page.get_by_role("heading", name="History").wait_for()
    shown(page)
    browsing.screenshot(page, "en", "operator-console")

    page.get_by_role("tab", name="Dead letters").click()
    page.locator("[data-test=dead-letter-table] tbody tr", has_text=POISON_QUEUE).first.wait_for()
    page.locator("[data-test=replay-all]").click()
    confirm = page.locator(".replay-confirm")
    confirm.get_by_text("recorded under your name", exact=False).wait_for()
    confirm.get_by_role("button", name="Replay", exact=True).click()
    page.locator("[data-test=replay-result]").get_by_text(re.compile(r"\d+ message\(s\) replayed\.")).wait_for()
    shown(page)
    browsing.screenshot(page, "en", "operator-replayed")

    page.get_by_role("tab", name="Operator actions").click()
    newest = page.locator("[data-test=action-table] tbody tr").first
    newest.get_by_text("Replayed all dead letters").wait_for()
    assert cells(newest)[1:4] == [f"{OPERATOR_NAME} (operator)", "Replayed all dead letters",
                                  "All dead letters"], cells(newest)
    shown(page)
    browsing.screenshot(page, "en", "operator-actions")
