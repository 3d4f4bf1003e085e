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


def test_request_lines_and_reprs_lose_mobiles_addresses_and_codes():
    # What an HTTP server logs (the stand-ins' request lines) and what an error's repr carries.
    lines = ['"GET /sms/messages?mobile=13812345678 HTTP/1.1" 200 -',
             '"GET /?to=zhangxiaohan%40ngdc-demo.example.cn HTTP/1.1" 200 -',
             "refused {'sms_code': '482913', 'legacy_mobile': '18600001111'}",
             '{"code": "654321", "to": "liuhaoran@ngdc-demo.example.cn"}',
             "您的验证码为：739201，10 分钟内有效", "code is 123456"]
    masked = "\n".join(mask_text(line) for line in lines)
    for secret in ("13812345678", "zhangxiaohan%40", "482913", "18600001111", "654321", "liuhaoran@",
                   "739201", "123456"):
        assert secret not in masked, secret
    assert "z***@ngdc-demo.example.cn" in masked and "138****5678" in masked
    assert mask_text("backup BF2021031500012 of 张晓寒") == "backup BF2021031500012 of 张晓寒"


def test_the_quick_gate_never_skips_what_a_pattern_would_mask(monkeypatch):
    """mask_text skips plain values after one search: whatever any pattern masks must pass the gate."""
    import re

    import hgrip_kernel.masking as masking
    samples = ["sent 验证码: 482913", "CODE is 123456", "Token=abc", "passwd: x", "SECRET: y",
               "bearer abc.def", "eyJa.eyJb.c", "+86 13812345678", "8613812345678", "zhangxx@big.ac.cn",
               "zhangxx%40big.ac.cn", "Code为：123456", "backup 2026-12-02T10:00:00+00:00 took 12.5 ms",
               "01a2371b-0d66-70fe-8714-7c90815af7b6", "verification.on_backup_submitted", "张晓寒", "ok", ""]
    gated = [mask_text(text) for text in samples]
    monkeypatch.setattr(masking, "_MAYBE_SENSITIVE", re.compile(""))   # matches everything: no gate
    assert gated == [mask_text(text) for text in samples]
    assert gated[-6:] == samples[-6:]   # plain values come back as they were
