"""The recipe matrix (issue 13, item 7): each `-cpu` recipe trained with only the manifests set, on corpora of
several sizes and kinds, scored on held-out data.

    python scripts/recipe_matrix.py --list                       # rows, budgets, which are done
    python scripts/recipe_matrix.py --rows speech-fsdd-1spk      # build its corpus, train, evaluate, record
    python scripts/recipe_matrix.py --parallel 2                 # every row not yet recorded, two at a time
    python scripts/recipe_matrix.py --prepare-only --rows ...    # only build the corpora
    python scripts/recipe_matrix.py --doc-only                   # re-render docs/recipe-matrix.md

Each row trains `suite train RECIPE --set data.train=TRAIN --out runs/matrix/ID` in a subprocess with
OMP_NUM_THREADS=1 and no data.valid (the automatic split holds part of train out: a user's first run), then
scores `suite evaluate runs/matrix/ID/model.pt --manifest TEST --json`. Results are merged into
bench/results.json under "recipe_matrix" (other keys untouched) and docs/recipe-matrix.md is regenerated
from them. A row already recorded is skipped (so the matrix can be finished over several sessions) unless
--force is given.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "recipe-matrix.md"
KEY = "recipe_matrix"
RUNS = "runs/matrix"
SHARED = ROOT.parent / "shared" / "data"

# "plateau": the model is no better than one that learned nothing
NULL_ERROR = 0.95  # WER/CER at or above this: (almost) nothing transcribed
ACC_MARGIN = 0.05  # accuracy at most majority class + this: chance
INPUT_KEYS = ("audio", "audio_filepath", "ink", "video")  # path fields made absolute in derived manifests


# ------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Corpus:
    """A corpus: `suite` commands that build ``folder`` (``{shared}``/``{out}`` filled in), optionally a
    training manifest derived from others (concatenated, then ``sample`` whole lines drawn with ``seed``)."""
    name: str
    folder: str                                  # relative to the repository
    train: str                                   # training manifest, relative to the repository
    test: str                                    # test manifest, relative to the repository
    commands: tuple[tuple[str, ...], ...] = ()   # `suite ...` argv templates run with --out {out}
    needs: tuple[str, ...] = ()                  # corpora built first (sources of derive / test)
    derive: tuple[str, ...] = ()                 # manifests concatenated into ``train``
    sample: int | None = None                    # lines drawn from the concatenation (None: all)
    seed: int = 0
    about: str = ""


VIDEO_SCENE = ("--scene", "cluttered", "--fps", "25", "--seconds", "2", "4", "--size", "128")


def _video(n: int) -> Corpus:
    return Corpus(f"video-cluttered-{n}", f"data/matrix/video-cluttered-{n}",
                  f"data/matrix/video-cluttered-{n}/manifest.jsonl", "data/matrix/video-cluttered-test/manifest.jsonl",
                  commands=(("synth", "video", "--out", "{out}", *VIDEO_SCENE, "--per-class", str(n), "--seed", "1"),),
                  needs=("video-cluttered-test",),
                  about=f"{n} clips per class of the cluttered generator at 25 fps, 2-4 s, 128 px (seed 1); "
                        "test: 30 fresh clips per class (seed 1000)")


def _unipen(n: int) -> Corpus:
    return Corpus(f"unipen-{n}", f"data/matrix/unipen-{n}", f"data/matrix/unipen-{n}/train.jsonl",
                  "data/unipen/valid.jsonl", needs=("unipen",), derive=("data/unipen/train.jsonl",), sample=n, seed=0,
                  about=f"{n} whole lines drawn (seed 0) from the UNIPEN training writers; test: the 1508 lines "
                        "of the 42 held-out writers")


CORPORA = {c.name: c for c in [
    Corpus("fsdd-jackson", "data/matrix/fsdd-jackson", "data/matrix/fsdd-jackson/train_all.jsonl",
           "data/matrix/fsdd-jackson/test.jsonl",
           commands=(("prepare", "fsdd", "{shared}/fsdd/recordings", "--out", "{out}", "--speakers", "jackson"),),
           derive=("data/matrix/fsdd-jackson/train.jsonl", "data/matrix/fsdd-jackson/valid.jsonl"),
           about="jackson's isolated digits, recordings 5-49 (450 files); test: his recordings 0-4 (50 files, "
                 "never heard)"),
    Corpus("fsdd-5spk-connected", "data/matrix/fsdd-5spk-connected", "data/matrix/fsdd-5spk-connected/train.jsonl",
           "data/matrix/fsdd-5spk-connected/test.jsonl",
           commands=(("prepare", "fsdd", "{shared}/fsdd/recordings", "--out", "{out}", "--connected",
                      "--per-speaker", "480", "--eval-per-speaker", "20", "--seed", "0"),),
           about="3-7 digit utterances of all 5 speakers joined from recordings 10-49 (2400); test: 100 "
                 "utterances joined from recordings 0-4 (never heard)"),
    Corpus("an4", "data/an4", "data/an4/train.jsonl", "data/an4/test.jsonl",
           commands=(("prepare", "an4", "{shared}/an4", "--out", "{out}"),),
           about="CMU AN4 as `suite prepare an4` splits it"),
    Corpus("an4-all", "data/matrix/an4-all", "data/matrix/an4-all/train.jsonl", "data/an4/test.jsonl",
           needs=("an4",), derive=("data/an4/train.jsonl", "data/an4/valid.jsonl"),
           about="all 948 AN4 training utterances (74 speakers); test: AN4's 130 test utterances (10 other "
                 "speakers)"),
    Corpus("unipen", "data/unipen", "data/unipen/train.jsonl", "data/unipen/valid.jsonl",
           commands=(("prepare", "unipen", "{shared}/unipen", "--out", "{out}", "--valid-writers", "0.12",
                      "--seed", "0"),),
           about="all 10477 UNIPEN training lines (275 writers; the handwriting-en split); test: the 1508 lines "
                 "of the 42 held-out writers"),
    _unipen(100), _unipen(1000),
    Corpus("video-cluttered-test", "data/matrix/video-cluttered-test",
           "data/matrix/video-cluttered-test/manifest.jsonl", "data/matrix/video-cluttered-test/manifest.jsonl",
           commands=(("synth", "video", "--out", "{out}", *VIDEO_SCENE, "--per-class", "30", "--seed", "1000"),),
           about="test clips only"),
    _video(10), _video(30), _video(100),
]}


@dataclass(frozen=True)
class Row:
    id: str
    domain: str
    recipe: str                   # relative to the repository
    corpus: str                   # a CORPORA key
    metric: str                   # "wer" | "cer" | "accuracy" (the test metric; error metrics lower is better)
    target: float | None = None   # <= for wer/cer, >= for accuracy
    valid: str | None = None      # None: no data.valid (automatic split); else a manifest (a natural valid set)
    extra: tuple[str, ...] = ()   # further --set overrides, only where the recipe cannot run without them
    note: str = ""


ROWS: list[Row] = [
    Row("speech-fsdd-1spk", "speech", "configs/speech-cpu.yaml", "fsdd-jackson", "wer", 0.05),
    Row("speech-fsdd-5spk-connected", "speech", "configs/speech-cpu.yaml", "fsdd-5spk-connected", "wer"),
    Row("speech-an4", "speech", "configs/speech-cpu.yaml", "an4-all", "wer"),
    Row("handwriting-unipen-100", "handwriting", "configs/handwriting-cpu.yaml", "unipen-100", "cer"),
    Row("handwriting-unipen-1000", "handwriting", "configs/handwriting-cpu.yaml", "unipen-1000", "cer", 0.15),
    Row("handwriting-unipen-all", "handwriting", "configs/handwriting-cpu.yaml", "unipen", "cer"),
    Row("video-scratch-10", "video", "configs/video-scratch-cpu.yaml", "video-cluttered-10", "accuracy"),
    Row("video-scratch-30", "video", "configs/video-scratch-cpu.yaml", "video-cluttered-30", "accuracy"),
    Row("video-scratch-100", "video", "configs/video-scratch-cpu.yaml", "video-cluttered-100", "accuracy", 0.90),
    Row("video-pretrained-10", "video", "configs/video-cpu.yaml", "video-cluttered-10", "accuracy"),
    # the Video issue's target (it also asks >= 90% on the reversed pairs, reported beside top-1)
    Row("video-pretrained-30", "video", "configs/video-cpu.yaml", "video-cluttered-30", "accuracy", 0.90),
    Row("video-pretrained-100", "video", "configs/video-cpu.yaml", "video-cluttered-100", "accuracy"),
]
ROW_BY_ID = {r.id: r for r in ROWS}


# ------------------------------------------------------------------ bookkeeping (no training here)
def select_rows(ids: list[str] | None, rows: list[Row] = ROWS) -> list[Row]:
    """The rows named by ``ids`` in table order (all rows when none are named); unknown ids are an error."""
    if not ids:
        return list(rows)
    known = {r.id for r in rows}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise SystemExit(f"error: unknown row(s): {', '.join(unknown)} (see --list)")
    return [r for r in rows if r.id in set(ids)]


def read_results(path: Path) -> dict:
    """The "recipe_matrix" section of a results file ({} when the file or the section is missing)."""
    try:
        return json.loads(path.read_text()).get(KEY) or {}
    except FileNotFoundError:
        return {}


def is_done(row_id: str, section: dict) -> bool:
    """A row counts as recorded once training ended (learned or not) and its result was written; a row whose
    run crashed is retried."""
    rec = section.get("rows", {}).get(row_id)
    return bool(rec) and rec.get("outcome") in ("learned", "nothing learned")


def pending(rows: list[Row], section: dict, force: bool) -> list[Row]:
    return list(rows) if force else [r for r in rows if not is_done(r.id, section)]


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock for read-merge-write of ``path`` (between threads and between processes)."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"recipe_matrix-{digest}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def merge_results(path: Path, records: dict[str, dict]) -> dict:
    """Add/replace rows of the "recipe_matrix" section of ``path``; every other key of the file and of the section,
    and other rows, stay as they are. Returns the section as written."""
    with locked(path):
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            doc = {}
        section = dict(doc.get(KEY) or {})
        section["rows"] = {**section.get("rows", {}), **records}
        doc[KEY] = section
        atomic_write(path, json.dumps(doc, indent=2) + "\n")
    return section


def majority_share(labels: list[str]) -> float:
    """Accuracy of always answering the most frequent label."""
    if not labels:
        return 0.0
    return max(labels.count(x) for x in set(labels)) / len(labels)


def plateau(metric: str, value: float | None, exit_code: int, majority: float | None = None) -> tuple[bool | None, str]:
    """(on the plateau?, why): the verdict fired, or the test metric is no better than the null model."""
    if exit_code == 3:
        return True, "the verdict: nothing learned (exit 3)"
    if value is None:
        return None, "no test metric"
    if metric in ("wer", "cer"):
        if value >= NULL_ERROR:
            return True, f"test {metric.upper()} {value:.3f} >= {NULL_ERROR} (null model: empty output)"
        return False, ""
    if metric == "accuracy":
        floor = (majority or 0.0) + ACC_MARGIN
        if value <= floor:
            return True, f"test accuracy {value:.3f} <= majority class {majority or 0:.3f} + {ACC_MARGIN}"
        return False, ""
    raise ValueError(f"unknown metric {metric!r}")


def target_met(metric: str, value: float | None, target: float | None) -> bool | None:
    if target is None:
        return None
    if value is None:
        return False
    return value >= target if metric == "accuracy" else value <= target


def outcome_of(exit_code: int) -> str:
    return {0: "learned", 3: "nothing learned"}.get(exit_code, "failed")


# ------------------------------------------------------------------ commands
def suite_exe() -> str:
    exe = ROOT / ".venv" / "bin" / "suite"
    return str(exe) if exe.is_file() else (shutil.which("suite") or "suite")


def run_dir(row: Row) -> str:
    return f"{RUNS}/{row.id}"


def train_argv(row: Row) -> list[str]:
    corpus = CORPORA[row.corpus]
    argv = ["suite", "train", row.recipe, "--set", f"data.train={corpus.train}"]
    if row.valid:
        argv += ["--set", f"data.valid={row.valid}"]
    for s in row.extra:
        argv += ["--set", s]
    return argv + ["--out", run_dir(row)]


def evaluate_argv(row: Row) -> list[str]:
    return ["suite", "evaluate", f"{run_dir(row)}/model.pt", "--manifest", CORPORA[row.corpus].test, "--json"]


def corpus_chain(name: str) -> list[Corpus]:
    """The corpus and what it needs, dependencies first."""
    out: list[Corpus] = []

    def visit(n: str) -> None:
        c = CORPORA[n]
        for d in c.needs:
            visit(d)
        if c not in out:
            out.append(c)

    visit(name)
    return out


def corpus_commands(name: str, shared: str = "../shared/data") -> list[str]:
    """Shell lines that build a row's corpus (for the docs)."""
    lines = []
    for c in corpus_chain(name):
        for cmd in c.commands:
            lines.append(" ".join(["suite", *(a.format(shared=shared, out=c.folder) for a in cmd)]))
        if c.derive:
            what = " + ".join(c.derive)
            how = f"{c.sample} whole lines drawn with seed {c.seed} from {what}" if c.sample else what
            lines.append(f"# {c.train}: {how} (input paths made absolute; "
                         f"python scripts/recipe_matrix.py --prepare-only builds it)")
    return lines


def shell(argv: list[str]) -> str:
    return " ".join(a if a and all(ch.isalnum() or ch in "-_./=:," for ch in a) else repr(a) for a in argv)


def recipe_budget(recipe: str) -> dict:
    t = (yaml.safe_load((ROOT / recipe).read_text()) or {}).get("train", {})
    return {"max_minutes": t.get("max_minutes"), "max_steps": t.get("max_steps"), "min_steps": t.get("min_steps")}


# ------------------------------------------------------------------ building corpora
def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def derive_manifest(sources: list[Path], out: Path, sample: int | None, seed: int) -> int:
    """Concatenate manifests into ``out`` with absolute input paths (so ``out`` may live anywhere), keeping
    ``sample`` whole lines drawn with ``seed`` (in their original order). Returns the line count."""
    rows = []
    for src in sources:
        for rec in read_jsonl(src):
            for k in INPUT_KEYS:
                if isinstance(rec.get(k), str) and not os.path.isabs(rec[k]):
                    rec[k] = str((src.parent / rec[k]).resolve())
            rows.append(rec)
    if sample is not None:
        if sample > len(rows):
            raise SystemExit(f"error: {out}: {sample} lines wanted, the sources hold {len(rows)}")
        keep = sorted(random.Random(seed).sample(range(len(rows)), sample))
        rows = [rows[i] for i in keep]
    atomic_write(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return len(rows)


def corpus_ready(c: Corpus) -> bool:
    return (ROOT / c.train).is_file() and (ROOT / c.test).is_file()


def build_corpus(c: Corpus, shared: Path, log) -> None:
    """Build ``c`` (after what it needs) unless its manifests exist: into FOLDER.part, then renamed, so an
    interrupted build is redone rather than half-used."""
    for dep in c.needs:
        build_corpus(CORPORA[dep], shared, log)
    with locked(ROOT / c.folder):
        if corpus_ready(c):
            return
        final = ROOT / c.folder
        part = final.with_name(final.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        if final.exists():
            raise SystemExit(f"error: {final} exists but lacks {c.train} or {c.test}; remove it or finish it by hand")
        part.mkdir(parents=True)
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        t0 = time.time()
        for cmd in c.commands:
            argv = [suite_exe(), *(a.format(shared=shared, out=part) for a in cmd)]
            log(f"[{c.name}] {shell(argv)}")
            with open(part.with_name(final.name + ".build.log"), "a") as fh:
                rc = subprocess.call(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
            if rc:
                raise SystemExit(f"error: building {c.name} failed (exit {rc}); see {part.name}.build.log")
        if c.derive:
            # sources inside this corpus' own folder are still under FOLDER.part
            srcs = [ROOT / s if not s.startswith(c.folder + "/") else part / s[len(c.folder) + 1:] for s in c.derive]
            n = derive_manifest(srcs, part / Path(c.train).relative_to(c.folder), c.sample, c.seed)
            log(f"[{c.name}] {c.train}: {n} lines")
        os.replace(part, final)
        log(f"[{c.name}] built in {(time.time() - t0) / 60:.1f} min")


# ------------------------------------------------------------------ running a row
class LoadSampler:
    """The 1-minute load average every ``every`` seconds while a row trains (the machine is shared)."""

    def __init__(self, every: float = 30.0):
        self.every, self.samples, self._stop = every, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        s = self.samples or [os.getloadavg()[0]]
        return {"mean": round(sum(s) / len(s), 2), "max": round(max(s), 2), "samples": len(s)}


def count_lines(path: Path) -> int | None:
    return sum(1 for line in path.open() if line.strip()) if path.is_file() else None


def run_row(row: Row, log) -> dict:
    """Train and evaluate one row; returns its record (also written to RUN/result.json)."""
    run = ROOT / run_dir(row)
    shutil.rmtree(run, ignore_errors=True)  # a rerun starts fresh: the wall time must be one whole run
    run.mkdir(parents=True)
    corpus = CORPORA[row.corpus]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    budget = recipe_budget(row.recipe)
    exe = suite_exe()
    log(f"[{row.id}] {shell(train_argv(row))}  (budget {budget['max_minutes']} min)")
    load_before = os.getloadavg()[0]
    commit = _git_commit()  # the code the run starts with (commits made while it trains are not in it)
    t0 = time.time()
    with LoadSampler() as load, open(run / "train.log", "w") as fh:
        rc = subprocess.call([exe, *train_argv(row)[1:]], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    wall = (time.time() - t0) / 60
    rec: dict = {
        "id": row.id, "domain": row.domain, "recipe": row.recipe, "corpus": row.corpus,
        "valid": row.valid or "auto", "metric": row.metric, "target": row.target,
        "exit_code": rc, "outcome": outcome_of(rc), "wall_minutes": round(wall, 2),
        "budget_minutes": budget["max_minutes"], "budget_steps": budget["max_steps"],
        "train_manifest_lines": count_lines(ROOT / corpus.train),
        "train_samples": count_lines(run / "split" / "train.jsonl") if not row.valid else count_lines(ROOT / corpus.train),
        "valid_samples": count_lines(run / "split" / "valid.jsonl") if not row.valid else count_lines(ROOT / row.valid),
        "test_samples": count_lines(ROOT / corpus.test),
        "load_average": {"before": round(load_before, 2), **load.summary()},
        "commands": {"corpus": corpus_commands(row.corpus), "train": shell(train_argv(row)),
                     "evaluate": shell(evaluate_argv(row))},
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
    }
    bundle = run / "model.pt"
    if rc in (0, 3) and bundle.is_file():
        sys.path.insert(0, str(ROOT))
        from suite.bundle import load_bundle  # the stable bundle reader

        metrics = load_bundle(bundle)["metrics"]
        rec["steps"] = metrics.get("steps")
        rec["best_valid"] = _num(metrics.get(f"val/{row.metric}"))
        rec["valid_null_error"] = _num(metrics.get("val/null_error"))
        rec["verdict"] = metrics.get("verdict")
        rec["ended_by"] = metrics.get("ended_by")  # the trainer's own account (suite.ending)
        t1 = time.time()
        ev = subprocess.run([exe, *evaluate_argv(row)[1:]], cwd=ROOT, env=env, capture_output=True, text=True)
        rec["evaluate_minutes"] = round((time.time() - t1) / 60, 2)
        lines = [ln for ln in ev.stdout.splitlines() if ln.startswith("{")]
        if ev.returncode == 0 and lines:
            rec["test"] = json.loads(lines[-1])
            (run / "test.json").write_text(lines[-1] + "\n")
        else:
            rec["outcome"] = "failed"
            rec["error"] = f"evaluate exit {ev.returncode}: {ev.stderr.strip()[-500:]}"
    else:
        rec["error"] = "\n".join((run / "train.log").read_text(errors="replace").strip().splitlines()[-5:])
    value = _num((rec.get("test") or {}).get(row.metric))
    rec["test_metric"] = value
    majority = None
    if row.metric == "accuracy":
        majority = majority_share([r.get("label") for r in read_jsonl(ROOT / corpus.test)])
        rec["majority_class"] = round(majority, 4)
        rec["reversed_pairs"] = pair_accuracy((rec.get("test") or {}).get("per_class") or {})
    rec["target_met"] = target_met(row.metric, value, row.target)
    rec["plateau"], rec["plateau_reason"] = plateau(row.metric, value, rc, majority) if rec["outcome"] != "failed" \
        else (None, "run failed")
    atomic_write(run / "result.json", json.dumps(rec, indent=2) + "\n")
    log(f"[{row.id}] {rec['outcome']} (exit {rc}) in {wall:.1f} min, steps {rec.get('steps')}, "
        f"test {row.metric} {value}, best valid {rec.get('best_valid')}, plateau {rec['plateau']}")
    return rec


def pair_accuracy(per_class: dict) -> float | None:
    """Mean accuracy of the generator's time-reversed classes (equal-sized test classes: their clips' top-1),
    None when the test set lacks them."""
    from video.actions import REVERSED_PAIRS

    names = [c for pair in REVERSED_PAIRS for c in pair]
    if not all(c in per_class for c in names):
        return None
    return round(sum(per_class[c] for c in names) / len(names), 4)


def _num(v):
    return round(float(v), 4) if isinstance(v, (int, float)) else None


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine() -> dict:
    import platform

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").is_file() else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


# ------------------------------------------------------------------ the document
def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return f"{100 * v:.1f}%" if pct else f"{v:.3g}"
    return str(v)


def _yes_bad(v) -> str:
    return "-" if v is None else ("**yes**" if v else "no")


def render_doc(section: dict, rows: list[Row] = ROWS) -> str:
    recs = section.get("rows", {})
    out = [
        "# Recipe matrix: the `-cpu` recipes on your data, measured",
        "",
        "<!-- generated by scripts/recipe_matrix.py from bench/results.json (\"recipe_matrix\"); do not edit -->",
        "",
        "Each `-cpu` recipe trained with **only the training manifest set** (`--set data.train=...`, no "
        "`data.valid`: the automatic split holds 10% of it out, whole speakers/writers when the rows name them), "
        "within the recipe's own budget, then scored with `suite evaluate MODEL --manifest TEST --json` on data "
        "it never saw. One row at a time per core, `OMP_NUM_THREADS=1`, on a 2-core machine shared with other "
        "jobs (the load average during each run is given: budgets are wall-clock, so a busy machine means "
        "fewer steps).",
        "",
        "    python scripts/recipe_matrix.py --list            # rows and which are recorded",
        "    python scripts/recipe_matrix.py --rows ID ...     # run rows (resumable: recorded rows are skipped)",
        "    python scripts/recipe_matrix.py --parallel 2      # all missing rows, two at a time",
        "",
        "*plateau*: the verdict fired (exit 3) or the test metric is no better than the null model "
        f"(WER/CER >= {NULL_ERROR}, accuracy <= majority class + {ACC_MARGIN}). *best valid*: the validation "
        "metric stored in the bundle (the automatic split's held-out part). *wall min (budget)*: the whole "
        "`suite train` run against the recipe's `train.max_minutes`, which counts training only: the video "
        "recipes with a feature cache fill it first (~5 s a clip with 10 views; docs/video.md, \"Time\").",
        "",
        "| row | recipe | training data | test | metric | target | exit | steps | wall min (budget) | "
        "load avg | best valid | **test** | met | plateau |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rec = recs.get(r.id)
        target = "-" if r.target is None else (f">= {r.target:.0%}" if r.metric == "accuracy" else f"<= {r.target:.0%}")
        budget = recipe_budget(r.recipe)["max_minutes"]
        recipe = Path(r.recipe).name
        if not rec:
            out.append(f"| {r.id} | {recipe} | {r.corpus} | | {r.metric} | {target} | not run | | ({budget}) "
                       "| | | | | |")
            continue
        train = f"{r.corpus}: {_fmt(rec.get('train_samples'))} train / {_fmt(rec.get('valid_samples'))} valid"
        if rec.get("valid") != "auto":
            train += " (given)"
        load = rec.get("load_average") or {}
        out.append(
            f"| {r.id} | {recipe} | {train} | {_fmt(rec.get('test_samples'))} | {r.metric} | {target} "
            f"| {rec['exit_code']} ({rec['outcome']}) | {_fmt(rec.get('steps'))} ({rec.get('ended_by', '-')}) "
            f"| {rec['wall_minutes']:.1f} ({rec.get('budget_minutes')}) | {load.get('mean', '-')} "
            f"| {_fmt(rec.get('best_valid'), True)} | **{_fmt(rec.get('test_metric'), True)}**"
            + (f" (reversed pairs {_fmt(rec['reversed_pairs'], True)})" if rec.get("reversed_pairs") is not None else "")
            + " "
            f"| {_fmt(rec.get('target_met'))} | {_yes_bad(rec.get('plateau'))} |")
    out += ["", "## Corpora", ""]
    used = []
    for r in rows:
        for c in corpus_chain(r.corpus):
            if c.name not in used:
                used.append(c.name)
    for name in used:
        c = CORPORA[name]
        out.append(f"- `{name}` ({c.folder}): {c.about}")
    out += ["", "## Each row's commands", ""]
    for r in rows:
        rec = recs.get(r.id) or {}
        cmds = rec.get("commands") or {"corpus": corpus_commands(r.corpus), "train": shell(train_argv(r)),
                                       "evaluate": shell(evaluate_argv(r))}
        head = f"### {r.id}"
        if rec:
            head += f" ({rec.get('finished')}, commit {rec.get('commit')})"
        out += [head, "", "```bash", *cmds["corpus"], f"OMP_NUM_THREADS=1 {cmds['train']}", cmds["evaluate"], "```"]
        if r.extra:
            out.append(f"`{' '.join(r.extra)}`: the recipe names the demo's own manifests as defaults; "
                       "with only data.train set it stops on the missing data/video/valid manifest.")
        if rec.get("test"):
            scores = ", ".join(f"{k} {v:.4g}" for k, v in rec["test"].items() if isinstance(v, float))
            out.append(f"Test ({rec['test'].get('samples')} samples): {scores}; best validation {r.metric} "
                       f"{_fmt(rec.get('best_valid'))} after {rec.get('steps')} steps; training "
                       f"{rec['wall_minutes']:.1f} min at load average {(rec.get('load_average') or {}).get('mean')}, "
                       f"evaluation {rec.get('evaluate_minutes')} min.")
        if rec.get("plateau_reason"):
            out.append(f"Plateau: {rec['plateau_reason']}.")
        if rec.get("verdict"):
            out.append(f"Verdict: {rec['verdict']}.")
        if rec.get("error"):
            out += ["", "Error:", "```", rec["error"], "```"]
        out.append("")
    out += machines_lines(rows, recs, section.get("machine"))
    return "\n".join(out).rstrip() + "\n"


def machines_lines(rows: list[Row], recs: dict, shared: dict | None) -> list[str]:
    """Which machine ran which row; rows recorded before rows kept their own machine fall under ``shared``, the one
    machine the matrix used to record for all of them (the last row's)."""
    def name(m: dict) -> str:
        return f"{m.get('cpu')}, {m.get('cores')} cores, Python {m.get('python')}"

    by_machine: dict[str, list[str]] = {}
    older = []
    for r in rows:
        rec = recs.get(r.id)
        if rec and rec.get("machine"):
            by_machine.setdefault(name(rec["machine"]), []).append(r.id)
        elif rec:
            older.append(r.id)
    out = [f"Machine: {m} ({', '.join(ids)})." for m, ids in by_machine.items()]
    if older and shared:
        out.append(f"Rows recorded before each row kept its machine ({', '.join(older)}): the matrix recorded one "
                   f"machine for all of them, {name(shared)}.")
    return out


def write_doc(section: dict, path: Path = DOC) -> None:
    atomic_write(path, render_doc(section))


# ------------------------------------------------------------------ CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", metavar="ID", help="rows to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the rows and whether each is recorded")
    ap.add_argument("--force", action="store_true", help="rerun rows already recorded")
    ap.add_argument("--parallel", type=int, default=1, choices=(1, 2), help="rows trained at once (one core each)")
    ap.add_argument("--prepare-only", action="store_true", help="build the rows' corpora, train nothing")
    ap.add_argument("--doc-only", action="store_true", help="re-render the document from the results")
    ap.add_argument("--dry-run", action="store_true", help="print what would run")
    ap.add_argument("--shared", type=Path, default=SHARED, help="the shared corpora (default ../shared/data)")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--doc", type=Path, default=DOC)
    args = ap.parse_args(argv)

    rows = select_rows(args.rows)
    section = read_results(args.results)
    if args.list:
        for r in rows:
            rec = section.get("rows", {}).get(r.id)
            state = (f"{rec['outcome']}: {r.metric} {rec.get('test_metric')}" if rec else "not run")
            budget = recipe_budget(r.recipe)["max_minutes"]
            print(f"{r.id:28s} {Path(r.recipe).name:26s} {r.corpus:22s} {r.metric:8s} "
                  f"target {r.target if r.target is not None else '-':<5} budget {budget:>3} min  "
                  f"{'[done] ' if is_done(r.id, section) else ''}{state}")
        return 0
    if args.doc_only:
        write_doc(section, args.doc)
        print(f"wrote {args.doc}")
        return 0

    todo = pending(rows, section, args.force)
    skipped = [r.id for r in rows if r not in todo]
    if skipped:
        print(f"already recorded (use --force to rerun): {', '.join(skipped)}", file=sys.stderr)
    if args.dry_run:
        for r in todo:
            print("\n".join(corpus_commands(r.corpus, str(args.shared))))
            print(shell(train_argv(r)))
            print(shell(evaluate_argv(r)))
        return 0

    lock = threading.Lock()

    def log(msg: str) -> None:
        with lock:
            print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)

    # corpora first and one at a time: rows sharing a corpus must not build it twice at once
    for name in dict.fromkeys(r.corpus for r in todo):
        build_corpus(CORPORA[name], args.shared, log)
    if args.prepare_only:
        return 0

    failed = []
    # rows finishing together: each read-modify-write of the results and the document that follows it happen in
    # turn, or the first row's (older) document can be written last
    results_lock = threading.Lock()

    def one(row: Row) -> None:
        # each row keeps the machine it ran on: rows are rerun one at a time, sessions apart, on other machines
        rec = {**run_row(row, log), "machine": machine()}
        with results_lock:
            sec = merge_results(args.results, {row.id: rec})
            write_doc(sec, args.doc)
        if rec["outcome"] == "failed":
            failed.append(row.id)

    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        list(pool.map(one, todo))
    if not todo:
        write_doc(section, args.doc)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
