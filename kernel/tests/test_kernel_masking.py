import io
import json

from hgrip_kernel.context import bind_request_context, clear_request_context, sane_request_id
from hgrip_kernel.logging import configure_logging, get_logger
from hgrip_kernel.masking import mask_email, mask_mobile, mask_text, mask_value


def test_mobile_and_email_masks():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_email("data-admin@big.ac.cn") == "d***@big.ac.cn"


def test_free_text_loses_mobiles_emails_tokens_and_codes():
    text = ("sent 验证码: 482913 to 13812345678 and zhangxx@big.ac.cn with "
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-def_ghi password=hunter2")
    masked = mask_text(text)
    for secret in ("482913", "13812345678", "zhangxx@", "eyJhbGci", "hunter2"):
        assert secret not in masked
    assert "138****5678" in masked and "z***@big.ac.cn" in masked


def test_secret_keys_vanish_whatever_their_value():
    masked = mask_value(None, {"password": "x", "sms_code": "123456", "mobile": "13900001111",
                               "nested": {"access_token": "abc"}, "name": "张晓寒"})
    assert masked == {"password": "***", "sms_code": "***", "mobile": "139****1111",
                      "nested": {"access_token": "***"}, "name": "张晓寒"}


def test_log_lines_are_json_with_correlation_id_and_no_personal_data():
    stream = io.StringIO()
    configure_logging("tests", stream=stream)
    bind_request_context("req-42")
    try:
        get_logger("t").info("code_sent", mobile="13712345678", note="to data-admin@big.ac.cn",
                             code="654321")
    finally:
        clear_request_context()
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["correlation_id"] == "req-42" and line["service"] == "tests"
    assert line["event"] == "code_sent" and line["level"] == "info"
    raw = stream.getvalue()
    assert "13712345678" not in raw and "data-admin@" not in raw and "654321" not in raw


def test_request_ids_are_kept_only_when_sane():
    assert sane_request_id("abc-123_X") == "abc-123_X"
    assert sane_request_id("bad id\nwith newline") != "bad id\nwith newline"
    assert len(sane_request_id("x" * 65)) == 36
