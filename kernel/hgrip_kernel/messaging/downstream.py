"""Downstream systems' lanes on the broker: per system (HGRG first) one durable queue bound to
``hgrip.published`` and one RabbitMQ user that may only read that queue (docs/protocols/feed.md).

Everything goes through RabbitMQ's management HTTP API as an administrator (the same plugin the
platform's tests use): it works from any machine that reaches the broker's port 15672, a cluster as
well as this one, where ``rabbitmqctl`` needs a shell on a broker node and its Erlang cookie.
No kombu here: the ``hgrip`` CLI imports this before ``hgrip serve`` patches eventlet.
"""
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlparse

from ..contracts.published import PUBLISHED_EXCHANGE, published_routing_keys

QUEUE_PREFIX = "hgrip.downstream."
NAME_RULE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
MIN_PASSWORD_LENGTH = 16
DEFAULT_MANAGEMENT_PORT = 15672
# RabbitMQ checks permissions by regular expression on resource names. "^$" matches no exchange or
# queue a client may name (the default exchange is checked as "amq.default"): nothing to configure,
# nothing to write to. Consuming (basic.consume/get) needs read on the queue; a passive declare needs no
# permission; queue.bind needs read on the exchange, which the user lacks: the administrator binds.
NOTHING = "^$"


class DownstreamError(Exception):
    """A refusal worth telling the operator as is (bilingual, no secret in it)."""


def queue_name(name: str) -> str:
    return QUEUE_PREFIX + name


def rejected_queue_name(name: str) -> str:
    """Where the broker dead-letters what the downstream system rejected: kept for inspection."""
    return queue_name(name) + ".rejected"


def permissions(name: str) -> dict[str, str]:
    return {"configure": NOTHING, "write": NOTHING, "read": "^" + queue_name(name).replace(".", r"\.") + "$"}


def check_name(name: str) -> str:
    if not NAME_RULE.match(name or ""):
        raise DownstreamError(
            f"下游系统名称无效 / invalid downstream name {name!r}: 2–41 characters, lowercase letters, "
            "digits and '-', starting with a letter (e.g. hgrg)")
    return name


def check_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise DownstreamError(
            f"密码缺失或过短 / the password is missing or shorter than {MIN_PASSWORD_LENGTH} characters "
            "(give it through --password-file or the variable named by --password-env)")
    return password


def check_routing_keys(keys: list[str] | None) -> list[str]:
    """The chosen published routing keys (``#`` or topic patterns), default: every published event."""
    chosen = keys or ["#"]
    for key in chosen:
        if not re.match(r"^[A-Za-z0-9_.*#-]{1,255}$", key):
            raise DownstreamError(f"路由键无效 / invalid routing key {key!r} (e.g. backups.* or "
                                  f"{published_routing_keys()[0]})")
    return sorted(set(chosen))


@dataclass
class Broker:
    """The management API of one broker, for one vhost, as an administrator."""
    base: str                    # http(s)://host:port/api
    vhost: str
    auth: tuple[str, str]
    timeout: float = 15.0
    _session: object = field(default=None, repr=False)

    @classmethod
    def from_uris(cls, amqp_uri: str, management_url: str | None = None) -> "Broker":
        """vhost and (by default) the administrator's credentials from the AMQP URI; the API on the same
        host's port 15672 unless ``management_url`` (whose own credentials, if any, win)."""
        amqp = urlparse(amqp_uri)
        vhost = unquote(amqp.path[1:]) if len(amqp.path) > 1 else "/"
        auth = (unquote(amqp.username or "guest"), unquote(amqp.password or "guest"))
        if management_url:
            api = urlparse(management_url)
            if api.username:
                auth = (unquote(api.username), unquote(api.password or ""))
            scheme, host, port = api.scheme or "http", api.hostname, api.port
            path = api.path.rstrip("/")
        else:
            scheme, host, port, path = "http", amqp.hostname, DEFAULT_MANAGEMENT_PORT, ""
        if not host:
            raise DownstreamError("无法确定代理地址 / cannot tell the broker's host from the given URIs")
        base = f"{scheme}://{host}:{port or DEFAULT_MANAGEMENT_PORT}{path}"
        return cls(base if base.endswith("/api") else base + "/api", vhost, auth)

    @property
    def admin_user(self) -> str:
        return self.auth[0]

    def _call(self, method: str, path: str, json=None, missing_ok: bool = False):
        import requests  # on use: the CLI loads this module for every command

        if self._session is None:
            self._session = requests.Session()
        url = self.base + path
        try:
            answer = self._session.request(method, url, json=json, auth=self.auth,   # type: ignore[attr-defined]
                                           timeout=self.timeout)
        except requests.RequestException as error:
            raise DownstreamError(f"无法连接 RabbitMQ 管理接口 / cannot reach RabbitMQ's management API at "
                                  f"{self.base} ({type(error).__name__}); is rabbitmq_management enabled?"
                                  ) from error
        if missing_ok and answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            try:
                reason = answer.json().get("reason", "")
            except ValueError:
                reason = answer.text[:200]
            raise DownstreamError(f"RabbitMQ 拒绝 / RabbitMQ refused {method} {path.split('?')[0]}: "
                                  f"HTTP {answer.status_code} {reason}")
        if answer.content and answer.headers.get("content-type", "").startswith("application/json"):
            return answer.json()
        return True   # done, nothing to read (None means: not found)

    def _v(self) -> str:
        return quote(self.vhost, safe="")

    # -- the operations ---------------------------------------------------------------------------------
    def user(self, name: str) -> dict | None:
        return self._call("GET", f"/users/{quote(name, safe='')}", missing_ok=True)

    def put_user(self, name: str, password: str) -> None:
        # No tags: the user cannot log into the management UI or API, only speak AMQP.
        self._call("PUT", f"/users/{quote(name, safe='')}", json={"password": password, "tags": ""})

    def delete_user(self, name: str) -> None:
        self._call("DELETE", f"/users/{quote(name, safe='')}", missing_ok=True)

    def user_permissions(self, name: str) -> list[dict]:
        return self._call("GET", f"/users/{quote(name, safe='')}/permissions", missing_ok=True) or []

    def set_permissions(self, name: str, rules: dict[str, str]) -> None:
        self._call("PUT", f"/permissions/{self._v()}/{quote(name, safe='')}", json=rules)

    def delete_permissions(self, name: str) -> None:
        self._call("DELETE", f"/permissions/{self._v()}/{quote(name, safe='')}", missing_ok=True)

    def declare_exchange(self, exchange: str) -> None:
        # As messaging.topology.published_exchange declares it (same arguments, or the broker refuses).
        self._call("PUT", f"/exchanges/{self._v()}/{quote(exchange, safe='')}",
                   json={"type": "topic", "durable": True, "auto_delete": False, "internal": False,
                         "arguments": {}})

    def declare_queue(self, queue: str, arguments: dict | None = None) -> None:
        self._call("PUT", f"/queues/{self._v()}/{quote(queue, safe='')}",
                   json={"durable": True, "auto_delete": False, "arguments": arguments or {}})

    def delete_queue(self, queue: str) -> bool:
        return self._call("DELETE", f"/queues/{self._v()}/{quote(queue, safe='')}", missing_ok=True) is not None

    def bindings(self, exchange: str, queue: str) -> list[dict]:
        return self._call("GET", f"/bindings/{self._v()}/e/{quote(exchange, safe='')}/q/{quote(queue, safe='')}",
                          missing_ok=True) or []

    def bind(self, exchange: str, queue: str, routing_key: str) -> None:
        self._call("POST", f"/bindings/{self._v()}/e/{quote(exchange, safe='')}/q/{quote(queue, safe='')}",
                   json={"routing_key": routing_key, "arguments": {}})

    def unbind(self, exchange: str, queue: str, properties_key: str) -> None:
        self._call("DELETE", f"/bindings/{self._v()}/e/{quote(exchange, safe='')}/q/{quote(queue, safe='')}/"
                             f"{quote(properties_key, safe='')}", missing_ok=True)


@dataclass
class Lane:
    """What ``add`` left in place (for the operator's summary; never the password)."""
    user: str
    vhost: str
    queue: str
    rejected_queue: str
    routing_keys: list[str]
    permissions: dict[str, str]
    user_created: bool


def _refuse_foreign_user(broker: Broker, name: str) -> dict | None:
    existing = broker.user(name)
    if name == broker.admin_user or (existing and existing.get("tags")):
        # Never turn an operator's or a service's account into a downstream one (or change its password).
        raise DownstreamError(f"用户 {name} 已存在且不是下游用户 / user {name} exists and is not a downstream "
                              "user (it has tags or is the administrator): choose another name")
    return existing


def add(broker: Broker, name: str, password: str, routing_keys: list[str] | None = None) -> Lane:
    """Create or bring up to date the lane of downstream system ``name`` (idempotent)."""
    check_name(name)
    check_password(password)
    keys = check_routing_keys(routing_keys)
    existing = _refuse_foreign_user(broker, name)
    queue, rejected = queue_name(name), rejected_queue_name(name)
    broker.declare_exchange(PUBLISHED_EXCHANGE)
    broker.declare_queue(rejected)
    # What the system rejects (nack without requeue) goes to its .rejected queue, not into the void.
    broker.declare_queue(queue, {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": rejected})
    current = {b["routing_key"]: b["properties_key"] for b in broker.bindings(PUBLISHED_EXCHANGE, queue)}
    for key in keys:
        if key not in current:
            broker.bind(PUBLISHED_EXCHANGE, queue, key)
    for key, properties_key in current.items():
        if key not in keys:
            broker.unbind(PUBLISHED_EXCHANGE, queue, properties_key)
    broker.put_user(name, password)
    rules = permissions(name)
    broker.set_permissions(name, rules)
    return Lane(name, broker.vhost, queue, rejected, keys, rules, user_created=existing is None)


def remove(broker: Broker, name: str, keep_queue: bool = False) -> list[str]:
    """Undo ``add`` on this vhost (idempotent). The user goes once it has no permission on any vhost."""
    check_name(name)
    existing = _refuse_foreign_user(broker, name)
    done = []
    if existing is not None:
        broker.delete_permissions(name)
        done.append(f"permissions of {name} on vhost {broker.vhost} removed")
        if not [p for p in broker.user_permissions(name) if p.get("vhost") != broker.vhost]:
            broker.delete_user(name)
            done.append(f"user {name} deleted")
    if not keep_queue:
        for queue in (queue_name(name), rejected_queue_name(name)):
            if broker.delete_queue(queue):
                done.append(f"queue {queue} deleted")
    return done
