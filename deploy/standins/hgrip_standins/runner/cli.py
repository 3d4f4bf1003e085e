"""`hgrip-run [--scale service=N …] [--no-provision] [--no-legacy] [--no-feed]` — see docs in deploy/README.md."""
import argparse
import os
import queue
import signal
import sys
import threading
from pathlib import Path

from hgrip_kernel.config import shared_secret, var_dir
from hgrip_standins.common import signal_queue
from hgrip_standins.hgrg.provision import DEFAULT_ACCOUNTS, load_accounts, provision
from hgrip_standins.runner import summary
from hgrip_standins.runner.app import Runner, wait_for_login
from hgrip_standins.runner.plan import (
    FEED_USER,
    Plan,
    child_environment,
    default_plan,
    hgrip_command,
    load_plan,
    parse_scale,
    with_feed,
)
from hgrip_standins.runner.supervisor import Supervisor

# The old platform's numbered backups for the demo (docs/legacy-import.md), imported after migrating.
DEFAULT_LEGACY = os.environ.get("HGRIP_DEMO_LEGACY") or str(Path(__file__).resolve().parents[3] / "demo-legacy.json")


def with_legacy_import(plan: Plan, path: str, hgrip: str | None = None) -> Plan:
    """Import ``path`` once the databases are migrated, before the services start: one more one-shot
    step (idempotent, so every run may do it; the backups service publishes the events when it starts)."""
    plan.migrations.append([hgrip or hgrip_command(), "legacy", "import", path, "--no-progress"])
    return plan


def login_account(accounts: list[dict]) -> dict | None:
    """The demo account the runner logs in with to prove that logins work.

    The operator when there is one: a login is recorded, and a natural person's first login attaches
    their legacy backups, which the demo leaves for the person trying it to see happen.
    """
    usable = [a for a in accounts if a.get("username") and a.get("password")]
    return next((a for a in usable if a.get("role") == "operator"), usable[0] if usable else None)


def on_stop_signal(signum: int, stop_event: threading.Event, supervisor: Supervisor) -> None:
    """Stop gracefully; only a second SIGINT (Ctrl-C pressed twice) means "now".

    A repeated SIGTERM changes nothing: stopping `make run` the way service managers do sends one to the
    process group and make passes another on to its child, the runner — both ask for the same stop.
    """
    name = signal.Signals(signum).name
    if not stop_event.is_set():
        supervisor.request_stop()
        stop_event.set()
        supervisor.say(f"{name}: stopping (services, then stand-ins; each may take up to "
                       f"{supervisor.stop_timeout:g}s to finish its work; Ctrl-C twice to force)")
    elif signum == signal.SIGINT and not supervisor.force.is_set():
        supervisor.force.set()
        supervisor.say("SIGINT again: SIGKILL for whatever has not stopped yet")
    else:
        supervisor.say(f"{name} again: already stopping")


def _take_signals(signals: "queue.SimpleQueue[int]", stop_event: threading.Event, supervisor: Supervisor) -> None:
    while True:
        on_stop_signal(signals.get(), stop_event, supervisor)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="hgrip-run", description="Run HGRIP with its stand-ins on this machine")
    parser.add_argument("--scale", action="append", default=[], metavar="SERVICE=N",
                        help="run N competing processes of a service (repeatable)")
    parser.add_argument("--accounts", default=DEFAULT_ACCOUNTS, help="demo accounts to provision")
    parser.add_argument("--no-provision", action="store_true", help="do not provision demo accounts")
    parser.add_argument("--legacy", default=DEFAULT_LEGACY, help="legacy backups to import (old platform's export)")
    parser.add_argument("--no-legacy", action="store_true", help="do not import the demo legacy backups")
    parser.add_argument("--no-feed", action="store_true",
                        help="do not make HGRG's downstream user and queue nor start its Node feed consumer")
    parser.add_argument("--health-timeout", type=float, default=180, help="seconds to wait for the gateway")
    parser.add_argument("--login-timeout", type=float, default=60,
                        help="seconds to wait for a demo account's login to succeed after provisioning")
    parser.add_argument("--stop-timeout", type=float, default=float(os.environ.get("HGRIP_STOP_TIMEOUT") or 10),
                        help="each process's grace period to finish its work once asked to stop (default 10 s, "
                             "or $HGRIP_STOP_TIMEOUT); a process still there 3 s later is SIGKILLed")
    parser.add_argument("--plan", help="JSON file of commands to run instead of the platform's (tests, debugging)")
    args = parser.parse_args(argv)
    try:
        scale = parse_scale(args.scale)
    except ValueError as error:
        parser.error(str(error))

    env = child_environment()
    os.environ.update(env)   # so that this process resolves secrets and the var dir as the children do
    # Create the secrets once, before any child races to create them.
    secret = shared_secret("hgrg_shared_secret")
    shared_secret("token_secret")
    shared_secret("mobile_hash_secret")   # the legacy import and the backups service must agree on it
    shared_secret("hgrg_feed_password")   # HGRG's downstream user's; read from its file, never passed as argv

    accounts = [] if args.no_provision else load_accounts(args.accounts)
    login = login_account(accounts)
    supervisor = Supervisor(env=env, stop_timeout=args.stop_timeout)
    gateway = summary.gateway_url(env)
    stop_event = threading.Event()

    # Acted on in a thread of its own, not in the handler: it sets events and prints, taking locks the
    # main thread may hold at the moment the signal interrupts it.
    signals = signal_queue((signal.SIGINT, signal.SIGTERM))
    threading.Thread(target=_take_signals, args=(signals, stop_event, supervisor), name="signals",
                     daemon=True).start()
    plan = load_plan(args.plan) if args.plan else default_plan(scale)
    if not args.plan and not args.no_legacy:
        with_legacy_import(plan, args.legacy)
    if not args.plan and not args.no_feed:
        # HGRIP_FEED_USER names HGRG's broker user (default hgrg): users are global to a broker, so a
        # second platform sharing one (tests) takes a name of its own.
        with_feed(plan, str(var_dir() / "secrets" / "hgrg_feed_password"),
                  user=os.environ.get("HGRIP_FEED_USER") or FEED_USER)
    runner = Runner(
        plan, supervisor, gateway + "/api/v1/healthz",
        provision=None if args.no_provision else lambda: provision(
            args.accounts, gateway, secret, log=lambda message: supervisor.emit("provision", message),
            cancel=stop_event),
        login_check=None if login is None else lambda: wait_for_login(
            gateway + "/api/v1/auth/login", login["username"], login["password"], args.login_timeout, stop_event,
            note=supervisor.say, interval=2),
        summary=lambda status: summary.render(env, accounts, status),
        health_timeout=args.health_timeout, stop_event=stop_event)
    sys.exit(runner.run())


if __name__ == "__main__":
    main()
