"""The errors identity raises, each with a stable code and English + Chinese messages."""
from datetime import datetime, timedelta, timezone

from hgrip_kernel.errors import Forbidden, Locked, NotFound, Unauthorized

_BEIJING = timezone(timedelta(hours=8))


def invalid_credentials() -> Unauthorized:
    # One error for "no such user" and "wrong password": callers cannot probe for usernames.
    return Unauthorized("invalid_credentials", "The username or password is incorrect.", "用户名或密码错误。")


def invalid_token() -> Unauthorized:
    return Unauthorized("invalid_token", "The access token is invalid or has expired; please log in again.",
                        "访问令牌无效或已过期，请重新登录。")


def account_locked(until: datetime) -> Locked:
    local = until.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return Locked("account_locked",
                  f"Too many failed logins: the account is locked until {until.isoformat()}.",
                  f"登录失败次数过多，账号已被锁定至 {local}（北京时间）。",
                  {"locked_until": until.isoformat()})


def account_not_found(account_id: str) -> NotFound:
    return NotFound("account_not_found", f"No account {account_id}.", f"账号 {account_id} 不存在。",
                    {"account_id": account_id})


def operators_only() -> Forbidden:
    return Forbidden("operators_only", "Only a platform operator may do this.", "仅平台运维人员可以进行此操作。")


def dead_letter_not_found(message_id: str) -> NotFound:
    return NotFound("dead_letter_not_found", f"No dead letter {message_id} (already replayed, or never there).",
                    f"死信 {message_id} 不存在（可能已重放，或从未存在）。", {"message_id": message_id})
