"""The built web application (``web/dist``), served by the gateway so the platform has one address.

Any GET/HEAD outside ``/api`` is a page: an existing file under the directory is sent as it is,
anything else gets ``index.html`` and the application's router decides (single-page app). Vite
names the files under ``assets/`` by a hash of their content, so they may be cached for a year;
``index.html`` names them and must never be cached, or a release would load stale code.
"""
import mimetypes
import os
from pathlib import Path

from werkzeug.routing import PathConverter
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

WEB_DIST_CONFIG = "GATEWAY_WEB_DIST"        # nameko config key, from HGRIP_WEB_DIST
WEB_DIST_ENV = "HGRIP_WEB_DIST"
DEFAULT_WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
INDEX = "index.html"
ASSETS_PREFIX = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
NEVER_CACHE = "no-cache, no-store, must-revalidate"
HTML_TYPE = "text/html; charset=utf-8"

# Not every system's mime table knows these; a wrong type would be refused under nosniff.
_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".html": HTML_TYPE, ".json": "application/json",
          ".svg": "image/svg+xml", ".woff2": "font/woff2", ".woff": "font/woff", ".ico": "image/x-icon",
          ".png": "image/png", ".webp": "image/webp", ".map": "application/json", ".txt": "text/plain; charset=utf-8"}

NOT_BUILT_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>HGRIP</title></head>
<body><h1>网页应用尚未构建 · The web application is not built</h1>
<p>请运行 <code>make web</code>，或使用 <code>make run</code>。 \
Run <code>make web</code> (or <code>make run</code>).</p>
<p>HTTP API: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p></body></html>
"""


class PageConverter(PathConverter):
    """Like ``<path:…>`` but never a path under ``/api``: an unknown API path must stay the API's
    JSON 404 (and a wrong method its 405), not become a page."""
    regex = r"(?!api(?:/|$))[^/].*?"


def web_dist(config) -> Path:
    configured = config.get(WEB_DIST_CONFIG) or os.environ.get(WEB_DIST_ENV)
    return Path(configured) if configured else DEFAULT_WEB_DIST


def serve_page(request: Request, root: Path, path: str) -> Response:
    """The file at ``path`` under ``root``, else index.html, else the not-built page (503).

    A missing file under ``assets/`` is a 404, not index.html: it is a stale reference to a build
    that is gone, and HTML in place of a script would only fail later, less clearly.
    """
    target = _existing_file(root, path)
    if target is not None:
        return _file_response(request, target, IMMUTABLE if path.startswith(ASSETS_PREFIX) else NEVER_CACHE)
    if path.startswith(ASSETS_PREFIX):
        return Response("Not found.\n", status=404, content_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": NEVER_CACHE})
    index = _existing_file(root, INDEX)
    if index is None:
        return Response(NOT_BUILT_PAGE, status=503, content_type=HTML_TYPE,
                        headers={"Cache-Control": NEVER_CACHE, "Retry-After": "30"})
    return _file_response(request, index, NEVER_CACHE)


def _existing_file(root: Path, path: str) -> Path | None:
    """A regular file under ``root`` (safe_join refuses ``..``, absolute and drive paths); symlinks
    are resolved and must still land inside ``root``."""
    joined = safe_join(str(root), path) if path else None
    if joined is None:
        return None
    candidate = Path(joined)
    try:
        resolved, base = candidate.resolve(strict=True), root.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_file() or not resolved.is_relative_to(base):
        return None
    return resolved


def _file_response(request: Request, target: Path, cache_control: str) -> Response:
    content_type = _TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] \
        or "application/octet-stream"
    gzipped = target.with_name(target.name + ".gz")
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if "gzip" in request.accept_encodings and gzipped.is_file():
        target = gzipped
        headers["Content-Encoding"] = "gzip"
    response = Response(target.read_bytes(), content_type=content_type, headers=headers)
    if cache_control == IMMUTABLE:
        response.add_etag()
    return response.make_conditional(request) if cache_control == IMMUTABLE else response
