"""备份认领 by SMS code (the code read on the SMS sink's page), with a refusal shown first; and the
新建项目 page of the accounts that may not create projects, saying why.

Accounts: 刘浩然 (liuhaoran) claims; 赵明辉 (zhaominghui, not authorised; his legacy backups are at
another institution) and 周建国 (zhoujianguo, foreign-controlled institution) are refused."""
import re

import pytest

pytestmark = pytest.mark.slow

LIU_LEGACY_MOBILE, LIU_LEGACY_NUMBER = "18600001111", "BF2020120100005"


def test_a_claim_by_sms_code_lists_the_claimed_backups(browsing, watch):
    watch.allow(400, r"/api/v1/claims$")                  # the wrong code, refused and shown
    page = browsing.page("zh")
    browsing.log_in(page, "liuhaoran")
    browsing.nav(page, "zh", "claims")
    page.get_by_text("认领须知").wait_for()
    page.get_by_label("原系统注册人姓名").fill("刘浩然")
    mobile = page.get_by_label("原系统注册手机号")
    form_item = page.locator(".el-form-item", has=mobile)
    assert re.search(r"0\s*/\s*11", form_item.inner_text())        # the manual's counter
    mobile.fill(LIU_LEGACY_MOBILE)
    assert re.search(r"11\s*/\s*11", form_item.inner_text())
    for rule in ("不支持跨单位（公司）认领", "个别字词", "不可再次认领"):
        page.get_by_text(rule, exact=False).first.wait_for()
    browsing.screenshot(page, "zh", "claims")

    send = page.locator("[data-test=send-code]")
    send.click()
    page.wait_for_function("b => b.disabled && /秒后重新获取/.test(b.innerText)",
                           arg=send.element_handle())      # the countdown until it may be resent
    code = browsing.sms_code(LIU_LEGACY_MOBILE)

    code_box = page.get_by_label("手机验证码")
    code_box.fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_role("alert").filter(has_text="手机验证码错误").wait_for()
    browsing.screenshot(page, "zh", "claims-refused")

    code_box.fill(code)
    page.get_by_role("button", name="提交", exact=True).click()
    claimed = page.locator("[data-test=claimed]")
    claimed.wait_for()
    assert LIU_LEGACY_NUMBER in claimed.inner_text() and "认领成功" in claimed.inner_text()
    browsing.screenshot(page, "zh", "claims-done")
    # the claimed backup is his: its file list opens, numbered
    claimed.get_by_role("link", name="查看文件").click()
    page.wait_for_url(re.compile(r"/backups/[^/]+$"))
    page.locator("[data-test=backup-number]").filter(has_text=LIU_LEGACY_NUMBER).wait_for()


def test_a_claim_across_institutions_is_refused_saying_why(browsing, watch):
    watch.allow(409, r"/api/v1/claims/sms-code$")
    page = browsing.page("zh")
    browsing.log_in(page, "zhaominghui")
    browsing.nav(page, "zh", "claims")
    page.get_by_label("原系统注册人姓名").fill("赵明辉")
    page.get_by_label("原系统注册手机号").fill("17755556666")
    page.locator("[data-test=send-code]").click()
    refusal = page.get_by_role("alert").filter(has_text="不支持跨单位（公司）认领")
    refusal.wait_for()
    assert "华东医学遗传研究院测试" in refusal.inner_text()


@pytest.mark.parametrize("username, reason", [
    ("zhaominghui", "尚未获得法人（单位）的授权许可"),
    ("zhoujianguo", "境外组织"),
])
def test_who_may_not_create_projects_sees_why(browsing, api, username, reason):
    page = browsing.page("zh")
    browsing.log_in(page, username)
    browsing.nav(page, "zh", "new_project")
    blocked = page.locator("[data-test=blocked]")
    blocked.wait_for()
    assert "您暂时不能创建项目" in blocked.inner_text() and reason in blocked.inner_text()
    assert "人遗系统" in blocked.inner_text() or "人类遗传资源服务管理系统" in blocked.inner_text()
    assert page.get_by_role("button", name="立即创建").count() == 0
    browsing.screenshot(page, "zh", f"new-project-refused-{username}")
    # and the API agrees: nothing could have been created
    assert api(username).get("/api/v1/projects").json()["total"] == 0
