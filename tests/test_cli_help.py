"""Every command explains itself with an example; the CLI gives one-line errors and non-zero exit codes."""
import argparse
import subprocess
import sys

import pytest

from suite.cli import build_parser, main


def all_subparsers(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,), sub
                yield from all_subparsers(sub, prefix + (name,))


def test_every_command_has_help_with_an_example():
    commands = list(all_subparsers(build_parser()))
    names = {c[0][0] for c in commands}
    assert {"train", "evaluate", "prepare"} <= names
    for path, sub in commands:
        text = sub.format_help()
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            continue  # a group (prepare, synth): lists its commands, each with its own help
        assert "example" in text.lower() or sub.description, f"suite {' '.join(path)} --help explains nothing"
        if path[0] != "prepare":
            assert "example" in text.lower(), f"suite {' '.join(path)} --help has no example"
    assert "examples:" in build_parser().format_help()


def test_top_level_help_runs_as_a_program():
    out = subprocess.run([sys.executable, "-m", "suite.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "train" in out.stdout


@pytest.mark.parametrize("argv,needle", [
    (["evaluate", "missing-model.pt", "--manifest", "m.jsonl"], "model bundle not found"),
    (["evaluate", "no-such-bundled-name", "--manifest", "m.jsonl"], "no model file or bundled model named"),
    (["train", "nope.yaml"], "config file not found"),
])
def test_cli_errors_are_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and err[0].startswith("error: ")
