"""One declaration per route: HTTP binding, authentication, request and response schemas.

``route`` wraps a handler so that authentication, body validation, response dumping, error
mapping and the X-Request-Id header happen the same way everywhere; openapi.py reads the very
same declarations, so the document cannot drift from what the gateway enforces.
"""
import functools
import inspect
import time
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response

from .auth import CHALLENGE as BEARER_CHALLENGE
from .auth import authenticate, check_csrf
from .hgrg_auth import CHALLENGE as HGRG_CHALLENGE
from .hgrg_auth import verify_hgrg_request
from .responses import REQUEST_ID_HEADER, error_response, json_response, read_json
from .web import api

# BEARER: a bearer token or the session cookie (auth.authenticate); HGRG: the HMAC signature.
BEARER, HGRG, PUBLIC = "bearer", "hgrg", None
# A 401 must say how to authenticate (RFC 9110); login's invalid_credentials points to bearer too.
CHALLENGES = {BEARER: BEARER_CHALLENGE, HGRG: HGRG_CHALLENGE, PUBLIC: BEARER_CHALLENGE}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    rule: str                              # werkzeug rule, e.g. /api/v1/projects/<project_id>
    summary: str
    tag: str
    auth: str | None = BEARER
    body: type[Schema] | None = None       # request schema (validates, and documents)
    query: type[Schema] | None = None      # query-string schema (validates, and documents)
    response: type[Schema] | None = None   # response schema (dumps, and documents)
    status: int = 200
    errors: tuple[int, ...] = ()           # error statuses worth documenting besides the common ones
    description: str = ""
    csrf: bool = False                     # always needs the CSRF proof (the session routes themselves)
    headers: tuple[tuple[str, str], ...] = ()  # (name, description) of success headers, documented
    content: tuple[str, ...] = ()          # media types of a non-JSON (file) answer, documented


@dataclass
class Reply:
    """What a handler returns when the status or headers differ from the route's defaults."""
    payload: object
    status: int | None = None
    headers: dict = field(default_factory=dict)


def route(method: str, rule: str, *, summary: str, tag: str, auth: str | None = BEARER,
          body: type[Schema] | None = None, query: type[Schema] | None = None,
          response: type[Schema] | None = None, status: int = 200, errors: tuple[int, ...] = (),
          csrf: bool = False, headers: dict[str, str] | None = None, content: tuple[str, ...] = ()):
    """Declare a gateway route. The handler is called as
    handler(self, request, [account], [body], [query], **path); it returns the payload, a Reply,
    or (a file, ``content`` naming its media types) a werkzeug Response, sent as it is."""

    def decorate(fn):
        spec = Route(fn.__name__, method, rule, summary, tag, auth, body, query, response, status,
                     errors, inspect.cleandoc(fn.__doc__ or ""), csrf, tuple((headers or {}).items()),
                     tuple(content))
        body_schema = body() if body else None
        query_schema = query() if query else None
        response_schema = response() if response else None

        @functools.wraps(fn)
        def handler(self, request, **path):
            started = time.monotonic()
            try:
                kwargs = dict(path)
                if csrf:
                    check_csrf(request)
                if auth == BEARER:
                    kwargs["account"] = authenticate(self.accounts, self.identity, request, self.rpc_timeout)
                elif auth == HGRG:
                    verify_hgrg_request(request, self.config.get("HGRG_SHARED_SECRET"))
                if body_schema is not None:
                    kwargs["body"] = read_json(request, body_schema)
                if query_schema is not None:
                    # A repeated parameter keeps its first value; unknown ones are refused.
                    kwargs["query"] = query_schema.load(request.args.to_dict(flat=True))
                elif request.args:  # a route without parameters has only unknown ones: refused too
                    raise ValidationError({name: ["Unknown field."] for name in request.args})
                result = fn(self, request, **kwargs)
                if not isinstance(result, (Reply, Response)):
                    result = Reply(result)
                if isinstance(result, Response):   # a file, perhaps streamed: as it is
                    response = result
                elif (result.status or status) == 204:
                    response = Response(status=204, headers=result.headers)
                    del response.headers["Content-Type"]  # no body, so no type
                else:
                    payload = response_schema.dump(result.payload) if response_schema else result.payload
                    response = json_response(payload, result.status or status, result.headers)
            except Exception as exc:
                response, unexpected = error_response(exc, CHALLENGES[auth])
                if unexpected:  # the client sees internal_error only; the log keeps the traceback
                    self.ctx.log.exception("http.handler_failed", route=spec.name)
            response.headers[REQUEST_ID_HEADER] = self.ctx.correlation_id
            self.ctx.log.info("http.request", method=request.method, path=request.path, route=spec.name,
                              status=response.status_code,
                              duration_ms=round((time.monotonic() - started) * 1000, 1))
            return response

        handler.__route__ = spec
        return api(method, rule)(handler)

    return decorate


def routes_of(service_cls) -> list[Route]:
    """The routes declared on a service class, in definition order."""
    return [member.__route__ for member in vars(service_cls).values() if hasattr(member, "__route__")]
