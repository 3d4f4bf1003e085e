"""Rate limits in front of guessing and sending: login, code sending, code checking and claims.

Counters live in Redis (``REDIS_URL``), so every gateway instance of a deployment counts together.
Each limit is a fixed window (``limit`` attempts per ``window`` seconds) keyed by what it protects:
an account, a client address, or the pair. Over a limit the answer is 429 ``rate_limited`` with
``Retry-After`` (the seconds until that window ends) and ``details.retry_after_seconds``.

Who is slowed, and who is not (OWASP's advice against lockouts):
- a login counts only wrong passwords, strictly per (account, address) pair, loosely per address and
  very loosely per account (that one bites only a guesser spread over many addresses), so the owner
  logging in from elsewhere is never refused because a stranger guessed; open sessions are never
  touched; a browser that has logged in to the account before holds a signed "known device" cookie
  that exempts it from the per-account limit, so not even a distributed guesser keeps its owner out;
- an attempt refused here is not counted (a refused guesser cannot push the account's counter up
  by hammering);
- code checks and claims count refusals, code sends count what was sent.

Redis unreachable: the limits fail open (the request goes on) with a ``rate_limit.unavailable``
warning in the log, so that an outage of Redis is not an outage of the platform; the services'
own limits (5 tries per code, one code per file every 5 minutes, per registrant every minute) hold.

A fixed window can let up to twice a limit through around a window's edge; the brute-force figures
in docs/api.md count that.
"""
import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from hgrip_kernel.errors import DomainError, TooManyRequests
from hgrip_kernel.logging import get_logger

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Redis must answer fast or not at all: a stuck Redis would otherwise hold every login.
REDIS_TIMEOUT_SECONDS = 0.5

log = get_logger(__name__)


@dataclass(frozen=True)
class Limit:
    limit: int     # attempts allowed per window
    window: int    # seconds


# name -> default; RATE_LIMITS ("login_pair=5/900,claim_account=10/3600") overrides any of them.
DEFAULT_LIMITS = {
    "login_pair": Limit(5, 900),          # wrong passwords for one account from one address
    "login_address": Limit(30, 900),      # wrong passwords from one address, whatever the account
    "login_account": Limit(100, 3600),    # wrong passwords for one account from everywhere
    "code_send_account": Limit(20, 3600),   # e-mail and SMS codes sent for one account
    "code_send_address": Limit(60, 3600),
    "code_check_account": Limit(10, 3600),  # wrong e-mailed codes (data files) of one account
    "code_check_address": Limit(30, 3600),
    "claim_account": Limit(10, 3600),       # refused claims (wrong SMS code, name or mobile)
    "claim_address": Limit(30, 3600),
}


def parse_limits(text: str | None) -> dict[str, Limit]:
    """The defaults with ``name=limit/window,…`` applied; an unknown name or a bad number is an error
    at start-up, not a silently missing limit."""
    limits = dict(DEFAULT_LIMITS)
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        count, _, window = value.partition("/")
        name = name.strip()
        if name not in DEFAULT_LIMITS:
            raise ValueError(f"RATE_LIMITS: unknown limit {name!r} (known: {', '.join(DEFAULT_LIMITS)})")
        limit = Limit(int(count), int(window))
        if limit.limit < 1 or limit.window < 1:
            raise ValueError(f"RATE_LIMITS: {name} needs a limit and a window of at least 1")
        limits[name] = limit
    return limits


def rate_limited(retry_after_seconds: int) -> TooManyRequests:
    # Says when, never which limit: that would tell a guesser which of its keys is spent.
    # The wait is in Retry-After and the details, not the text: one message, whatever the wait.
    return TooManyRequests(
        "rate_limited", "Too many attempts; please wait before trying again.", "尝试次数过多，请稍后再试。",
        {"retry_after_seconds": retry_after_seconds})


# ---- the client address -------------------------------------------------------------------------

def trusted_networks(text: str | None) -> tuple:
    """``GATEWAY_TRUSTED_PROXIES``: addresses or networks (comma-separated) of proxies whose
    X-Forwarded-For is believed. Default none: the peer address is the client."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in (text or "").split(",")
                 if part.strip())


def client_address(request: Request, trusted: tuple) -> str:
    """The peer address; behind trusted proxies the right-most X-Forwarded-For hop that is not one of
    them (the left part of the header is whatever the client chose to write)."""
    peer = request.remote_addr or ""
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        if not _is_address(hop):
            return peer  # a garbled header: fall back to the proxy itself, never to the garble
        if not _within(hop, trusted):
            return hop
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


# ---- the counters -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Taken:
    """The counters one attempt incremented (given back when the attempt is not to count)."""
    keys: tuple[str, ...] = ()


class Throttle:
    def __init__(self, client: "redis.Redis", namespace: str, limits: dict[str, Limit], trusted: tuple = (),
                 clock: Callable[[], float] = time.time):
        self.redis = client
        self.namespace = namespace
        self.limits = limits
        self.trusted = trusted
        self.clock = clock
        self.devices: KnownDevices | None = None   # set by Throttled (it needs the token secret)

    def address(self, request: Request) -> str:
        return client_address(request, self.trusted)

    def take(self, checks: list[tuple[str, str]]) -> Taken:
        """Count one attempt against every ``(limit name, subject)``; over any of them, give every
        count back and refuse (429 rate_limited). Redis away: nothing counted, a warning logged."""
        now = self.clock()
        keyed = [(self._key(name, subject, now), self.limits[name]) for name, subject in checks]
        try:
            pipe = self.redis.pipeline(transaction=True)
            for key, limit in keyed:
                pipe.incr(key)
                pipe.expire(key, limit.window + 1)
            counts = pipe.execute()[0::2]
        except redis.RedisError as exc:
            log.warning("rate_limit.unavailable", error=type(exc).__name__, detail=str(exc))
            return Taken()
        taken = Taken(tuple(key for key, _ in keyed))
        waits = [self._window_end(limit, now) - now for (_, limit), count in zip(keyed, counts, strict=True)
                 if count > limit.limit]
        if waits:
            self.give_back(taken)
            raise rate_limited(max(1, math.ceil(max(waits))))
        return taken

    def give_back(self, taken: Taken) -> None:
        if not taken.keys:
            return
        try:
            pipe = self.redis.pipeline(transaction=True)
            for key in taken.keys:
                pipe.decr(key)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate_limit.unavailable", error=type(exc).__name__, detail=str(exc))

    def attempt(self, checks: list[tuple[str, str]], do: Callable[[], object],
                counts: Callable[[BaseException | None], bool]):
        """``do()`` under the limits of ``checks``; the attempt stays counted only if ``counts(error)``
        (``None`` on success) says so."""
        taken = self.take(checks)
        try:
            result = do()
        except BaseException as exc:
            if not counts(exc):
                self.give_back(taken)
            raise
        if not counts(None):
            self.give_back(taken)
        return result

    def _key(self, name: str, subject: str, now: float) -> str:
        # Subjects are usernames and addresses: hashed, so Redis holds no personal data in clear.
        digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]
        return f"{self.namespace}:{name}:{digest}:{int(now // self.limits[name].window)}"

    @staticmethod
    def _window_end(limit: Limit, now: float) -> float:
        return (math.floor(now / limit.window) + 1) * limit.window


# ---- known devices (OWASP's "device cookies") ----------------------------------------------------

DEVICE_COOKIE = "hgrip_device"
DEVICE_COOKIE_PATH = "/api/v1/auth/"      # sent to the login routes only
DEVICE_DAYS = 180


class KnownDevices:
    """A browser that logged in to an account gets a cookie signed for that username; presenting it
    again exempts a login of that username from the per-account limit (never from the pair's or the
    address's). It names no account: the signature is checked against the username being tried."""

    def __init__(self, secret: str, days: int = DEVICE_DAYS, clock: Callable[[], float] = time.time):
        # A key of its own, derived: a device cookie can never pass for anything else signed here.
        self.key = hmac.new(secret.encode("utf-8"), b"hgrip known-device cookie", hashlib.sha256).digest()
        self.days = days
        self.clock = clock

    def cookie(self, username: str, secure: bool) -> str:
        """The Set-Cookie value after a successful browser login."""
        max_age = self.days * 86400
        expires = int(self.clock()) + max_age
        attributes = [f"{DEVICE_COOKIE}={expires}.{self._signature(username, expires)}", "HttpOnly",
                      "SameSite=Strict", f"Path={DEVICE_COOKIE_PATH}", f"Max-Age={max_age}"]
        if secure:
            attributes.append("Secure")
        return "; ".join(attributes)

    def knows(self, request: Request, username: str) -> bool:
        expires, _, signature = (request.cookies.get(DEVICE_COOKIE) or "").partition(".")
        if not expires.isdigit() or int(expires) < self.clock():
            return False
        return hmac.compare_digest(signature, self._signature(username, int(expires)))

    def _signature(self, username: str, expires: int) -> str:
        return hmac.new(self.key, f"{username}\n{expires}".encode(), hashlib.sha256).hexdigest()


# ---- what counts --------------------------------------------------------------------------------

def wrong_password(error: BaseException | None) -> bool:
    return isinstance(error, DomainError) and error.code == "invalid_credentials"


def refused(error: BaseException | None) -> bool:
    """A refusal by the service (wrong or locked code, unknown registrant…), not an outage."""
    return isinstance(error, DomainError) and getattr(error, "http_status", 400) < 500


def sent(error: BaseException | None) -> bool:
    return error is None


# ---- wiring -------------------------------------------------------------------------------------

def namespace_of(config: dict) -> str:
    """``RATE_LIMIT_NAMESPACE``, else one per broker vhost: the gateways of one deployment share their
    vhost (and so their counters), two deployments on one Redis (tests, staging) never mix."""
    explicit = config.get("RATE_LIMIT_NAMESPACE")
    if explicit:
        return f"hgrip-rl:{explicit}"
    vhost = urlsplit(config.get("AMQP_URI", "")).path.lstrip("/") or "/"
    return f"hgrip-rl:{vhost}"


def throttle_from_config(config: dict) -> Throttle:
    client = redis.Redis.from_url(config.get("REDIS_URL") or DEFAULT_REDIS_URL,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    return Throttle(client, namespace_of(config), parse_limits(config.get("RATE_LIMITS")),
                    trusted_networks(config.get("GATEWAY_TRUSTED_PROXIES")))


class Throttled(DependencyProvider):
    """One ``Throttle`` per gateway container (its Redis connection pool is shared by the workers),
    with the container's ``KnownDevices`` as ``throttle.devices``."""

    def __init__(self):
        self.throttle: Throttle | None = None

    def setup(self):
        self.throttle = throttle_from_config(self.container.config)
        self.throttle.devices = KnownDevices(self.container.config["TOKEN_SECRET"])

    def get_dependency(self, worker_ctx):
        return self.throttle
