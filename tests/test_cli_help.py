"""Every command explains itself with an example; the CLI gives one-line errors and non-zero exit codes."""
import argparse
import re
import subprocess
import sys
import time

import pytest

from suite.cli import build_parser, main


def all_subparsers(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,), sub
                yield from all_subparsers(sub, prefix + (name,))


def command_parser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    """The parser of `suite PATH` as `suite PATH --help` builds it (domain commands are built on demand)."""
    parser = build_parser([*path, "--help"])
    for p, sub in all_subparsers(parser):
        if p == path:
            return sub
    raise AssertionError(f"suite {' '.join(path)} does not exist")


# Each command's own options: its --help must list them (a stub that only has a description must fail).
OWN_OPTIONS = {
    ("train",): ["--set", "--out", "--resume", "--init"],
    ("evaluate",): ["--manifest", "--json", "--confusion", "--show-errors", "--lm"],
    ("lm-build",): ["--out", "--unit", "--order", "--words"],
    ("lm-tune",): ["--manifest", "--lm", "--lexicon", "--lm-weights", "--word-scores"],
    ("models",): ["--json"],
    ("serve",): ["--host", "--port"],
    ("transcribe",): ["--model", "--json", "--timestamps", "--max-seconds", "--split", "--plot", "--lm", "--lexicon"],
    ("read",): ["--model", "--json", "--lexicon"],
    ("render",): ["--out", "--model", "--segment"],
    ("label",): ["--model", "--top-k", "--timeline", "--window", "--clips", "--plot"],
    ("synth", "video"): ["--out", "--per-class", "--actions", "--size", "--seed"],
    ("prepare", "fsdd"): ["--out", "--connected", "--test-speakers"],
    ("prepare", "an4"): ["--out", "--valid-speakers"],
    ("prepare", "unipen"): ["--out", "--level"],
    ("prepare", "inkml"): ["--out", "--valid-writers"],
    ("prepare", "folders"): ["--out", "--split-file"],
}


@pytest.mark.parametrize("path", sorted(OWN_OPTIONS), ids=[" ".join(p) for p in sorted(OWN_OPTIONS)])
def test_command_help_lists_its_own_options(path, capsys):
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: suite {' '.join(path)}"), text[:200]
    # the options listed before the example (an example may use an option the parser no longer has)
    listed = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", re.split(r"\nexamples?:", text)[0]))
    missing = [opt for opt in OWN_OPTIONS[path] if opt not in listed]
    assert not missing, f"suite {' '.join(path)} --help does not list {missing}"
    if path[0] != "prepare":  # a dataset format's help is its options; `suite prepare --help` has the example
        assert "example" in text.lower(), f"suite {' '.join(path)} --help has no example"


def test_every_command_has_help_with_an_example_and_options():
    commands = [path for path, _ in all_subparsers(build_parser([]))]
    names = {c[0] for c in commands}
    assert {"train", "evaluate", "prepare", "transcribe", "read", "label", "synth"} <= names
    prepare = command_parser(("prepare",))
    commands += [("prepare", *fmt) for fmt, _ in all_subparsers(prepare)]
    assert {("prepare", f) for f in ("fsdd", "an4", "unipen", "inkml", "folders")} <= set(commands)
    for path in commands:
        sub = command_parser(path)
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            continue  # a group (prepare, synth): lists its commands, each with its own help
        text = sub.format_help()
        own = [o for a in sub._actions if a.help != argparse.SUPPRESS
               for o in a.option_strings if o not in ("-h", "--help")]
        positionals = [a for a in sub._actions if not a.option_strings]
        assert own or positionals, f"suite {' '.join(path)} --help lists no option or argument"
        assert all(o in text for o in own if o.startswith("--")), path
        if path[0] != "prepare":
            assert "example" in text.lower(), f"suite {' '.join(path)} --help has no example"
    assert "examples:" in build_parser([]).format_help()


def test_domain_command_help_runs_as_a_program_quickly():
    """`suite transcribe --help` in a fresh process: exit 0, the command's own options, no slow imports."""
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "suite.cli", "transcribe", "--help"], capture_output=True, text=True,
                         timeout=120)
    took = time.monotonic() - start
    assert out.returncode == 0, out.stderr
    options = re.split(r"\nexamples?:", out.stdout)[0]
    assert "--timestamps" in options and "--max-seconds" in options
    assert took < 60, f"suite transcribe --help took {took:.1f} s"  # ~5 s on an idle machine; generous for CI load


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
