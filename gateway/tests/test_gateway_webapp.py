"""The built web application served by the gateway: files, SPA fallback, caching, traversal,
security headers, and the API's own answers left as they were."""
import gzip
import http.client
from urllib.parse import urlsplit

import pytest
import requests

INDEX = b"<!doctype html><html><head><script type=module src=/assets/index-3f2a1b.js></script></head></html>"
SCRIPT = b"console.log('app')"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
NEVER = "no-cache, no-store, must-revalidate"


@pytest.fixture
def dist(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-3f2a1b.js").write_bytes(SCRIPT)
    (root / "assets" / "index-9c8d7e.css").write_bytes(b"body{}")
    (root / "assets" / "index-9c8d7e.css.gz").write_bytes(gzip.compress(b"body{}"))
    (root / "favicon.svg").write_bytes(b"<svg/>")
    (tmp_path / "secret.txt").write_bytes(b"outside the web root")
    (root / "escape.txt").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture
def site(start_gateway, dist):
    return start_gateway(GATEWAY_WEB_DIST=str(dist))


def raw_get(base_url: str, path: str) -> tuple[int, bytes]:
    """GET with the path exactly as written (requests would normalise the dots away)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def assert_page_headers(response):
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/projects", "/projects/p-1/backups", "/index.html", "/apix", "/login?next=/x"])
def test_pages_are_index_html_never_cached(site, path):
    response = requests.get(site.base_url + path, timeout=30)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == NEVER
    assert_page_headers(response)


def test_hashed_assets_are_cached_for_a_year_with_their_type(site):
    response = requests.get(site.base_url + "/assets/index-3f2a1b.js", timeout=30)
    assert response.status_code == 200 and response.content == SCRIPT
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers  # not a page
    again = requests.get(site.base_url + "/assets/index-3f2a1b.js", timeout=30,
                         headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_precompressed_files_are_sent_to_who_accepts_gzip(site):
    response = requests.get(site.base_url + "/assets/index-9c8d7e.css", timeout=30)  # requests accepts gzip
    assert response.headers["Content-Encoding"] == "gzip" and response.content == b"body{}"
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    plain = requests.get(site.base_url + "/assets/index-9c8d7e.css", timeout=30,
                         headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.content == b"body{}"


def test_other_files_are_served_but_not_cached(site):
    response = requests.get(site.base_url + "/favicon.svg", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Cache-Control"] == NEVER


def test_a_missing_asset_is_404_not_the_page(site):
    response = requests.get(site.base_url + "/assets/index-000000.js", timeout=30)
    assert response.status_code == 404 and response.content != INDEX


def test_head_answers_without_a_body(site):
    response = requests.head(site.base_url + "/projects", timeout=30)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["Content-Security-Policy"] == CSP


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
                                  "/escape.txt", "//etc/passwd", "/%2Fetc%2Fpasswd", "/assets/../../secret.txt"])
def test_nothing_outside_the_directory_is_served(site, path):
    status, body = raw_get(site.base_url, path)
    assert b"outside the web root" not in body and b"root:" not in body
    assert status in (200, 400, 404)


def test_api_answers_stay_json(site):
    response = requests.get(site.base_url + "/api/v1/no-such-route", timeout=30)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in response.headers
    for path in ("/api", "/api/"):
        assert requests.get(site.base_url + path, timeout=30).json()["error"]["code"] == "not_found"
    wrong_method = requests.get(site.base_url + "/api/v1/auth/login", timeout=30)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"
    # Pages are GET/HEAD only: a POST elsewhere is refused, not answered with the page.
    assert requests.post(site.base_url + "/projects", timeout=30).status_code == 405
    document = requests.get(site.base_url + "/api/v1/openapi.json", timeout=30)
    assert document.status_code == 200 and document.headers["Content-Type"].startswith("application/json")


def test_without_a_build_a_page_says_so(start_gateway, tmp_path):
    site = start_gateway(GATEWAY_WEB_DIST=str(tmp_path / "missing"))
    response = requests.get(site.base_url + "/projects", timeout=30)
    assert response.status_code == 503
    assert "make web" in response.text and response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_page_headers(response)
