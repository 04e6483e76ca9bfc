"""`suite tune`: search a recipe's hyperparameters with Optuna.

A TPE sampler proposes values for the keys of a space file; each trial is an ordinary `suite train` run in
OUT/trial-NNN (the values passed as `--set` overrides), scored by its best validation's ``val/error``
(lower is better, every task logs it). A pruner (median or Hyperband) stops a trial whose validations trail
the others'. The study lives in OUT/study.db (SQLite), so running the same command again resumes it.
After each trial OUT/best.yaml, OUT/trials.csv and OUT/trials.png are rewritten.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import math
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import optuna
import torch
import yaml

from .config import apply_overrides, build_config, read_yaml
from .errors import SuiteError
from .io import atomic_write_bytes, atomic_write_text
from .train import NothingLearned, train

METRIC = "val/error"
PRUNERS = ("median", "hyperband", "none")
MAX_FAILS_IN_A_ROW = 3  # a failure that repeats (missing data, a bad value) ends the command
SPEC_FIELDS = {"float": {"low", "high", "log", "step"}, "int": {"low", "high", "log", "step"},
               "categorical": {"choices"}}


# --- the space file -----------------------------------------------------------------------------------------
@dataclass
class Param:
    """One key of the space: a float or int range, or a list of choices."""

    key: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: list = field(default_factory=list)

    def suggest(self, trial: optuna.Trial):
        if self.kind == "float":
            return trial.suggest_float(self.key, self.low, self.high, log=self.log, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(self.key, self.low, self.high, log=self.log, step=self.step or 1)
        return trial.suggest_categorical(self.key, self.choices)

    def probes(self) -> list:
        """The values checked against the config before the study starts."""
        return list(self.choices) if self.kind == "categorical" else [self.low, self.high]

    def contains(self, value) -> bool:
        if self.kind == "categorical":
            return any(value == c and type(value) is type(c) for c in self.choices)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.low <= value <= self.high:
            return False
        if self.kind == "int" and value != int(value):
            return False
        if self.step:
            k = (value - self.low) / self.step
            return abs(k - round(k)) < 1e-9
        return True

    def spec(self) -> dict:
        if self.kind == "categorical":
            return {"type": self.kind, "choices": self.choices}
        return {"type": self.kind, "low": self.low, "high": self.high, "log": self.log, "step": self.step}


def _number(value, key: str, name: str, kind: str):
    """A bound as a number. YAML 1.1 reads `1e-4` (no dot) as a string, so numeric strings are accepted."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key}: '{name}' must be a number, got {value!r}")
    if kind == "int":
        if value != int(value):
            raise ValueError(f"{key}: '{name}' must be a whole number for type int, got {value!r}")
        return int(value)
    return float(value)


def parse_param(key, spec) -> Param:
    """One space entry; ValueError with a one-line reason naming the key."""
    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        raise ValueError(f"{key!r}: a key is a dotted config path such as train.optim.lr")
    if isinstance(spec, list):  # shorthand: a list is the choices
        spec = {"type": "categorical", "choices": spec}
    if not isinstance(spec, dict):
        raise ValueError(f"{key}: expected a mapping such as {{type: float, low: 1e-4, high: 1e-2}}, got {spec!r}")
    kind = spec.get("type")
    if kind is None:
        raise ValueError(f"{key}: missing 'type' (float, int or categorical)")
    if kind not in SPEC_FIELDS:
        raise ValueError(f"{key}: unknown type {kind!r} (float, int or categorical)")
    unknown = sorted(set(spec) - SPEC_FIELDS[kind] - {"type"})
    if unknown:
        raise ValueError(f"{key}: unknown field '{unknown[0]}' for type {kind} "
                         f"(allowed: {', '.join(sorted(SPEC_FIELDS[kind]))})")
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ValueError(f"{key}: 'choices' must be a non-empty list")
        for c in choices:
            if not (c is None or isinstance(c, (str, int, float, bool))):
                raise ValueError(f"{key}: choices must be plain values (text, numbers, true/false, null), got {c!r}")
        if len({json.dumps(c) for c in choices}) != len(choices):
            raise ValueError(f"{key}: 'choices' lists a value twice")
        return Param(key, kind, choices=choices)
    for name in ("low", "high"):
        if name not in spec:
            raise ValueError(f"{key}: missing '{name}'")
    low, high = _number(spec["low"], key, "low", kind), _number(spec["high"], key, "high", kind)
    if low >= high:
        raise ValueError(f"{key}: low ({low}) must be below high ({high})")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ValueError(f"{key}: 'log' must be true or false, got {log!r}")
    step = spec.get("step")
    if step is not None:
        step = _number(step, key, "step", kind)
        if step <= 0:
            raise ValueError(f"{key}: 'step' must be positive, got {step}")
        # Optuna cannot combine the two: a log range draws from a continuum (int: step 1 only)
        if log and not (kind == "int" and step == 1):
            raise ValueError(f"{key}: 'step' and 'log: true' cannot be combined" +
                             (" (int ranges on a log scale use step 1)" if kind == "int" else ""))
    if log and low <= 0:
        raise ValueError(f"{key}: 'log: true' needs low > 0, got {low}")
    return Param(key, kind, low=low, high=high, log=log, step=step)


def read_space(path: str | Path) -> list[Param]:
    """The space file: ``KEY: {type: float|int|categorical, ...}`` per line; SuiteError naming the bad key."""
    raw = read_yaml(path, "space file")
    if not isinstance(raw, dict) or not raw:
        raise SuiteError("a space is a YAML mapping of config keys to ranges, e.g. "
                         "'train.optim.lr: {type: float, low: 1e-4, high: 1e-2, log: true}'", path)
    params = []
    for key, spec in raw.items():
        try:
            params.append(parse_param(key, spec))
        except ValueError as err:
            raise SuiteError(str(err), path) from None
    return params


def format_value(value) -> str:
    """A value as `--set` text that YAML reads back as the same value (PyYAML reads `1e-05` as text)."""
    if isinstance(value, float):
        text = repr(value)
        mantissa, e, exp = text.partition("e")
        return f"{mantissa}.0e{exp}" if e and "." not in mantissa else text
    if isinstance(value, (bool, int)) or value is None:
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def assignments(params: dict) -> list[str]:
    return [f"{k}={format_value(v)}" for k, v in params.items()]


def read_raw(config_path: str | Path, overrides: list[str]) -> dict:
    raw = read_yaml(config_path)
    return apply_overrides(raw if isinstance(raw, dict) else {}, overrides)


def build(raw: dict, values: dict, source: str):
    """The typed config of ``raw`` with ``values`` set, read as train reads its overrides."""
    return build_config(apply_overrides(copy.deepcopy(raw), assignments(values), source=source), source=source)


def check_space(raw: dict, params: list[Param], space_path: str | Path, config_path: str):
    """Build the config with each key at each of its probe values: a key or value the config rejects is an
    error now, not in trial 7. Returns the config as the recipe has it."""
    cfg = build(raw, {}, source=config_path)
    for p in params:
        for value in p.probes():
            try:
                build(raw, {p.key: value}, source=str(space_path))
            except SuiteError as err:
                reason = str(err).removeprefix(f"{space_path}: ").removeprefix(f"{space_path} {p.key}: ")
                raise SuiteError(f"{p.key}: the config rejects {format_value(value)}: {reason}", space_path) from None
    return cfg


def recipe_value(cfg, key: str):
    node: Any = cfg.model_dump(mode="json")
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# --- pruning ------------------------------------------------------------------------------------------------
class PruneOnValidation(L.Callback):
    """Reports ``val/error`` to the trial after each validation (step = the validation's index, so trials with
    other batch sizes still compare like with like) and stops a trial the pruner gives up on.

    Lightning hands an exception raised in a callback to every callback's ``on_exception``, tears the trainer
    down and re-raises it from ``trainer.fit``: ``optuna.TrialPruned`` leaves ``train`` as it is.
    """

    def __init__(self, trial: optuna.Trial):
        self.trial = trial
        self.validations = 0
        self.steps = 0  # optimizer steps at the latest validation (a pruned trial's csv row shows them)
        self.interrupted = False

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(METRIC)
        if value is None or not math.isfinite(float(value)):
            return
        step = self.validations
        self.validations += 1
        self.steps = trainer.global_step
        self.trial.report(float(value), step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at validation {step + 1} ({METRIC} {float(value):.4f})")

    def on_exception(self, trainer, pl_module, exception):
        if isinstance(exception, KeyboardInterrupt):
            self.interrupted = True


def make_pruner(name: str, startup_trials: int, warmup_validations: int) -> optuna.pruners.BasePruner:
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=startup_trials, n_warmup_steps=warmup_validations)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, warmup_validations), reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise SuiteError(f"unknown pruner {name!r} (one of {', '.join(PRUNERS)})")


# --- reports ------------------------------------------------------------------------------------------------
def seconds(t: optuna.trial.FrozenTrial) -> float | None:
    if t.datetime_start and t.datetime_complete:
        return (t.datetime_complete - t.datetime_start).total_seconds()
    return None


def finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return study.get_trials(deepcopy=False, states=done)


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return min(done, key=lambda t: t.value) if done else None


def write_csv(study: optuna.Study, keys: list[str], path: Path) -> None:
    trials = study.get_trials(deepcopy=False)
    metrics = sorted({m for t in trials for m in t.user_attrs.get("metrics", {}) if m != METRIC})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["number", "state", "value", "duration_s", "steps", *keys, *metrics, "note"])
    for t in trials:
        dur = seconds(t)
        w.writerow([t.number, t.state.name, "" if t.value is None else f"{t.value:.6g}",
                    "" if dur is None else f"{dur:.1f}", t.user_attrs.get("steps", ""),
                    *(t.params.get(k, "") for k in keys),
                    *(t.user_attrs.get("metrics", {}).get(m, "") for m in metrics), note(t)])
    atomic_write_text(path, buf.getvalue())


def note(t: optuna.trial.FrozenTrial) -> str:
    parts = ("recipe values" if t.user_attrs.get("recipe") else "", t.user_attrs.get("note", ""))
    return "; ".join(p for p in parts if p)


def plot_trials(study: optuna.Study, path: Path) -> None:
    """val/error per trial (finished: dots; pruned: their last reported value, crosses) and the best so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    pruned = [t for t in study.get_trials(deepcopy=False) if t.state.name == "PRUNED" and t.value is not None]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter([t.number for t in complete], [t.value for t in complete], color="tab:blue", label="finished", zorder=3)
    if pruned:
        ax.scatter([t.number for t in pruned], [t.value for t in pruned], color="tab:gray", marker="x",
                   label="pruned (last validation)", zorder=3)
    best, xs, ys = math.inf, [], []
    for t in complete:
        best = min(best, t.value)
        xs.append(t.number)
        ys.append(best)
    if xs:
        last = study.get_trials(deepcopy=False)[-1].number
        ax.step(xs + [last], ys + [ys[-1]], where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{METRIC} (best validation)")
    ax.set_title(f"study {study.study_name}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def write_best(study: optuna.Study, raw: dict, config_path: str, out: Path) -> None:
    best = best_trial(study)
    if best is None:
        return
    cfg = build(raw, best.params, source=config_path)
    head = (f"# suite tune: best of {len(finished(study))} trials in {out / 'study.db'}: trial {best.number}, "
            f"{METRIC} {best.value:.4g}\n# {' '.join(assignments(best.params))}\n")
    atomic_write_text(out / "best.yaml", head + yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))


def write_reports(study: optuna.Study, keys: list[str], raw: dict, config_path: str, out: Path) -> None:
    if not study.get_trials(deepcopy=False):
        return
    write_csv(study, keys, out / "trials.csv")
    plot_trials(study, out / "trials.png")
    write_best(study, raw, config_path, out)


def print_table(study: optuna.Study, keys: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    best = best_trial(study)
    table = Table(title=f"study {study.study_name}: {METRIC}, lower is better")
    for name in ("trial", "state", METRIC, *keys, "steps", "seconds"):
        table.add_column(name, justify="left" if name == "state" else "right")
    for t in study.get_trials(deepcopy=False):
        dur = seconds(t)
        cells = [f"{t.number}{' (recipe)' if t.user_attrs.get('recipe') else ''}",
                 t.state.name + (" (nothing learned)" if "verdict" in t.user_attrs else ""),
                 "" if t.value is None else f"{t.value:.4f}", *(_short(t.params.get(k, "")) for k in keys),
                 str(t.user_attrs.get("steps", "")), "" if dur is None else f"{dur:.0f}"]
        table.add_row(*cells, style="bold green" if best is not None and t.number == best.number else None)
    Console(width=max(100, 14 * (len(keys) + 4))).print(table)


def trial_line(study: optuna.Study, number: int, took: float) -> str:
    """The line printed after each trial: its state, value, values, time and the best so far."""
    t = next(t for t in reversed(study.get_trials(deepcopy=False)) if t.number == number)
    best = best_trial(study)
    value = "" if t.value is None else f" {METRIC} {t.value:.4f}"
    values = ", ".join(f"{k}={_short(v)}" for k, v in t.params.items())
    note = f"  [{t.user_attrs['note']}]" if t.user_attrs.get("note") else ""
    return (f"trial {number}: {t.state.name}{value} ({values}) {took:.0f} s{note}" +
            (f"; best: trial {best.number} {best.value:.4f}" if best else ""))


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


# --- the study ----------------------------------------------------------------------------------------------
def open_study(out: Path, name: str, params: list[Param], space_path: str) -> optuna.Study:
    out.mkdir(parents=True, exist_ok=True)
    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / 'study.db').resolve()}")
    others = [s for s in optuna.get_all_study_names(storage) if s != name]
    if others:
        raise SuiteError(f"holds the study '{others[0]}' of another config; give this one its own --out",
                         out / "study.db")
    study = optuna.create_study(storage=storage, study_name=name, direction="minimize", load_if_exists=True)
    space = {p.key: p.spec() for p in params}
    before = study.user_attrs.get("space")
    if before is None:
        study.set_user_attr("space", space)
    elif before != space:
        print(f"note: {space_path} differs from the space this study began with; earlier trials still count",
              file=sys.stderr)
        study.set_user_attr("space", space)
    # one process per study: a trial still RUNNING is left over from a killed command
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
        print(f"note: trial {t.number} was left running by an earlier command; marked failed", file=sys.stderr)
    return study


def enqueue_baseline(study: optuna.Study, cfg, params: list[Param]) -> None:
    """A new study's first trial: the recipe's own values (those inside the space), so the table shows what
    tuning gained over the recipe."""
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.WAITING)
    if study.get_trials(deepcopy=False, states=states):  # begun already (a baseline cut short is run again)
        return
    values = {p.key: recipe_value(cfg, p.key) for p in params}
    values = {k: v for k, v in values.items() if next(p for p in params if p.key == k).contains(v)}
    if values:
        study.enqueue_trial(values, user_attrs={"recipe": True})


def run_trial(trial: optuna.Trial, config_path: str, overrides: list[str], params: list[Param], raw: dict,
              out: Path, minutes_left: float | None, verbose: bool) -> tuple[str, float | None, dict]:
    """Train one trial; (state, value, user attributes). Raises KeyboardInterrupt when interrupted."""
    values = {p.key: p.suggest(trial) for p in params}
    run = out / f"trial-{trial.number:03d}"
    if run.exists():  # a study recreated over an old folder: its checkpoints must not leak into this trial
        shutil.rmtree(run)
    run.mkdir(parents=True)
    extra = ["train.devices=1", "train.num_nodes=1"]  # the trial object lives in this process only
    if minutes_left is not None:
        own = build(raw, values, source=config_path).train.max_minutes
        extra.append(f"train.max_minutes={format_value(min(own or math.inf, minutes_left))}")
    sets = overrides + assignments(values) + extra
    pruner = PruneOnValidation(trial)
    log = None if verbose else open(run / "train.log", "w", encoding="utf-8")
    quiet = (contextlib.redirect_stderr(log), contextlib.redirect_stdout(log)) if log else ()
    attrs: dict = {"run": str(run)}
    try:
        with contextlib.ExitStack() as stack:
            for cm in quiet:
                stack.enter_context(cm)
            print(f"suite train {config_path} {' '.join('--set ' + s for s in sets)} --out {run}", file=sys.stderr)
            try:
                bundle = train(config_path, sets, str(run), callbacks=[pruner])
            except NothingLearned as err:
                bundle, attrs["verdict"] = run / "model.pt", str(err)
            except optuna.TrialPruned as err:
                attrs["note"], attrs["steps"] = str(err), pruner.steps
                return "PRUNED", None, attrs
            except SuiteError as err:
                if pruner.interrupted:
                    raise KeyboardInterrupt from None
                attrs["note"] = str(err)
                return "FAIL", None, attrs
            except Exception as err:  # a value the config accepts but the model cannot take (hidden: 0, ...)
                traceback.print_exc()
                attrs["note"] = f"{type(err).__name__}: {err}".splitlines()[0][:300]
                return "FAIL", None, attrs
        metrics = torch.load(bundle, map_location="cpu", weights_only=True)["metrics"]
        attrs["metrics"] = {k: float(v) for k, v in metrics.items() if k.startswith("val/") and
                            isinstance(v, (int, float)) and math.isfinite(float(v))}
        attrs["steps"] = int(metrics.get("steps", 0))
        value = attrs["metrics"].get(METRIC)
        if value is None:
            attrs["note"] = f"the run logged no {METRIC} (no validation finished)"
            return "FAIL", None, attrs
        if "verdict" in attrs:
            attrs["note"] = "nothing learned"
        return "COMPLETE", value, attrs
    finally:
        if log:
            log.close()


def tune(config_path: str, space_path: str, out: str | None = None, trials: int = 20, minutes: float | None = None,
         pruner: str = "median", seed: int | None = 0, overrides: list[str] | None = None, startup_trials: int = 3,
         warmup_validations: int = 2, baseline: bool = True, keep_checkpoints: bool = False,
         verbose: bool = False) -> optuna.Study:
    """Run (or resume) the study until it holds ``trials`` finished trials or ``minutes`` have passed."""
    if trials < 1:
        raise SuiteError(f"--trials must be at least 1, got {trials}")
    if minutes is not None and minutes <= 0:
        raise SuiteError(f"--minutes must be positive, got {minutes}")
    overrides = list(overrides or [])
    params = read_space(space_path)
    raw = read_raw(config_path, overrides)
    cfg = check_space(raw, params, space_path, config_path)
    if not cfg.data.train:
        raise SuiteError(f"{config_path}: data.train must name a manifest (e.g. --set data.train=DIR/train.jsonl)")
    name = Path(config_path).stem
    out_dir = Path(out or f"runs/tune-{name}")
    keys = [p.key for p in params]
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the suite prints its own line per trial
    study = open_study(out_dir, name, params, space_path)
    done = len(finished(study))
    # a resumed study gets a fresh seed: the same one would draw the first invocation's values again
    study.sampler = optuna.samplers.TPESampler(seed=None if seed is None else seed + done,
                                               n_startup_trials=max(3, min(10, trials // 3)))
    study.pruner = make_pruner(pruner, startup_trials, warmup_validations)
    if baseline:
        enqueue_baseline(study, cfg, params)
    if done >= trials:
        print(f"the study already holds {done} finished trials (--trials {trials})", file=sys.stderr)
    start, fails = time.monotonic(), 0
    durations = [d for d in (seconds(t) for t in finished(study)) if d]
    try:
        while len(finished(study)) < trials:
            left = None if minutes is None else minutes * 60 - (time.monotonic() - start)
            # a trial given a sliver of time would score its budget, not its values
            floor = max(10.0, 0.5 * statistics.median(durations)) if durations else 10.0
            if left is not None and left < floor:
                print(f"stopping: {left:.0f} s of --minutes {minutes:g} left, less than {floor:.0f} s for a trial",
                      file=sys.stderr)
                break
            trial = study.ask()
            t0 = time.monotonic()
            try:
                state, value, attrs = run_trial(trial, config_path, overrides, params, raw, out_dir,
                                                None if left is None else left / 60, verbose)
            except BaseException as err:  # KeyboardInterrupt, or a crash: the trial must not stay RUNNING
                trial.set_user_attr("note", "interrupted" if isinstance(err, KeyboardInterrupt) else repr(err)[:200])
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                raise
            for k, v in attrs.items():
                trial.set_user_attr(k, v)
            if state == "COMPLETE":
                study.tell(trial, value)
            else:
                study.tell(trial, state=getattr(optuna.trial.TrialState, state))
            if not keep_checkpoints:
                shutil.rmtree(Path(attrs["run"]) / "checkpoints", ignore_errors=True)
            took = time.monotonic() - t0
            if state != "FAIL":
                durations.append(took)
            fails = fails + 1 if state == "FAIL" else 0
            print(trial_line(study, trial.number, took), file=sys.stderr)
            write_reports(study, keys, raw, config_path, out_dir)
            if fails >= MAX_FAILS_IN_A_ROW:
                raise SuiteError(f"{fails} trials in a row failed; the last: {attrs.get('note')}")
    finally:
        write_reports(study, keys, raw, config_path, out_dir)
    return study


def run_cli(args) -> int:
    """`suite tune`: the study, then its table; exit 3 when no trial learned anything."""
    study = tune(args.config, args.space, out=args.out, trials=args.trials, minutes=args.minutes,
                 pruner=args.pruner, seed=args.seed, overrides=args.set or [], startup_trials=args.startup_trials,
                 warmup_validations=args.warmup_validations, baseline=not args.no_baseline,
                 keep_checkpoints=args.keep_checkpoints, verbose=args.verbose)
    keys = list(study.user_attrs.get("space", {}))
    print_table(study, keys)
    out = Path(args.out or f"runs/tune-{Path(args.config).stem}")
    best = best_trial(study)
    if best is None:
        raise SuiteError("no trial finished; see the trials' train.log", out)
    sets = " ".join("--set " + s for s in assignments(best.params))
    print(f"best: trial {best.number}, {METRIC} {best.value:.4f}: {sets}")
    print(f"wrote {out / 'best.yaml'}, {out / 'trials.csv'}, {out / 'trials.png'}; "
          f"train it with: suite train {out / 'best.yaml'} --out runs/best")
    if "verdict" in best.user_attrs:
        print("no trial learned anything (see the verdict in the trials' train.log)", file=sys.stderr)
        return 3
    return 0
