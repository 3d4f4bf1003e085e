"""Usable by everyone: an empty 项目列表 says 暂无数据; logging in and creating a project work with the
keyboard alone (Tab, typing, Space, Enter); a double click on 立即创建 creates one project only.

Accounts: 孙丽娟 (sunlijuan) only — she has no project before this module."""
import re

import pytest

pytestmark = pytest.mark.slow


def tab_to(page, condition: str, presses: int = 40):
    """Press Tab until ``condition`` (a JS expression on ``el``, the focused element) holds."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({condition}); }})()"):
            return
    pytest.fail(f"Tab never reached an element where {condition}")


def test_an_empty_project_list_says_so(browsing, api):
    assert api("sunlijuan").get("/api/v1/projects").json()["total"] == 0
    page = browsing.page("zh")
    browsing.log_in(page, "sunlijuan")
    browsing.nav(page, "zh", "projects")
    page.get_by_text("暂无数据").first.wait_for()
    page.get_by_text("共 0 条").wait_for()
    browsing.screenshot(page, "zh", "projects-empty")


def test_login_and_a_new_project_with_the_keyboard_alone(browsing, api):
    page = browsing.page("zh")
    page.goto("/login")
    tab_to(page, "el.name === 'username'")
    page.keyboard.type("sunlijuan")
    tab_to(page, "el.name === 'password'", presses=3)
    page.keyboard.type("Demo-2026!")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/guide$"))

    page.goto("/projects/new")            # typed in the address bar (the menu: the next test)
    page.get_by_label("项目名称").wait_for()
    tab_to(page, "el.name === 'name'")
    page.keyboard.type("键盘创建的项目")
    tab_to(page, "el.name === 'pi_name'", presses=3)
    page.keyboard.type("孙丽娟")
    tab_to(page, "el.name === 'pi_email'", presses=3)
    page.keyboard.type("sunlj@ecmg.example.cn")
    tab_to(page, "el.name === 'consent'", presses=6)
    page.keyboard.press("Space")
    assert page.get_by_label("我已阅读并同意以上协议").is_checked()
    tab_to(page, "el.tagName === 'BUTTON' && el.innerText.trim() === '立即创建'", presses=4)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/projects$"))
    names = [p["name"] for p in api("sunlijuan").get("/api/v1/projects").json()["items"]]
    assert names.count("键盘创建的项目") == 1


def test_a_double_click_creates_one_project(browsing, api):
    # A second POST would be refused 409 (name taken) and logged by Chromium: the watch fails the
    # test on that too, so this proves the page sent one request.
    page = browsing.page("zh")
    browsing.log_in(page, "sunlijuan")
    page.goto("/projects/new")
    page.get_by_label("项目名称").fill("双击只创建一次")
    page.get_by_label("项目负责人").fill("孙丽娟")
    page.get_by_label("负责人邮箱").fill("sunlj@ecmg.example.cn")
    page.get_by_text("我已阅读并同意以上协议").click()
    posts = []
    page.on("request", lambda r: posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/v1/projects") else None)
    page.get_by_role("button", name="立即创建").dblclick()
    page.wait_for_url(re.compile(r"/projects$"))
    page.wait_for_timeout(500)
    names = [p["name"] for p in api("sunlijuan").get("/api/v1/projects").json()["items"]]
    assert names.count("双击只创建一次") == 1 and len(posts) == 1


def test_the_left_navigation_works_with_the_keyboard(browsing):
    page = browsing.page("zh")
    browsing.log_in(page, "sunlijuan")
    tab_to(page, "el.tagName === 'A' && !!el.closest('nav') && el.innerText.trim() === '新建项目'", presses=20)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/projects/new$"))
    page.get_by_label("项目名称").wait_for()
    assert page.get_by_role("navigation").get_by_role("link", name="新建项目").get_attribute("aria-current") == "page"
