"""The web application in real Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright),
against the whole platform started as the other end-to-end tests start it.

One platform per module, as the other end-to-end tests have (a start costs ~15-30 s; none is left
running for the tests that follow); every test opens fresh browser contexts (no cookies, no
storage), so the tests of a module share only data, and each uses demo accounts the others of its
module do not write with (see each module's docstring).

Every page is watched: a script error (``pageerror``) or a console error fails the test, except the
"Failed to load resource" line Chromium logs for every 4xx/5xx answer — those the page handles
(a refusal the test provokes) are allowed one status and URL at a time, so an unexpected 4xx/5xx
still fails. A stranger's first page asks ``GET /api/v1/auth/session``, which answers 200.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hgrip_kernel.testing.browser import CHROMIUM, CHROMIUM_ARGS, asyncio_without_eventlet
from hgrip_kernel.testing.fixtures import wait_until

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
DEMO_LEGACY = ROOT / "deploy" / "demo-legacy.json"
DEMO_PASSWORD = "Demo-2026!"
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
HGRIP = Path(sys.executable).with_name("hgrip")

LOCALES = {"zh": "zh-CN", "en": "en-US"}

# What the page says, in each language, where several tests need it (the manual's words in Chinese).
WORDS = {
    "zh": {"username": "用户名", "password": "密码", "login": "登录", "logout": "退出登录",
           "switch": "English", "expired": "登录已过期，请重新登录。", "empty": "暂无数据",
           "guide": "操作指南", "projects": "项目列表", "new_project": "新建项目", "claims": "备份认领"},
    "en": {"username": "Username", "password": "Password", "login": "Log in", "logout": "Log out",
           "switch": "中文", "expired": "Your session has expired. Please log in again.", "empty": "No data",
           "guide": "Operation guide", "projects": "Projects", "new_project": "New project",
           "claims": "Claim backups"},
}

FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


@pytest.fixture(scope="session")
def web_built():
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail(f"{WEB_DIST}/index.html is missing: build the web application first (`make web`)")
    return WEB_DIST


def import_legacy(platform):
    env = {**os.environ, **platform.env}
    done = subprocess.run([str(HGRIP), "legacy", "import", str(DEMO_LEGACY), "--no-progress"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout


@pytest.fixture(scope="module")
def web_platform(web_built, launch_platform, tmp_path_factory):
    """Every service, the gateway serving web/dist, the stand-ins and their inbox pages; the demo
    legacy export imported before anyone logs in (as `make run` does)."""
    running = launch_platform(tmp_path_factory.mktemp("browser-platform"))
    try:
        import_legacy(running)
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright
    with asyncio_without_eventlet():
        yield sync_playwright().start()
        # Not playwright.stop(): even so it does not return under eventlet once the driver has
        # gone. The driver reads our pipe and exits by itself when this process ends.


@pytest.fixture(scope="module")
def chromium(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class PageWatch:
    """Script errors and console errors of every page of one browser context."""

    def __init__(self):
        self.errors: list[str] = []
        # None by default: a page load asks GET /api/v1/auth/session, which answers 200 to strangers too.
        self.allowed: list[tuple[int, re.Pattern]] = []

    def allow(self, status: int, url_pattern: str):
        """An HTTP error the page is expected to handle (a refusal the test provokes)."""
        self.allowed.append((status, re.compile(url_pattern)))

    def attach(self, context):
        # Context-wide events cover every page, popups included. (Attaching per page from the
        # context's "page" event deadlocks the sync API: the handler's own call waits on the
        # dispatcher that is delivering the event.)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.errors.append(
            f"script error on {error.page and error.page.url}: {error.error}"))

    def _console(self, message):
        if message.type != "error":
            return
        found = FAILED_RESOURCE.search(message.text)
        url = (message.location or {}).get("url", "")
        if found and any(int(found.group(1)) == status and pattern.search(url.split("?")[0])
                         for status, pattern in self.allowed):
            return
        self.errors.append(f"console error: {message.text} ({url})")


class Browsing:
    """Opens browser contexts for one test; checks their pages' consoles at the end."""

    def __init__(self, browser, platform):
        self.browser, self.platform = browser, platform
        self.contexts = []
        self.watch = PageWatch()

    def context(self, lang: str = "zh"):
        context = self.browser.new_context(locale=LOCALES[lang], base_url=self.platform.gateway_url,
                                           viewport={"width": 1366, "height": 900},
                                           timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        self.watch.attach(context)
        self.contexts.append(context)
        return context

    def page(self, lang: str = "zh"):
        return self.context(lang).new_page()

    def close(self):
        for context in self.contexts:
            context.close()

    # --- what a person does on every screen -------------------------------------------------------
    @staticmethod
    def screenshot(page, lang: str, screen: str) -> Path:
        """A test artefact: var/test-artifacts/screenshots/<lang>/<screen>.png (git-ignored)."""
        path = SCREENSHOTS / lang / f"{screen}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    @staticmethod
    def log_in(page, username: str, lang: str = "zh", password: str = DEMO_PASSWORD, at: str | None = "/login"):
        """Through the login page, as a person does; returns when the page has left /login."""
        words = WORDS[lang]
        if at:
            page.goto(at)
        page.get_by_label(words["username"]).fill(username)
        page.get_by_label(words["password"], exact=True).fill(password)
        page.get_by_role("button", name=words["login"], exact=True).click()
        page.wait_for_url(re.compile(r"^(?!.*/login)"))

    @staticmethod
    def nav_link(page, name: str):
        """An entry of the left navigation, by its words."""
        return page.get_by_role("navigation").get_by_role("link", name=name, exact=True)

    def nav(self, page, lang: str, item: str):
        """Click an entry of the left navigation (操作指南, 项目列表, 新建项目, 备份认领)."""
        self.nav_link(page, WORDS[lang][item]).click()

    def _read_inbox(self, url: str, pattern: str, lang: str, screen: str, timeout: float) -> str:
        page = self.context(lang).new_page()

        def code():
            page.goto(url)
            texts = page.locator("article.message pre.text").all_inner_texts()   # newest first
            found = re.search(pattern, texts[0]) if texts else None
            return found.group(1) if found else None

        found = wait_until(code, timeout=timeout, interval=1, message=f"a code at {url}")
        self.screenshot(page, lang, screen)
        page.close()
        return found

    def mail_code(self, to: str, lang: str = "zh", timeout: float = 30) -> str:
        """The newest verification code mailed to ``to``, read on the mail sink's inbox page."""
        return self._read_inbox(f"{self.platform.mail_url}?to={to}", r"验证码为[：:]\s*(\d{6})",
                                lang, "mail-inbox", timeout)

    def sms_code(self, mobile: str, lang: str = "zh", timeout: float = 30) -> str:
        """The newest claim code texted to ``mobile``, read on the SMS sink's inbox page."""
        return self._read_inbox(f"{self.platform.sms_url}?mobile={mobile}", r"(\d{6})",
                                lang, "sms-inbox", timeout)


@pytest.fixture
def browsing(chromium, web_platform):
    session = Browsing(chromium, web_platform)
    yield session
    session.close()
    if session.watch.errors:
        pytest.fail("the pages logged errors:\n" + "\n".join(session.watch.errors), pytrace=False)


@pytest.fixture
def watch(browsing):
    return browsing.watch


@pytest.fixture(scope="session")
def words():
    return WORDS


@pytest.fixture
def api(web_platform, client_class):
    """``api(username)``: a bearer client of the same platform, to set up or check behind the pages."""
    return lambda username=None: client_class(web_platform.gateway_url, username)

