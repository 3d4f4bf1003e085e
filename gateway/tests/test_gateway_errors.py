"""Every exception becomes the one error body with the right status, in English and Chinese."""
import re

import pytest
from amqp.exceptions import NotFound as NoSuchExchange
from marshmallow import Schema, ValidationError, fields
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import MethodNotAllowed, RequestURITooLarge
from werkzeug.exceptions import NotFound as RouteNotFound

from hgrip_gateway.errors import MESSAGES, GatewayError, describe
from hgrip_gateway.responses import error_response
from hgrip_kernel.errors import (
    ConcurrencyError,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    Locked,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_gateway_message_exists_in_english_and_chinese(code):
    status, message, message_zh = MESSAGES[code]
    assert 400 <= status < 600
    assert message.isascii() and message.strip()
    assert CJK.search(message_zh)


@pytest.mark.parametrize("error_cls, status", [
    (InvalidInput, 400), (Unauthorized, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409),
    (ConcurrencyError, 409), (Locked, 423), (TooManyRequests, 429), (DomainError, 400)])
def test_domain_errors_keep_code_messages_details_and_status(error_cls, status):
    exc = error_cls("some_code", "English text.", "中文说明。", {"field": ["why"]})
    got_status, body, headers, unexpected = describe(exc)
    assert got_status == status and not unexpected and headers == {}
    assert body == {"error": {"code": "some_code", "message": "English text.", "message_zh": "中文说明。",
                              "details": {"field": ["why"]}}}


def test_gateway_errors_take_their_messages_from_the_table():
    status, body, headers, _ = describe(GatewayError("invalid_signature", {"reason": "stale"}, {"X-A": "1"}))
    assert status == 401 and headers == {"X-A": "1"}
    assert body["error"] == {"code": "invalid_signature", "message": MESSAGES["invalid_signature"][1],
                             "message_zh": MESSAGES["invalid_signature"][2], "details": {"reason": "stale"}}


def test_validation_errors_are_invalid_input_with_details_per_field():
    class Body(Schema):
        name = fields.String(required=True)
        age = fields.Integer()

    with pytest.raises(ValidationError) as caught:
        Body().load({"age": "x", "extra": 1})
    status, body, _, _ = describe(caught.value)
    assert status == 400 and body["error"]["code"] == "invalid_input"
    problems = body["error"]["details"]["fields"]
    assert set(problems) == {"name", "age", "extra"}
    assert problems["name"] == [{"code": "required", "message": "Missing data for required field.",
                                 "message_zh": "此项为必填项。", "params": {}}]
    assert problems["age"][0]["code"] == "invalid_type" and problems["age"][0]["params"] == {"type": "integer"}
    assert problems["extra"][0]["code"] == "unknown_field"


def test_a_services_invalid_input_gets_the_same_shape_of_field_problems():
    # A service's English-only details; its own message stands for the field's when repeated.
    exc = InvalidInput("invalid_input", "unknown institution 'X'", "未知的法人单位 'X'",
                       {"institution": ["unknown institution 'X'"], "name": ["Must not contain control characters."]})
    status, body, _, _ = describe(exc)
    problems = body["error"]["details"]["fields"]
    assert status == 400
    assert problems["institution"] == [{"code": "invalid", "message": "unknown institution 'X'",
                                        "message_zh": "未知的法人单位 'X'", "params": {}}]
    assert problems["name"][0] == {"code": "control_characters", "message": "Must not contain control characters.",
                                   "message_zh": "不能包含控制字符。", "params": {}}


@pytest.mark.parametrize("exc", [UnknownService("backups"), RpcTimeout("10 s"), ConnectionRefusedError(),
                                 NoSuchExchange("Basic.publish: (404) NOT_FOUND - no exchange 'nameko-rpc'")])
def test_unreachable_services_are_503(exc):
    status, body, headers, unexpected = describe(exc)
    assert (status, body["error"]["code"], unexpected) == (503, "service_unavailable", False)
    assert headers["Retry-After"]


def test_routing_failures():
    assert describe(RouteNotFound())[1]["error"]["code"] == "not_found"
    status, body, headers, _ = describe(MethodNotAllowed(valid_methods=["POST", "GET"]))
    assert (status, body["error"]["code"], headers) == (405, "method_not_allowed", {"Allow": "GET, POST"})
    status, body, _, _ = describe(RequestURITooLarge())
    assert (status, body["error"]["code"]) == (414, "bad_request")


@pytest.mark.parametrize("exc", [RuntimeError("password=hunter2 at db.internal"), KeyError("secret"),
                                 RemoteError("ValueError", "stack trace of projects")])
def test_anything_else_is_500_and_says_nothing_about_it(exc):
    status, body, headers, unexpected = describe(exc)
    assert (status, unexpected, headers) == (500, True, {})
    assert body["error"]["code"] == "internal_error" and body["error"]["details"] == {}
    assert str(exc) not in str(body) and "hunter2" not in str(body)


def test_a_401_gets_the_challenge_of_its_route():
    response, _ = error_response(GatewayError("unauthenticated"), challenge='Bearer realm="hgrip"')
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Bearer realm="hgrip"'
    response, _ = error_response(Forbidden("no", "no", "不"), challenge='Bearer realm="hgrip"')
    assert "WWW-Authenticate" not in response.headers
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("seconds, header", [(120, "120"), (299.2, "300"), (0, "0"), (1e-3, "1"),
                                             ("241", "241"), ("12.5", "13")])
def test_a_refusal_with_retry_after_seconds_sets_retry_after(seconds, header):
    # verification's code_resend_too_soon, passed through backups unchanged.
    exc = TooManyRequests("code_resend_too_soon", "Wait before asking again.", "请稍后再请求验证码。",
                          {"retry_after_seconds": seconds})
    status, body, headers, unexpected = describe(exc)
    assert (status, headers, unexpected) == (429, {"Retry-After": header}, False)
    assert body["error"]["details"] == {"retry_after_seconds": seconds}  # the body is not touched
    response, _ = error_response(exc)
    assert response.status_code == 429 and response.headers["Retry-After"] == header


@pytest.mark.parametrize("details", [{}, {"retry_after_seconds": None}, {"retry_after_seconds": "soon"},
                                     {"retry_after_seconds": True}, {"retry_after_seconds": float("inf")},
                                     {"retry_after_seconds": "None"}, {"retry_after_seconds": "nan"}])
def test_no_usable_retry_after_seconds_means_no_header(details):
    assert describe(TooManyRequests("slow_down", "Slow down.", "请慢一点。", details))[2] == {}


def test_a_services_503_keeps_its_code_and_passes_retry_after_on():
    exc = ServiceUnavailable("repository_unavailable", "The repository cannot be reached.", "数据仓库暂时无法访问。",
                             {"retry_after_seconds": 30})
    status, body, headers, _ = describe(exc)
    assert (status, body["error"]["code"], headers) == (503, "repository_unavailable", {"Retry-After": "30"})


def test_backup_not_submitted_is_a_bilingual_409():
    status, body, _, _ = describe(GatewayError("backup_not_submitted", {"backup_id": "b-1"}))
    assert status == 409 and body["error"]["details"] == {"backup_id": "b-1"}
    assert CJK.search(body["error"]["message_zh"]) and "submitted" in body["error"]["message"]
