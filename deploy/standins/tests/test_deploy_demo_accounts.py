"""deploy/demo-accounts.json holds the cast the issue asks for, in a shape the gateway accepts."""
import json
import re
from pathlib import Path

ACCOUNTS = json.loads((Path(__file__).resolve().parents[2] / "demo-accounts.json").read_text(encoding="utf-8"))
NGDC = "国家基因组科学数据中心测试"


def who(**match):
    return [a for a in ACCOUNTS if all(a.get(k) == v for k, v in match.items())]


def test_shape():
    usernames = [a["username"] for a in ACCOUNTS]
    assert len(usernames) == len(set(usernames))
    for account in ACCOUNTS:
        assert {"username", "password", "name", "role", "institution", "unit", "real_name_verified",
                "authorised", "foreign"} <= account.keys(), account["username"]
        assert account["role"] in ("natural_person", "legal_person", "unit_admin", "operator")
        assert re.fullmatch(r"1[3-9]\d{9}", account["mobile"])
        # every account has an institutional address (the notices of `make run` go there)
        assert re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9\-]+-demo\.example\.(cn|com)", account["email"]), account["username"]
        password = account["password"]
        assert len(password) >= 8 and any(c.isalpha() for c in password) and any(c.isdigit() for c in password)
        if account["role"] == "legal_person":
            assert account["unit"] is None
        if account["role"] == "unit_admin":
            assert account["unit"]


def test_cast():
    assert len(who(institution=NGDC, role="legal_person", foreign=False)) == 1
    units = {a["unit"] for a in who(institution=NGDC) if a["unit"]}
    assert len(units) == 2
    first, second = "生物信息研究部", "数据资源部"
    assert units == {first, second}
    for unit in units:
        assert who(institution=NGDC, unit=unit, role="unit_admin")
    authorised = who(institution=NGDC, unit=first, role="natural_person", authorised=True, real_name_verified=True)
    assert len(authorised) >= 2 and "张晓寒" in [a["name"] for a in authorised]
    assert who(institution=NGDC, unit=second, role="natural_person", authorised=True, real_name_verified=True)
    assert who(institution=NGDC, role="natural_person", authorised=False)

    others = {a["institution"] for a in ACCOUNTS if a["institution"] not in (None, NGDC) and not a["foreign"]}
    assert any(who(institution=i, role="legal_person") and who(institution=i, role="natural_person") for i in others)
    assert who(foreign=True, role="natural_person", authorised=True, real_name_verified=True)
    assert who(role="operator", institution=None)
