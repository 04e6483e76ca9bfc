"""Run the benchmarks (issue 6), print a table and write bench/results.json.

    .venv/bin/python bench/run.py [--quick] [--only NAME ...] [--threads N]

Each benchmark is ``bench/bench_<name>.py`` with ``run(quick) -> {"title", "device", "rows", ...}``; a
row compares two ways of doing one job (A vs B), their ratio, the target and whether it is met.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# DataLoader workers and subprocesses must import bench.synthetic too
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)

BENCHMARKS = ["trainer", "pipeline", "padding", "inference", "beam", "video_decode", "ink_features", "export", "rnn_cells", "serve",
              "cli", "an4_peers", "video_label", "channels_last", "ink_loading"]


def machine() -> dict:
    import torch

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "torch": torch.__version__, "python": platform.python_version()}


def fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if x == 0 or 0.01 <= abs(x) < 10000:
            return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"
        return f"{x:.3g}"
    return str(x)


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Sequence Suite benchmarks", show_lines=False)
    for col in ("benchmark", "comparison", "A", "B", "unit", "A/B", "target", "ok"):
        table.add_column(col, overflow="fold")
    for name, res in results.items():
        if res.get("skipped") or res.get("error"):
            table.add_row(name, res.get("skipped") and f"skipped: {res['skipped']}" or f"error: {res['error']}",
                          "", "", "", "", "", "-")
            continue
        for r in res["rows"]:
            ok = {True: "[green]yes[/]", False: "[red]no[/]", None: "-"}[r["passed"]]
            table.add_row(name, f"{r['name']}\n{r['a_label']} vs {r['b_label']}", fmt(r["a"]), fmt(r["b"]),
                          r["unit"], fmt(r["ratio"]), r["target_text"], ok)
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=BENCHMARKS, metavar="NAME",
                    help=f"run only these ({', '.join(BENCHMARKS)})")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and smaller inputs (a smoke run)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: one core, as the issue's CPU targets are stated)")
    ap.add_argument("--model", action="append", default=[], metavar="DOMAIN=PATH",
                    help="benchmark this bundle instead of the domain's bundled model (repeatable)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args(argv)
    for spec in args.model:
        domain, _, path = spec.partition("=")
        if domain not in ("speech", "handwriting", "video") or not path:
            ap.error(f"--model expects DOMAIN=PATH with DOMAIN speech, handwriting or video, got {spec!r}")
        if not Path(path).is_file():
            ap.error(f"--model {spec}: file not found")
    if args.model:
        os.environ["SUITE_BENCH_MODELS"] = ",".join(args.model)

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    from suite.io import atomic_write_text
    from suite.train import quiet_lightning

    quiet_lightning()
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    results: dict = {}
    started = time.perf_counter()
    out = Path(args.out)
    previous = {}
    if args.only and out.is_file():  # a partial run updates its benchmarks and keeps the others
        try:
            previous = json.loads(out.read_text()).get("benchmarks", {})
        except (OSError, ValueError):
            previous = {}
    for name in args.only or BENCHMARKS:
        print(f"== {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"bench.bench_{name}")
            res = mod.run(args.quick)
        except Exception as err:  # noqa: BLE001 - one failing benchmark must not lose the others' results
            traceback.print_exc()
            res = {"error": f"{type(err).__name__}: {err}", "rows": []}
        res["seconds"] = round(time.perf_counter() - t0, 1)
        # other processes on the machine slow some comparisons: keep the load next to the figures
        res["load_average_1min"] = round(os.getloadavg()[0], 2)
        res["quick"] = args.quick
        results[name] = res
        print(f"   {name}: {res['seconds']} s", file=sys.stderr, flush=True)
    this = {"command": " ".join([Path(sys.executable).name, "bench/run.py", *(argv or sys.argv[1:])]),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "total_seconds": round(time.perf_counter() - started, 1)}
    if previous:
        # a partial run: the header stays the full run's; this run is listed under "updates"
        old = json.loads(out.read_text())
        # the header's machine is the full run's; an update on another machine names its own
        here = machine()
        if here != old.get("machine"):
            this["machine"] = here
        doc = {**old, "machine": old.get("machine", here), "benchmarks": {**previous, **results},
               "updates": old.get("updates", []) + [{**this, "benchmarks": list(results)}]}
    else:
        doc = {"machine": machine(), **this, "benchmarks": results}
    atomic_write_text(out, json.dumps(doc, indent=2, default=float) + "\n")
    print_table(doc["benchmarks"])
    print(f"wrote {out} ({this['total_seconds']} s)", file=sys.stderr)
    failed = [n for n, r in results.items() if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
