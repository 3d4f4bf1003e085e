"""Every ``hgrip`` command and option explains itself in ``--help`` (the operator's only manual at 3 a.m.)."""
import argparse

import pytest

from hgrip_kernel.cli.main import build_parser, main


def commands(parser: argparse.ArgumentParser, path=("hgrip",)):
    """(path, parser) for the root and every command below it, plugins included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest for choice in action._choices_actions}
            for name, child in action.choices.items():
                assert name in listed, f"{' '.join(path)} {name} has no summary in its parent's --help"
                yield from commands(child, (*path, name))


ALL = list(commands(build_parser()))


def test_the_plugins_commands_are_there_too():
    names = {" ".join(path) for path, _ in ALL}
    assert {"hgrip serve", "hgrip deadletters list", "hgrip deadletters replay", "hgrip migrate",
            "hgrip contracts export", "hgrip health", "hgrip legacy import", "hgrip identity rotate-keys",
            "hgrip identity new-key"} <= names


@pytest.mark.parametrize("path,parser", ALL, ids=[" ".join(path) for path, _ in ALL])
def test_every_command_and_option_has_help(path, parser):
    assert parser.description and len(parser.description) > 15, f"{' '.join(path)} has no description"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, f"{' '.join(path)}: {action.dest} has no help"


def test_deadletters_list_says_what_it_lists_and_from_where(capsys):
    with pytest.raises(SystemExit) as done:
        main(["deadletters", "list", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "hgrip.dead-letters" in text and "--amqp-uri" in text and "Read-only" in text


def test_serve_names_the_services_and_refuses_others(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for service in ("backups", "gateway", "identity", "projects", "registry-sync", "verification"):
        assert service in text
    with pytest.raises(SystemExit) as refused:
        main(["serve", "nope"])
    assert refused.value.code == 2 and "invalid choice: 'nope'" in capsys.readouterr().err


def test_help_never_prints_the_brokers_password(monkeypatch, capsys):
    monkeypatch.setenv("HGRIP_AMQP_URI", "amqp://ops:s3cret-pass@broker:5672/hgrip")
    with pytest.raises(SystemExit):
        main(["deadletters", "--help"])
    assert "s3cret-pass" not in capsys.readouterr().out


def test_health_says_what_it_checks(capsys):
    with pytest.raises(SystemExit) as done:
        main(["health", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "SELECT 1" in text and "broker" in text and "exits 1" in text and "gateway" in text
