"""The session in the browser (issue 8, "Session in the browser, safely"): an HttpOnly cookie no
script reads, logout that really ends it, an expired session that returns the person to the login
page with a message and back where they were afterwards, and an address typed without a session.

Accounts: 王雨晴 (wangyuqing) only; nothing here writes data."""
import re

import pytest

pytestmark = pytest.mark.slow


def at_login_for(path: str) -> re.Pattern:
    """The login page, remembering where to go back (vue-router may or may not encode the slash)."""
    return re.compile(r"/login\?(.*&)?redirect=" + re.escape(path).replace("/", "(/|%2F)") + r"(&|$)")


def me_status(page) -> int:
    """GET /api/v1/me with whatever cookie the browser context holds (no bearer token)."""
    return page.request.get("/api/v1/me").status


def test_the_session_cookie_is_httponly_and_logout_ends_it(browsing, words):
    page = browsing.page("zh")
    page.goto("/login")
    page.get_by_label(words["zh"]["username"]).wait_for()    # the page has drawn its form
    browsing.screenshot(page, "zh", "login")
    browsing.log_in(page, "wangyuqing", at=None)
    assert page.url.endswith("/guide")
    header = page.locator("header").first
    for shown in ("王雨晴", "国家基因组科学数据中心测试"):
        assert shown in header.inner_text()

    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["hgrip_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert "hgrip_session" not in page.evaluate("document.cookie")
    assert session["value"] not in page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert me_status(page) == 200

    page.get_by_role("button", name=words["zh"]["logout"]).click()
    page.wait_for_url("**/login**")
    page.get_by_role("button", name=words["zh"]["login"], exact=True).wait_for()
    assert "hgrip_session" not in {c["name"] for c in page.context.cookies()}
    assert me_status(page) == 401
    # Going back in history does not bring a logged-in page back.
    page.goto("/projects")
    page.wait_for_url(at_login_for("/projects"))


def test_an_expired_session_returns_to_login_with_a_message_and_back_after(browsing, watch, words):
    watch.allow(401, r"/api/v1/")        # the refused request that tells the page the session ended
    page = browsing.page("zh")
    browsing.log_in(page, "wangyuqing")           # lands on 操作指南
    page.context.clear_cookies()                  # the session ends while the page is open
    browsing.nav(page, "zh", "projects")          # 项目列表 asks the API: 401
    page.wait_for_url(at_login_for("/projects"))
    page.get_by_text(words["zh"]["expired"]).wait_for()
    browsing.screenshot(page, "zh", "login-expired")

    browsing.log_in(page, "wangyuqing", at=None)
    page.wait_for_url("**/projects")
    page.get_by_role("columnheader", name="项目名称").wait_for()
    assert page.get_by_text(words["zh"]["expired"]).count() == 0   # the message went with the new session


def test_a_page_typed_without_a_session_goes_to_login_and_back_after(browsing):
    page = browsing.page("zh")
    page.goto("/claims")
    page.wait_for_url(at_login_for("/claims"))
    browsing.log_in(page, "wangyuqing", at=None)
    page.wait_for_url("**/claims")
    page.get_by_label("原系统注册人姓名").wait_for()
    assert page.url.endswith("/claims") and "redirect" not in page.url
