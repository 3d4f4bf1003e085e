"""(f) the web application in Chromium: bytes loaded before the login page and a backup's file list are
usable, and the time until the file list of a backup with 200 files is interactive, against the time
of the API calls that page makes, measured in the same run.

Needs a built ``web/dist`` (``make web``); builds nothing. Starts the platform as platform_load does,
with a repositories seed holding 200 more OMIX datasets of the PI's e-mail, so that one backup can
hold 200 complete files. Drives Debian's Chromium (``/usr/bin/chromium``) through Playwright.
"""
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from hgrip_kernel.testing.browser import CHROMIUM, CHROMIUM_ARGS, asyncio_without_eventlet

from .platform_load import Running

ROOT = Path(__file__).resolve().parents[1]
WEB_DIST = ROOT / "web" / "dist"
SEED = ROOT / "deploy" / "repositories-seed.json"
PI_EMAIL = "data-admin@big.ac.cn"
FILES = 200
RUNS = 5
FIRST_SCREEN_TARGET_KB = 300


def bench_seed(directory: Path) -> Path:
    """The demo seed plus FILES OMIX datasets submitted by the PI's e-mail (complete at once)."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    seed["datasets"] += [{"repository": "OMIX", "accession": f"OMIX9{i:05d}", "submitter": PI_EMAIL,
                          "title": f"bench dataset {i}", "released": "2026-01-01"} for i in range(FILES)]
    path = directory / "repositories-seed.json"
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return path


class WebPlatform(Running):
    """The platform of (c) and (d), with FILES more datasets of the PI's e-mail in its repositories."""

    def __init__(self, scratch):
        super().__init__(scratch, seed=bench_seed(Path(tempfile.mkdtemp(prefix="hgrip-bench-seed-"))))

    def backup_with_files(self) -> str:
        """One draft backup holding FILES complete files (one per bench dataset)."""
        api, session = f"{self.url}/api/v1", self.session()
        project = session.post(f"{api}/projects", timeout=30, json={
            "name": f"web-bench-{time.time_ns()}", "pi_name": "刘晓寒", "pi_email": PI_EMAIL, "consent": True}).json()
        backup = session.post(f"{api}/projects/{project['id']}/backups", timeout=30,
                              json={"name": "200 个文件的备份", "categories": ["wgs"]}).json()
        for i in range(FILES):      # one after another: each file is a new version of the backup
            answer = session.post(f"{api}/backups/{backup['id']}/files", timeout=60, json={
                "detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
                "submission_account": PI_EMAIL, "accession": f"OMIX9{i:05d}"})
            assert answer.status_code == 201, answer.text
            assert answer.json()["progress"] == "complete", answer.text
        return backup["id"]


class Loaded:
    """Every response a page received: wire bytes (Chromium's sizes) and gzip -6 of each body."""

    def __init__(self, page):
        self.responses = []
        page.on("response", lambda response: self.responses.append(response))   # collect only: no call here

    def totals(self) -> tuple[int, int, list[str]]:
        wire = gzipped = 0
        api_paths = []
        for response in self.responses:
            try:
                body = response.body()
            except Exception:        # a redirect or an aborted request has no body
                body = b""
            sizes = response.request.sizes()
            wire += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            gzipped += len(gzip.compress(body, 6)) if body else 0
            parts = urlsplit(response.url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith("/api/"):
                api_paths.append((response.request.method, path, response.status))
        return wire, gzipped, api_paths


def _new_context(browser, url):
    return browser.new_context(base_url=url, locale="zh-CN", viewport={"width": 1366, "height": 900})


def _log_in(context):
    answer = context.request.post("/api/v1/auth/session", headers={"X-HGRIP-CSRF": "1"},
                                  data={"username": "zhangxiaohan", "password": "Demo-2026!"})
    assert answer.status == 200, answer.text()


def login_page(browser, url) -> tuple[int, int]:
    context = _new_context(browser, url)
    page = context.new_page()
    loaded = Loaded(page)
    page.goto("/login")
    page.get_by_label("用户名").wait_for()
    page.get_by_role("button", name="登录", exact=True).wait_for()
    wire, gzipped, _ = loaded.totals()
    context.close()
    return wire, gzipped


def file_list(browser, url, backup_id) -> tuple[float, int, int, list]:
    """Cold (empty cache, logged in): seconds until the first page of rows is drawn, 共 200 条 is shown
    and 提交 is enabled; bytes loaded until then; the API calls the page made."""
    context = _new_context(browser, url)
    _log_in(context)
    page = context.new_page()
    loaded = Loaded(page)
    start = time.perf_counter()
    page.goto(f"/backups/{backup_id}")
    page.wait_for_function(
        """(total) => {
            const rows = document.querySelectorAll('[data-test=file-table] tbody tr');
            const submit = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === '提交');
            return rows.length === 10 && rows[9].innerText.includes('完成')
                && document.body.innerText.includes('共 ' + total + ' 条') && submit && !submit.disabled;
        }""", arg=FILES, polling="raf", timeout=60_000)
    elapsed = time.perf_counter() - start
    wire, gzipped, api_calls = loaded.totals()
    context.close()
    return elapsed, wire, gzipped, api_calls


def api_time(running: WebPlatform, calls: list) -> float:
    """The same GETs the page made, one after another as a client would, over one keep-alive session."""
    session = running.session()
    start = time.perf_counter()
    for method, path, _status in calls:
        session.request(method, running.url + path, timeout=60)
    return time.perf_counter() - start


def run(scratch) -> list[dict]:
    if not (WEB_DIST / "index.html").is_file():
        raise SystemExit(f"{WEB_DIST}/index.html is missing: build the web application first (`make web`)")
    from playwright.sync_api import sync_playwright
    running = WebPlatform(scratch)
    try:
        backup_id = running.backup_with_files()
        with asyncio_without_eventlet():
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                login_wire, login_gzip = login_page(browser, running.url)
                file_list(browser, running.url, backup_id)              # warm the platform's caches
                pages, apis = [], []
                for _ in range(RUNS):
                    elapsed, files_wire, files_gzip, calls = file_list(browser, running.url, backup_id)
                    pages.append(elapsed)
                    apis.append(api_time(running, [c for c in calls if c[0] == "GET"]))
            finally:
                browser.close()     # not playwright.stop(): see asyncio_without_eventlet
    finally:
        running.stop()
    page_s, api_s = statistics.median(pages), statistics.median(apis)
    kb = lambda n: f"{n / 1024:,.0f} KB"  # noqa: E731
    return [
        {"what": "(f) web: bytes before the login page is usable (cold cache; gzip -6 of every body, "
                 f"as sent gzipped; on the wire {kb(login_wire)})",
         "measured": kb(login_gzip), "baseline": "—", "ratio": "—",
         "target": f"< {FIRST_SCREEN_TARGET_KB} KB", "met": login_gzip < FIRST_SCREEN_TARGET_KB * 1024},
        {"what": f"(f) web: bytes before a backup's file list ({FILES} files) is usable, logged in, cold cache "
                 f"(gzip -6 of every body incl. the API's JSON; on the wire {kb(files_wire)})",
         "measured": kb(files_gzip), "baseline": "—", "ratio": "—", "target": "—", "met": None},
        {"what": f"(f) web: time until the file list of a backup with {FILES} files is interactive in "
                 f"Chromium (first page of rows drawn, 共 {FILES} 条, 提交 enabled; cold cache; median of "
                 f"{RUNS}) vs the page's {len([c for c in calls if c[0] == 'GET'])} API GETs replayed in sequence",
         "measured": f"{page_s * 1000:,.0f} ms", "baseline": f"API calls {api_s * 1000:,.0f} ms",
         "ratio": page_s / api_s, "target": "—", "met": None},
    ]
