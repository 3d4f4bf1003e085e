"""Personal data and secrets never reach a log line or a response in clear."""
import re

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# "@" also percent-encoded: a request line carries an address in its query as a%40b.cn.
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*(?:@|%40)([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]+")
# key=value, key: value, and a dict's or JSON's "key": "value" inside a message (an error's repr).
_SECRET_IN_TEXT = re.compile(
    r"""(?i)((?:code|验证码|password|passwd|secret|token)["']?\s*[:=：]\s*["']?)[^\s,;"'&}]+""")
_CODE_DIGITS = re.compile(r"(?i)((?:code|验证码)\s*(?:is|为|是)?\s*[:：]?\s*)\d{4,8}(?!\d)")

SECRET_KEYS = frozenset({"password", "new_password", "old_password", "token", "access_token",
                         "refresh_token", "code", "sms_code", "verification_code", "secret",
                         "authorization", "signature", "password_hash", "code_hash"})
MOBILE_KEYS = frozenset({"mobile", "phone", "legacy_mobile", "old_mobile"})
EMAIL_KEYS = frozenset({"email", "pi_email", "submission_account", "to", "recipient"})


def mask_mobile(mobile: str | None) -> str | None:
    if not mobile:
        return mobile
    digits = re.sub(r"\D", "", mobile)[-11:]
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


# Every pattern above needs one of these; most log values (ids, names, outcomes) have none, and one
# search is far cheaper than six substitutions on every value of every log line.
_MAYBE_SENSITIVE = re.compile(r"(?i)eyJ|bearer|code|验证码|passw|secret|token|@|%40|\d{11}")


def mask_text(text: str) -> str:
    if not _MAYBE_SENSITIVE.search(text):
        return text
    text = _JWT.sub("***token***", text)
    text = _BEARER.sub(r"\1***", text)
    text = _SECRET_IN_TEXT.sub(r"\1***", text)
    text = _CODE_DIGITS.sub(r"\1***", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


def mask_value(key: str | None, value):
    """Mask by key name first (secrets vanish entirely), then by pattern in free text."""
    lowered = (key or "").lower()
    if lowered in SECRET_KEYS:
        return "***" if value not in (None, "") else value
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(None, v) for v in value]
    if isinstance(value, str):
        if lowered in MOBILE_KEYS:
            return mask_mobile(value)
        if lowered in EMAIL_KEYS:
            return mask_email(value) if "@" in value else mask_text(value)
        return mask_text(value)
    return value
