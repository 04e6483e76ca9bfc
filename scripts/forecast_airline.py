"""Airline passengers (Box-Jenkins series G): seasonal-naive vs statsmodels vs the suite's LSTM, one run.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/forecast_airline.py [--seeds 5] [--mode direct|recursive]

Everything is fitted on 1949-1958 and scored on the 24 months of 1959-1960, forecast from the end of 1958
(RMSE/MAE in thousands of passengers, MAPE in %):

- seasonal-naive: 1958 repeated for both years;
- statsmodels: Holt-Winters (additive trend, multiplicative season), the same with a multiplicative trend,
  and SARIMA(1,1,1)(0,1,1,12) and the airline model (0,1,1)(0,1,1,12) on logs, all by maximum likelihood;
- the LSTM: `suite prepare forecast --log` windows (24 months in; training targets 1951-1956, validation
  1957-1958, which picks the checkpoint), `suite train configs/forecast-cpu.yaml` once per seed, then
  forecast from the last 24 months of 1958. ``--mode direct``: the model outputs all 24 months at once;
  ``--mode recursive``: a 12-month model run twice (12 + 12, the second from its own first forecast).
  Reported per seed (mean, min, max) and for the mean forecast of the seeds (an ensemble).

Writes bench/results.json ("forecast" key, merged) and the table in docs/forecast.md (between markers).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CSV = ROOT.parent / "shared" / "data" / "airline" / "airline-passengers.csv"
TABLE_START, TABLE_END = "<!-- airline-table:start -->", "<!-- airline-table:end -->"


def scores(y, p) -> dict:
    e = np.asarray(p, dtype=float) - y
    return {"rmse": float(np.sqrt((e ** 2).mean())), "mae": float(np.abs(e).mean()),
            "mape": float(100 * np.abs(e / y).mean())}


def train_lstm(args, data: Path, run: Path, seed: int) -> tuple[Path, float]:
    model, timing = run / "model.pt", run / "train_seconds.txt"
    if args.reuse and model.is_file():
        return model, float(timing.read_text()) if timing.is_file() else 0.0
    cmd = [str(ROOT / ".venv" / "bin" / "suite"), "train", str(args.config), "--out", str(run),
           "--set", f"data.train={data / 'train.jsonl'}", "--set", f"data.valid={data / 'valid.jsonl'}",
           "--set", f"train.seed={seed}", *sum((["--set", s] for s in args.set), [])]
    t0 = time.time()
    log = run.parent / f"{run.name}.log"
    run.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
                              env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    if done.returncode != 0:
        sys.exit(f"training seed {seed} failed, see {log}")
    timing.write_text(f"{time.time() - t0:.1f}\n")
    return model, time.time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", type=Path, default=CSV)
    ap.add_argument("--mode", choices=["direct", "recursive"], default="direct")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "forecast-cpu.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config override")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "forecast" / "airline")
    ap.add_argument("--runs", type=Path, default=ROOT / "runs" / "forecast-airline")
    ap.add_argument("--reuse", action="store_true", help="keep models already trained in --runs")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/results.json and docs/forecast.md")
    args = ap.parse_args()

    from forecast.baselines import holt_winters, sarima, seasonal_naive
    from forecast.predict import forecast_values
    from forecast.prepare import prepare_series
    from forecast.series import read_series
    from suite.inference import load_predictor

    series = read_series(args.csv)
    months = [d.strftime("%Y-%m") for d in series.dates]
    test_start = months.index("1959-01")
    y_all = series.values[:, 0]
    train, test = y_all[:test_start], y_all[test_start:test_start + 24]
    assert len(test) == 24, "the series must run to 1960-12"

    rows: list[dict] = []

    def add(name: str, forecast, note: str = "", **extra) -> None:
        rows.append({"method": name, **scores(test, forecast), "note": note, **extra})

    t0 = time.time()
    add("seasonal-naive (1958 repeated)", seasonal_naive(train, 24, 12))
    add("Holt-Winters, additive trend, multiplicative season", holt_winters(train, 24, 12, "add", "mul"), "statsmodels")
    add("Holt-Winters, multiplicative trend and season", holt_winters(train, 24, 12, "mul", "mul"), "statsmodels")
    add("SARIMA(1,1,1)(0,1,1,12) on logs", sarima(train, 24, 12, (1, 1, 1), (0, 1, 1)), "statsmodels")
    add("SARIMA(0,1,1)(0,1,1,12) on logs (airline model)", sarima(train, 24, 12, (0, 1, 1), (0, 1, 1)), "statsmodels")
    baseline_seconds = time.time() - t0

    horizon = 24 if args.mode == "direct" else 12
    data = args.data / args.mode
    prepare_series(args.csv, data, horizon=horizon, window=24, test_from="1959-01", valid_size=24, log=True)
    history = series.values[:test_start]
    per_seed, points, lowers, uppers, seconds = [], [], [], [], []
    for seed in range(1, args.seeds + 1):
        model, secs = train_lstm(args, data, args.runs / args.mode / f"seed{seed}", seed)
        predictor = load_predictor(str(model), device="cpu")
        vals, _ = forecast_values(predictor, history, 24)
        points.append(vals[:, 0, 0]), lowers.append(vals[:, 0, 1]), uppers.append(vals[:, 0, 2])
        per_seed.append(scores(test, vals[:, 0, 0]))
        seconds.append(secs)
        print(f"seed {seed}: RMSE {per_seed[-1]['rmse']:.2f} ({secs:.0f} s)", file=sys.stderr)
    how = "24 months at once" if args.mode == "direct" else "12-month model, 12 + 12 recursively"
    rmses = [s["rmse"] for s in per_seed]
    rows.append({"method": f"LSTM ({how}), one seed: mean of {args.seeds} seeds",
                 **{k: float(np.mean([s[k] for s in per_seed])) for k in ("rmse", "mae", "mape")},
                 "note": f"suite; RMSE per seed {min(rmses):.1f} to {max(rmses):.1f}", "rmse_seeds": rmses})
    ens, lo, hi = np.mean(points, axis=0), np.mean(lowers, axis=0), np.mean(uppers, axis=0)
    coverage = float(((test >= lo) & (test <= hi)).mean())
    seed_cov = float(np.mean([((test >= a) & (test <= b)).mean() for a, b in zip(lowers, uppers)]))
    rows[-1]["note"] += f"; 80% interval holds {seed_cov:.0%} of the months (mean over seeds)"
    add(f"LSTM ({how}), mean forecast of {args.seeds} seeds", ens,
        f"suite; 80% interval (mean of the seeds' bounds) holds {coverage:.0%} of the 24 months",
        interval_coverage=coverage, interval_coverage_per_seed=seed_cov)

    snaive, lstm = rows[0]["rmse"], rows[-1]["rmse"]
    # the target, stated against each statsmodels model (the brief names Holt-Winters with
    # multiplicative seasonality and SARIMA(1,1,1)(0,1,1,12) on logs; the others are here for context)
    verdict = {"seasonal_naive_rmse": snaive, "lstm_ensemble_rmse": lstm, "lstm_seed_mean_rmse": rows[-2]["rmse"],
               "beats_seasonal_naive": lstm < snaive,
               "lstm_over_statsmodels": {r["method"]: lstm / r["rmse"] for r in rows if r["note"] == "statsmodels"},
               "within_10pct": {r["method"]: lstm <= 1.1 * r["rmse"] for r in rows if r["note"] == "statsmodels"}}
    table = ["| method | RMSE | MAE | MAPE % | note |", "|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['method']} | {r['rmse']:.1f} | {r['mae']:.1f} | {r['mape']:.2f} | {r['note']} |")
    command = (f"OMP_NUM_THREADS=1 .venv/bin/python scripts/forecast_airline.py --mode {args.mode} "
               f"--seeds {args.seeds}" + "".join(f" --set {s}" for s in args.set))
    print("\n".join(table))
    print(json.dumps(verdict, indent=1))
    if args.no_write:
        return 0
    result = {"command": command, "mode": args.mode, "split": "train 1949-1958 (valid 1957-1958), test 1959-1960",
              "unit": "thousands of passengers", "rows": rows, "verdict": verdict,
              "train_seconds_per_seed": seconds if any(seconds) else None,
              "baseline_seconds": baseline_seconds, "date": time.strftime("%Y-%m-%d")}
    res_path = ROOT / "bench" / "results.json"
    merged = json.loads(res_path.read_text()) if res_path.is_file() else {}
    merged.setdefault("forecast", {})[args.mode] = result  # merge: other benchmarks' keys stay as they are
    res_path.write_text(json.dumps(merged, indent=2, default=float) + "\n")  # bench/run.py's layout
    doc = ROOT / "docs" / "forecast.md"
    if doc.is_file():
        text = doc.read_text()
        start, end = f"{TABLE_START[:-4]}:{args.mode} -->", f"{TABLE_END[:-4]}:{args.mode} -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            _, tail = rest.split(end, 1)
            block = f"{start}\n`{command}`\n\n" + "\n".join(table) + f"\n{end}"
            doc.write_text(head + block + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
