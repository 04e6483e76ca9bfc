"""`suite tune`: the space file, the search on a tiny task, resuming the SQLite study, pruning."""
from __future__ import annotations

import csv

import optuna
import pytest
import yaml

from suite.cli import main
from suite.config import load_config
from suite.tune import Param, format_value, parse_param
from tests.toy_domain import make_ctc_set


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """24 toy CTC utterances; a recipe whose learning rate (1e-5) is far too small to learn in 64 steps."""
    root = tmp_path_factory.mktemp("tune")
    train, valid = make_ctc_set(root / "train", 24, seed=1), make_ctc_set(root / "valid", 8, seed=2)
    cfg = root / "toy.yaml"
    cfg.write_text(yaml.safe_dump({
        "task": "tests.toy_domain:CTC", "data": {"train": str(train), "valid": str(valid), "num_workers": 0},
        "model": {"layers": 1, "hidden": 16},
        "train": {"max_steps": 64, "early_stop_patience": None, "optim": {"lr": 1e-5}}}))
    return root, cfg


def space(folder, text: str):
    path = folder / "space.yaml"
    path.write_text(text)
    return path


def rows(out):
    with open(out / "trials.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_values_survive_the_trip_through_set_overrides():
    for value in (1e-05, 0.003, 2.5e-07, 1e20, 64, True, None, "lstm", "yes", "1e-3", "null"):
        assert yaml.safe_load(format_value(value)) == value


def test_space_entries():
    p = parse_param("train.optim.lr", {"type": "float", "low": "1e-4", "high": 1e-2, "log": True})
    assert (p.low, p.high, p.log) == (1e-4, 1e-2, True)  # YAML reads 1e-4 as text: taken as the number
    assert p.contains(1e-3) and not p.contains(0.1) and not p.contains("x")
    h = parse_param("model.hidden", {"type": "int", "low": 64, "high": 256, "step": 64})
    assert h.contains(128) and not h.contains(100) and h.probes() == [64, 256]
    assert parse_param("model.rnn", ["lstm", "gru"]) == Param("model.rnn", "categorical", choices=["lstm", "gru"])


@pytest.mark.parametrize("text,needle", [
    ("train.optim.lr: {type: flaot, low: 1, high: 2}", "train.optim.lr: unknown type 'flaot'"),
    ("train.optim.lr: {type: float, low: 0.1, high: 0.01}", "train.optim.lr: low (0.1) must be below high (0.01)"),
    ("model.hiden: {type: int, low: 8, high: 16}", "model.hiden: the config rejects 8: unknown key 'model.hiden'"),
    ("train.optim.schedule: [cosine, linear]", "train.optim.schedule: the config rejects \"linear\""),
    ("train.optim.lr: {type: float, low: 0, high: 1, log: true}", "train.optim.lr: 'log: true' needs low > 0"),
    ("model.hidden: {type: int, low: 8, high: 16, stride: 2}", "model.hidden: unknown field 'stride'"),
    ("- train.optim.lr", "a space is a YAML mapping"),
], ids=["type", "low>=high", "unknown-key", "bad-choice", "log-low", "field", "not-a-mapping"])
def test_a_bad_space_is_one_line_and_exit_2_before_any_trial(toy, tmp_path, capsys, text, needle):
    _, cfg = toy
    out = tmp_path / "study"
    assert main(["tune", str(cfg), "--space", str(space(tmp_path, text)), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and needle in err, err
    assert not out.exists()


@pytest.mark.slow  # three 64-step trainings: 9 s on an idle 2-core machine, 25 s on a busy one
def test_the_search_beats_the_recipe_and_a_rerun_resumes_the_study(toy, tmp_path, capsys):
    """Trial 0 is the recipe (lr 1e-5, learns next to nothing); TPE draws larger rates that learn."""
    _, cfg = toy
    sp = space(tmp_path, "train.optim.lr: {type: float, low: 1e-5, high: 0.1}\n")
    out = tmp_path / "study"
    argv = ["tune", str(cfg), "--space", str(sp), "--out", str(out), "--pruner", "none", "--seed", "0"]
    assert main(argv + ["--trials", "2"]) == 0
    printed = capsys.readouterr().out
    assert "study toy" in printed and "best: trial" in printed
    first = rows(out)
    assert [r["number"] for r in first] == ["0", "1"] and {r["state"] for r in first} == {"COMPLETE"}
    assert float(first[0]["train.optim.lr"]) == 1e-5 and first[0]["note"] == "recipe values"
    values = [float(r["value"]) for r in first]
    assert min(values[1:]) < values[0]
    for n in range(2):  # each trial is a normal run folder (its checkpoints dropped, model.pt kept)
        run = out / f"trial-{n:03d}"
        assert (run / "model.pt").is_file() and (run / "config.yaml").is_file() and not (run / "checkpoints").exists()
    assert (out / "trials.png").stat().st_size > 1000
    best = load_config(out / "best.yaml")
    best_row = min(first, key=lambda r: float(r["value"]))
    assert best.train.optim.lr == pytest.approx(float(best_row["train.optim.lr"]))
    assert best.train.max_steps == 64 and best.model.hidden == 16

    # the same command with more trials continues the study: trial 0 keeps its value, trial 2 is new
    assert main(argv + ["--trials", "3", "--minutes", "5"]) == 0
    again = rows(out)
    assert len(again) == 3 and again[0]["value"] == first[0]["value"] and again[2]["state"] == "COMPLETE"
    assert yaml.safe_load((out / "trial-002/config.yaml").read_text())["train"]["max_minutes"] <= 5
    study = optuna.load_study(study_name="toy", storage=f"sqlite:///{out / 'study.db'}")
    assert len(study.trials) == 3 and study.best_value == pytest.approx(min(float(r["value"]) for r in again), rel=1e-5)

    # too little time left for a trial: it stops before starting one
    capsys.readouterr()
    assert main(argv + ["--trials", "10", "--minutes", "0.05"]) == 0
    assert "stopping" in capsys.readouterr().err and len(rows(out)) == 3


def test_the_median_pruner_stops_trials_that_trail(toy, tmp_path):
    """The recipe's trial (lr 0.05) learns fast; most log-uniform rates below it stay on the blank plateau
    and trail its validations, so an eager median pruner stops them."""
    _, cfg = toy
    sp = space(tmp_path, "train.optim.lr: {type: float, low: 1e-5, high: 0.1, log: true}\n")
    out = tmp_path / "study"
    assert main(["tune", str(cfg), "--space", str(sp), "--out", str(out), "--set", "train.optim.lr=0.05",
                 "--trials", "3", "--pruner", "median", "--startup-trials", "1", "--warmup-validations", "1"]) == 0
    states = {r["number"]: r["state"] for r in rows(out)}
    assert all(int(r["steps"]) > 0 for r in rows(out))
    assert states["0"] == "COMPLETE" and "PRUNED" in states.values(), states
    study = optuna.load_study(study_name="toy", storage=f"sqlite:///{out / 'study.db'}")
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and all(t.intermediate_values for t in pruned)
    for t in pruned:  # stopped mid-training: a run folder without model.pt, its log saying why
        run = out / f"trial-{t.number:03d}"
        assert not (run / "model.pt").exists() and (run / "train.log").is_file()
        assert "pruned at validation" in t.user_attrs["note"]
    assert study.best_trial.number == 0


def test_only_the_tune_command_imports_optuna():
    import json
    import subprocess
    import sys
    from pathlib import Path

    probe = ("import contextlib, io, json, sys\nfrom suite.cli import build_parser\n"
             "for argv in (['tune', '--help'], ['train', '--help']):\n"
             "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
             "        build_parser(argv).parse_args(argv)\n"
             "print(json.dumps([m for m in ('optuna', 'torch') if m in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
