"""Command-line start-up (`--only cli`): wall time of `suite --help` and of each domain command's `--help`
against `python -c "import torch"` (the floor of any command that runs a model), each a fresh Python
process; and which heavy modules (torch, torchvision, cv2, lightning) each help screen imports.

Target: `suite --help` in at most a quarter of torch's import time (ratio import torch / suite >= 4).
Runs alternate (torch, then every suite command, round after round) so that load from other processes
hits all alike; each figure is the median over the rounds. Wall time is what a user waits for; the
children's CPU time (user + system), less sensitive to a busy machine, is kept in the details."""
from __future__ import annotations

import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

from .common import median, row

ROOT = Path(__file__).resolve().parents[1]
TARGET = 4.0
HEAVY = ("torch", "torchvision", "cv2", "lightning")
FORBIDDEN = ("torch", "torchvision", "cv2")  # a help screen importing these fails the check
TORCH = [sys.executable, "-c", "import torch"]
COMMANDS = [[], ["transcribe"], ["read"], ["label"], ["train"]]  # each followed by --help

# in a fresh interpreter: build the parser as `suite` does, let --help exit, list the heavy modules loaded
PROBE = """
import contextlib, io, json, sys
from suite.cli import build_parser
argv = json.loads(sys.argv[1])
try:
    with contextlib.redirect_stdout(io.StringIO()):
        build_parser(argv).parse_args(argv)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)))
""".replace("HEAVY", repr(HEAVY))


def suite_help(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "suite.cli", *args, "--help"]


def label(args: list[str]) -> str:
    return " ".join(["suite", *args, "--help"])


def timed_run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run; a failing command is an error, not a figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:])} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def heavy_imports(args: list[str]) -> list[str]:
    argv = [*args, "--help"]
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=ROOT, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"import probe for {label(args)} failed: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool) -> dict:
    rounds = 3 if quick else 7
    commands, missing = [], {}
    timed_run(TORCH)  # warm-up: the file cache, .pyc files
    for a in COMMANDS:
        try:
            timed_run(suite_help(a))
            commands.append(a)
        except RuntimeError as err:  # a domain that is not installed has no command
            if not a:
                raise  # `suite --help` itself must work
            missing[label(a)] = str(err)
    cmds = {"import torch": TORCH, **{label(a): suite_help(a) for a in commands}}
    wall: dict[str, list[float]] = {k: [] for k in cmds}
    cpu: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(rounds):
        for name, cmd in cmds.items():
            w, c = timed_run(cmd)
            wall[name].append(w)
            cpu[name].append(c)
    load = os.getloadavg()[0]
    imports = {label(a): heavy_imports(a) for a in commands}
    t_torch, c_torch = median(wall["import torch"]), median(cpu["import torch"])
    rows = []
    for a in commands:
        name = label(a)
        t, c = median(wall[name]), median(cpu[name])
        bad = [m for m in imports[name] if m in FORBIDDEN]
        rows.append(row(f"`{name}` start-up (median of {rounds} runs)", "import torch", t_torch, name, t,
                        "s wall", target=TARGET, target_text=f">= {TARGET:g} (suite <= {1 / TARGET:g}x import torch)",
                        note=f"CPU time {c:.2f} vs {c_torch:.2f} s (ratio {c_torch / c:.1f}); heavy modules "
                             f"imported: {', '.join(imports[name]) or 'none'}" + (" (FAILS the check)" if bad else "")))
    clean = [n for n, mods in imports.items() if not set(mods) & set(FORBIDDEN)]
    rows.append(row("help screens that import none of torch, torchvision, cv2", "clean", float(len(clean)),
                    "checked", float(len(imports)), "commands", passed=len(clean) == len(imports),
                    target_text="all", note="; ".join(f"{n}: {', '.join(m) or 'none'}" for n, m in imports.items())))
    details = {"rounds": rounds, "commands_not_available": missing, "wall_s": wall, "cpu_s": cpu,
               "heavy_imports": imports,
               "load_average_1min_after_timing": round(load, 2),
               "commands": {k: shlex.join(["python", *v[1:]]) for k, v in cmds.items()}}
    return {"title": "Command-line start-up (suite --help vs import torch)", "device": "cpu", "rows": rows,
            "details": details, "clock": "wall time of a fresh process (median); child CPU time in the notes"}
