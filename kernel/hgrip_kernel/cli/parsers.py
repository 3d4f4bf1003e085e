"""One way to add a command to ``hgrip``: its one-line summary (listed by the parent's ``--help``) and
the longer text its own ``--help`` prints (what it does, from where, what it changes)."""
import argparse


def add_command(commands, name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
    return commands.add_parser(name, help=summary, description=details or summary)
