"""``hgrip``: the operator's command line. Packages add subcommands via the ``hgrip.commands`` entry point."""
import argparse
import sys
from importlib.metadata import entry_points

from . import contracts, deadletters, downstream, health, migrate, rebuild, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hgrip",
        description="HGRIP's operator commands: run a service, migrate databases, check a service's "
                    "connections, inspect and replay dead letters, export the published contract, give downstream "
                    "systems their feed, import legacy backups, manage identity's keys, rebuild read models.",
        epilog="Every command reads the same environment as the services (HGRIP_AMQP_URI, "
               "HGRIP_<SERVICE>_DATABASE_URL, HGRIP_VAR; docs/operations.md). "
               "`hgrip COMMAND --help` explains a command.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (migrate, serve, health, deadletters, contracts, downstream, rebuild):
        module.register(commands)
    for plugin in entry_points(group="hgrip.commands"):
        plugin.load()(commands)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
