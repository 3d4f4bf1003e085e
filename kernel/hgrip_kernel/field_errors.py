"""Per-field problems of an ``invalid_input`` refusal, each with a stable code and both languages.

marshmallow reports field problems as English text only (``{"name": ["Length must be between 1
and 200."]}``). A web page must show them in the reader's language and a client must be able to
react to them without parsing English, so every refusal of invalid input carries

    {"fields": {"<path>": [{"code": "length_out_of_range", "message": "...", "message_zh": "...",
                            "params": {"min": 1, "max": 200}}]}}

where ``<path>`` is the field name, dotted for nested values (``units.0.code``), and ``_schema``
for a problem of the whole object. The translation is written once, here: a table of message
templates (marshmallow's own and the platform's custom validators) to a code and a Chinese text.
A message the table does not know keeps its English text, gets code ``invalid`` and a generic
Chinese text, so nothing is ever lost; tests keep the table complete for the platform's schemas.
"""
import re
from collections.abc import Mapping

FIELDS = "fields"
SCHEMA_PATH = "_schema"
UNKNOWN_CODE = "invalid"
UNKNOWN_ZH = "此项不符合要求。"

# What marshmallow's "Not a valid {type}." messages name, in Chinese.
_TYPES_ZH = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "布尔值（true 或 false）",
             "list": "列表", "mapping type": "对象", "object": "对象", "tuple": "元组", "UUID": "UUID",
             "datetime": "日期时间", "date": "日期", "time": "时间", "utf-8 string": "UTF-8 字符串"}

_RANGE_OPS = {"greater than or equal to": ("min", True), "greater than": ("min", False),
              "less than or equal to": ("max", True), "less than": ("max", False)}

# (code, English template, Chinese template). ``{name}`` captures a parameter; the first template
# that matches the whole message wins, so the more specific ones come first.
TEMPLATES: list[tuple[str, str, str]] = [
    # marshmallow fields and schemas
    ("required", "Missing data for required field.", "此项为必填项。"),
    ("null", "Field may not be null.", "此项不能为 null。"),
    ("unknown_field", "Unknown field.", "不支持此字段。"),
    ("invalid_type", "Invalid input type.", "类型不正确，应为对象。"),
    ("invalid_type", "Invalid type.", "类型不正确，应为对象。"),
    ("not_finite", "Special numeric values (nan or infinity) are not permitted.", "不允许 NaN 或无穷大。"),
    ("number_too_large", "Number too large.", "数值过大。"),
    ("invalid", "Invalid value.", "取值无效。"),
    # marshmallow validators
    ("too_short", "Shorter than minimum length {min}.", "长度不能少于 {min}。"),
    ("too_long", "Longer than maximum length {max}.", "长度不能超过 {max}。"),
    ("length_out_of_range", "Length must be between {min} and {max}.", "长度须在 {min} 到 {max} 之间。"),
    ("length_not_equal", "Length must be {equal}.", "长度须为 {equal}。"),
    ("not_one_of", "Must be one of: {choices}.", "须为以下之一：{choices}。"),
    ("invalid_email", "Not a valid email address.", "不是有效的电子邮箱地址。"),
    ("invalid_email", "Not a valid e-mail address.", "不是有效的电子邮箱地址。"),
    ("invalid_url", "Not a valid URL.", "不是有效的网址。"),
    ("pattern_mismatch", "String does not match expected pattern.", "格式不正确。"),
    ("not_equal", "Must be equal to {other}.", "须等于 {other}。"),
    # the platform's own validators (gateway and services)
    ("control_characters", "Must not contain control characters.", "不能包含控制字符。"),
    ("length_out_of_range", "Must be between {min} and {max} characters (after trimming).",
     "须为 {min} 到 {max} 个字符（去掉首尾空格后）。"),
    ("length_out_of_range", "Must be between {min} and {max} characters.", "须为 {min} 到 {max} 个字符。"),
    ("out_of_range", "Must be a whole number from {min} to {max}.", "须为 {min} 到 {max} 之间的整数。"),
    ("out_of_range", "Must be a number greater than 0 (at most {max}).", "须为大于 0 且不超过 {max} 的数。"),
    ("too_long", "Must be at most {max} characters.", "最多 {max} 个字符。"),
    ("invalid_username", "must be {min}-{max} characters without spaces", "须为 {min} 到 {max} 个不含空格的字符。"),
    ("invalid_identifier", "must be {min}-{max} letters, digits, '_', '.' or '-'",
     "须为 {min} 到 {max} 个字母、数字、“_”、“.” 或 “-”。"),
    ("invalid_mobile", "Must be an 11-digit mainland-China mobile number.", "须为 11 位中国大陆手机号码。"),
    ("invalid_mobile", "must be an 11-digit mainland mobile number", "须为 11 位中国大陆手机号码。"),
    ("invalid_code", "Must be {digits} digits.", "须为 {digits} 位数字。"),
    ("invalid_code", "Enter the 6-digit code.", "请输入 6 位数字验证码。"),
    ("invalid_code", "Enter the code from the e-mail.", "请输入邮件中的验证码。"),
    ("invalid_code", "Enter the code from the SMS.", "请输入短信中的验证码。"),
    ("empty_update", "Give at least one of: {fields}.", "请至少提供以下字段之一：{fields}。"),
    ("unknown_category", "Unknown content category.", "未知的涉及内容。"),
    ("categories_required", "Choose at least one content category.", "请至少选择一项涉及内容。"),
    ("duplicate_category", "Each content category may be chosen once.", "每项涉及内容只能选择一次。"),
    ("unknown_detailed_type", "Unknown detailed type.", "未知的详细类型。"),
    ("invalid_accession", "Not a valid accession for this repository.", "不是该数据库的有效数据集序列号。"),
    ("invalid_delegate", "Choose the new delegate among your members.", "请从本单位人员中选择新委托人。"),
    ("payload_not_object", "The payload must be an object.", "请求内容必须是一个对象。"),
    # last: the specific "Not a valid ..." texts above (e-mail, URL, accession) come first
    ("invalid_type", "Not a valid {type}.", "类型不正确，应为{type_zh}。"),
]


def _range_templates() -> list[tuple[str, str, str, dict]]:
    """marshmallow's Range messages, every combination of its comparisons; whether a bound is
    itself allowed is a parameter (``min_inclusive``/``max_inclusive``), as in Range."""
    zh_op = {("min", True): "大于或等于", ("min", False): "大于", ("max", True): "小于或等于", ("max", False): "小于"}
    lows = [(op, inc) for op, (side, inc) in _RANGE_OPS.items() if side == "min"]
    highs = [(op, inc) for op, (side, inc) in _RANGE_OPS.items() if side == "max"]
    found = [("out_of_range", f"Must be {low} {{min}} and {high} {{max}}.",
              f"须{zh_op['min', low_inc]} {{min}} 且{zh_op['max', high_inc]} {{max}}。",
              {"min_inclusive": low_inc, "max_inclusive": high_inc})
             for low, low_inc in lows for high, high_inc in highs]
    found += [("too_small", f"Must be {op} {{min}}.", f"须{zh_op['min', inc]} {{min}}。", {"min_inclusive": inc})
              for op, inc in lows]
    found += [("too_large", f"Must be {op} {{max}}.", f"须{zh_op['max', inc]} {{max}}。", {"max_inclusive": inc})
              for op, inc in highs]
    return found


def _compile(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(pattern + r"\Z")


# Every template, Range's included: (code, English, 中文, fixed params).
ALL_TEMPLATES = [*_range_templates(), *((*entry, {}) for entry in TEMPLATES)]
_COMPILED = [(code, _compile(en), zh, fixed) for code, en, zh, fixed in ALL_TEMPLATES]
CODES = sorted({entry[0] for entry in _COMPILED} | {UNKNOWN_CODE})


def code_examples() -> dict:
    """{code: [{message, message_zh}, ...]}: the templates of each code, for documentation."""
    found: dict[str, list[dict[str, str]]] = {code: [] for code in CODES}
    for code, en, zh, _ in ALL_TEMPLATES:
        found[code].append({"message": en, "message_zh": zh})
    found[UNKNOWN_CODE].append({"message": "(any other text, as the rule gave it)", "message_zh": UNKNOWN_ZH})
    return found


def _param(value: str):
    """Numbers as numbers (a client compares them), anything else as the text it was."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def field_problem(message: str, message_zh: str | None = None) -> dict:
    """One problem: {code, message, message_zh, params}. ``message_zh`` (if the sender already had a
    Chinese text) wins over the table's."""
    message = str(message)
    for code, pattern, zh, fixed in _COMPILED:
        match = pattern.match(message)
        if match:
            params = {name: _param(value) for name, value in match.groupdict().items()}
            fill = {**params, "type_zh": _TYPES_ZH.get(str(params.get("type")), params.get("type"))}
            return {"code": code, "message": message, "message_zh": message_zh or zh.format(**fill),
                    "params": {**params, **fixed}}
    return {"code": UNKNOWN_CODE, "message": message, "message_zh": message_zh or UNKNOWN_ZH, "params": {}}


def field_errors(messages, known_zh: Mapping[str, str] | None = None) -> dict:
    """``{"fields": {path: [problem, ...]}}`` from marshmallow's ``normalized_messages()`` (or any
    ``{field: [text | {message, message_zh} | nested], ...}``, as the services send them).

    ``known_zh`` gives Chinese for English texts the table does not hold (e.g. the message of the
    refusal itself, when a service repeats it as the field's problem).
    """
    if isinstance(messages, Mapping) and set(messages) == {FIELDS}:
        return dict(messages)  # already in this shape (a service used this function)
    found: dict[str, list[dict]] = {}
    _walk(messages, (), found, dict(known_zh or {}))
    return {FIELDS: found}


def _walk(node, path: tuple, found: dict, known_zh: dict) -> None:
    if isinstance(node, Mapping) and "message" in node and isinstance(node.get("message"), str):
        problem = field_problem(node["message"], node.get("message_zh") or known_zh.get(node["message"]))
        if isinstance(node.get("code"), str):
            problem["code"] = node["code"]
        found.setdefault(_path(path), []).append(problem)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            _walk(value, (*path, str(key)), found, known_zh)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _walk(item, path, found, known_zh)
    elif node is not None:
        text = str(node)
        found.setdefault(_path(path), []).append(field_problem(text, known_zh.get(text)))


def _path(path: tuple) -> str:
    return ".".join(path) if path else SCHEMA_PATH
