"""Tolerant comparison of names typed by people: registrant names and institution names.

The old platform's export and HGRG's records were typed by different people at different times;
"中国科学院北京基因组研究所（国家生物信息中心）" and "中国科学院北京基因组研究所(国家生物信息中心) "
are the same institution. The key folds full-width to half-width (NFKC), every kind of bracket to
one, drops white space and case. It does not forgive other spelling differences: the manual tells
users to contact the platform when "个别字词" differ, and a wrong attachment is worse than none.
"""
import unicodedata

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")",
                           "〔": "(", "〕": ")", "{": "(", "}": ")", "《": "(", "》": ")",
                           "〈": "(", "〉": ")", "<": "(", ">": ")"})


def name_key(text: str | None) -> str:
    """The comparison key of a name: equal keys mean the same name for every rule here."""
    if not isinstance(text, str):
        return ""
    folded = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "\u200b\ufeff").casefold()


def same_name(a: str | None, b: str | None) -> bool:
    key = name_key(a)
    return bool(key) and key == name_key(b)
