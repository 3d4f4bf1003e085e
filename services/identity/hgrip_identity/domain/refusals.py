"""The errors identity raises, each with a stable code and English + Chinese messages."""
from hgrip_kernel import access_tokens
from hgrip_kernel.errors import Forbidden, NotFound, Unauthorized


def invalid_credentials() -> Unauthorized:
    # One error for "no such user" and "wrong password": callers cannot probe for usernames.
    return Unauthorized("invalid_credentials", "The username or password is incorrect.", "用户名或密码错误。")


# The wording is the gateway's too: it refuses most bad tokens itself (hgrip_kernel.access_tokens).
invalid_token = access_tokens.invalid_token


def account_inactive() -> Unauthorized:
    # After the password or token checked out: telling the owner why is no help to a guesser.
    return Unauthorized("account_inactive",
                        "This account has left its institution and can no longer be used; "
                        "ask the institution or HGRG if this is wrong.",
                        "该账号已离开所属单位，不能再使用；如有疑问，请联系所在单位或人遗系统。")


def account_not_found(account_id: str) -> NotFound:
    return NotFound("account_not_found", f"No account {account_id}.", f"账号 {account_id} 不存在。",
                    {"account_id": account_id})


def operators_only() -> Forbidden:
    return Forbidden("operators_only", "Only a platform operator may do this.", "仅平台运维人员可以进行此操作。")


def dead_letter_not_found(message_id: str) -> NotFound:
    return NotFound("dead_letter_not_found", f"No dead letter {message_id} (already replayed, or never there).",
                    f"死信 {message_id} 不存在（可能已重放，或从未存在）。", {"message_id": message_id})
