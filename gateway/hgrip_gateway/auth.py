"""Who is calling: a bearer token, or the browser's session cookie holding the same token.

The token is checked in the gateway and the account behind it comes from identity, kept while the
revocation feed is connected (accounts.py): an account that leaves or changes is asked about again at
its next request, on every gateway. A cookie is an ambient credential — the browser attaches it to requests
other sites cause — so a request authenticated by it that changes something must also prove it
comes from our own pages (``check_csrf``); a bearer token is never sent by the browser on its own
and needs no such proof.
"""
from werkzeug.wrappers import Request

from .accounts import Accounts
from .errors import GatewayError

CHALLENGE = 'Bearer realm="hgrip"'
SESSION_COOKIE = "hgrip_session"
# Only /api/ reads the cookie: the pages and their assets never need it.
SESSION_COOKIE_PATH = "/api/"
CSRF_HEADER = "X-HGRIP-CSRF"
CSRF_VALUE = "1"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``; unauthenticated if absent, invalid_token if malformed."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise GatewayError("unauthenticated")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise GatewayError("invalid_token")
    return token


def session_token(request: Request) -> str | None:
    """The session cookie's token, or None when the browser sent none (or an empty one)."""
    return request.cookies.get(SESSION_COOKIE) or None


def authenticate(accounts: Accounts, identity, request: Request, timeout: float) -> dict:
    """The account behind the request: ``Authorization: Bearer`` first, else the session cookie.

    An unsafe request authenticated by the cookie must pass ``check_csrf`` before the token is even
    looked at, so a forged request learns nothing and costs nothing.
    """
    if request.headers.get("Authorization", "").strip():
        token = bearer_token(request)
    else:
        token = session_token(request)
        if token is None:
            raise GatewayError("unauthenticated")
        if request.method in UNSAFE_METHODS:
            check_csrf(request)
    return accounts.account_for(identity, token, timeout)


def check_csrf(request: Request) -> None:
    """Refuse (403 csrf_rejected) unless the request carries ``X-HGRIP-CSRF: 1`` and any ``Origin``
    it has is this very host.

    A cross-site form cannot set a custom header, and a cross-site script can set one only after a
    CORS preflight this gateway never grants; the Origin check refuses what a misconfigured proxy
    or browser might still let through.
    """
    if request.headers.get(CSRF_HEADER, "").strip() != CSRF_VALUE:
        raise GatewayError("csrf_rejected", {"reason": f"missing {CSRF_HEADER}: {CSRF_VALUE} header"})
    origin = request.headers.get("Origin")
    if origin is not None and _host_port(origin) != _host_port_of_request(request):
        raise GatewayError("csrf_rejected", {"reason": "Origin is not this site"})


def request_is_https(request: Request) -> bool:
    """HTTPS as the browser sees it: directly, or through a TLS-terminating proxy that says so."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.scheme == "https" or forwarded == "https"


def session_cookie(token: str, max_age: int, secure: bool) -> str:
    """The Set-Cookie value of a session: HttpOnly (scripts never read the token), SameSite=Strict
    (never sent on requests other sites start), scoped to the API."""
    attributes = [f"{SESSION_COOKIE}={token}", "HttpOnly", "SameSite=Strict", f"Path={SESSION_COOKIE_PATH}",
                  f"Max-Age={max(0, int(max_age))}"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def cleared_session_cookie(secure: bool) -> str:
    return session_cookie("", 0, secure)


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _host_port(origin: str) -> str | None:
    """``scheme://host[:port]`` → ``host:port`` (default port filled in); None if it is no origin
    (``null`` from a sandboxed frame or a privacy-sensitive redirect)."""
    scheme, sep, rest = origin.strip().partition("://")
    if not sep or not rest or "/" in rest:
        return None
    return _with_port(rest.lower(), _DEFAULT_PORTS.get(scheme.lower()))


def _host_port_of_request(request: Request) -> str | None:
    host = request.headers.get("Host", "").strip().lower()
    if not host:
        return None
    scheme = "https" if request_is_https(request) else "http"
    return _with_port(host, _DEFAULT_PORTS[scheme])


def _with_port(host: str, default_port: str | None) -> str | None:
    if host.startswith("["):  # IPv6 literal
        end = host.find("]")
        if end < 0:
            return None
        name, port = host[:end + 1], host[end + 2:] if host[end + 1:end + 2] == ":" else ""
    else:
        name, _, port = host.partition(":")
    port = port or default_port
    return f"{name}:{port}" if name and port else None
