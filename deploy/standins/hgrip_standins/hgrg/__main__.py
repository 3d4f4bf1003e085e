"""`python -m hgrip_standins.hgrg serve` | `python -m hgrip_standins.hgrg provision --accounts … --gateway …`"""
import argparse
import sys

from hgrip_standins.common import address_from_env, log, run_until_signalled, start_in_thread, var_path
from hgrip_standins.hgrg.provision import DEFAULT_ACCOUNTS, ProvisioningError, provision
from hgrip_standins.hgrg.secret import hgrg_secret
from hgrip_standins.hgrg.server import create_server

DEFAULT_ADDRESS = "127.0.0.1:8030"


def default_gateway() -> str:
    host, port = address_from_env("HGRIP_GATEWAY_ADDRESS", "127.0.0.1:8000")
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"  # nosec B104 # a comparison, no bind


def serve() -> None:
    host, port = address_from_env("HGRIP_HGRG_ADDRESS", DEFAULT_ADDRESS)
    server = create_server(host, port, hgrg_secret(), var_path("hgrg"))

    def start():
        start_in_thread(server)
        log("hgrg", f"listening on http://{host}:{server.server_address[1]}/hgrg/, "
                    f"{len(server.book.all())} backup numbers and {server.owners.count()} owner changes on file")

    run_until_signalled(start, server.shutdown, "hgrg")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hgrip_standins.hgrg", description="HGRG stand-in")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="receive backup numbers (HGRIP_HGRG_ADDRESS, default 127.0.0.1:8030)")
    push = commands.add_parser("provision", help="push demo institutions and accounts to the gateway")
    push.add_argument("--accounts", default=DEFAULT_ACCOUNTS)
    push.add_argument("--gateway", default=None, help="gateway base URL (default from HGRIP_GATEWAY_ADDRESS)")
    push.add_argument("--timeout", type=float, default=120, help="seconds to keep retrying while the gateway starts")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve()
        return
    try:
        results = provision(args.accounts, args.gateway or default_gateway(), hgrg_secret(), args.timeout,
                            log=lambda message: log("hgrg-provision", message))
    except ProvisioningError as error:
        log("hgrg-provision", f"failed: {error}")
        sys.exit(1)
    log("hgrg-provision", f"done: {len(results)} requests accepted")


if __name__ == "__main__":
    main()
