"""Every refusal of the projects service: a stable code, an English and a Chinese message."""
from hgrip_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound


def natural_person_only() -> Forbidden:
    return Forbidden("natural_person_only",
                     "Only a natural-person account can create projects.",
                     "只有自然人账号可以创建项目。")


def real_name_required() -> Forbidden:
    return Forbidden("real_name_required",
                     "Your account must be real-name verified before you can create projects.",
                     "账号完成实名认证后才能创建项目。")


def authorisation_required() -> Forbidden:
    return Forbidden("authorisation_required",
                     "Your account must be authorised by an institution in the HGR system "
                     "before you can create projects.",
                     "账号需在人遗系统获得法人单位的授权许可后才能创建项目，请申请授权并提醒法人单位审核通过。")


def foreign_institution() -> Forbidden:
    return Forbidden("foreign_institution",
                     "A foreign organisation, or an institution it controls, "
                     "cannot create projects.",
                     "境外组织及境外组织设立或实际控制的机构不能创建项目。")


def consent_required() -> InvalidInput:
    return InvalidInput("consent_required",
                        "You must read and agree to the declaration before creating a project.",
                        "请阅读并同意协议后再创建项目。")


def project_name_taken(name: str) -> Conflict:
    return Conflict("project_name_taken",
                    "You already have a project with this name; project names must be unique "
                    "within an account.",
                    "同一账户下的项目名称不可重复，该项目名称已被使用。",
                    {"name": name})


def project_not_found() -> NotFound:
    return NotFound("project_not_found", "Project not found.", "项目不存在。")


def delegate_has_project_named(names: list[str]) -> Conflict:
    return Conflict("delegate_has_project_named",
                    "The new delegate already has projects with these names; project names are "
                    "unique per person, so no project was moved.",
                    "新委托人名下已有同名项目，项目名称在个人名下须唯一，未移交任何项目。",
                    {"names": names})
