"""`python -m hgrip_standins.health smtp|mail-web|sms|hgrg|repositories`: exit 0 when that stand-in
answers (container healthchecks)."""
import smtplib
import sys
import urllib.request

from hgrip_standins.common import address_from_env

CHECKS = {"smtp": ("HGRIP_SMTP_ADDRESS", "127.0.0.1:8025", None),
          "mail-web": ("HGRIP_MAIL_WEB_ADDRESS", "127.0.0.1:8027", "/mail/healthz"),   # the SMTP sink's inbox page
          "sms": ("HGRIP_SMS_ADDRESS", "127.0.0.1:8026", "/sms/healthz"),
          "hgrg": ("HGRIP_HGRG_ADDRESS", "127.0.0.1:8030", "/hgrg/healthz"),
          "repositories": ("HGRIP_REPOSITORIES_ADDRESS", "127.0.0.1:8040", "/repositories/healthz")}


def check(kind: str, timeout: float = 5) -> bool:
    variable, default, path = CHECKS[kind]
    host, port = address_from_env(variable, default)
    host = "127.0.0.1" if host == "0.0.0.0" else host   # nosec B104 # no bind: all interfaces are reached on loopback
    try:
        if path is None:
            with smtplib.SMTP(host, port, timeout=timeout) as client:
                return client.noop()[0] == 250
        url = f"http://{host}:{port}{path}"
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # nosec B310 # the scheme is always http
            return answer.status == 200
    except OSError:
        return False


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        sys.exit(f"usage: python -m hgrip_standins.health {'|'.join(CHECKS)}")
    sys.exit(0 if check(sys.argv[1]) else 1)


if __name__ == "__main__":
    main()
