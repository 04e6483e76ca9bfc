"""`suite prepare forecast CSV --out DIR`: a series -> windows in train/valid/test manifests.

One manifest row is one window: ``{"series": "series.csv", "start": s, "end": e, "target": [...]}``, the
input being rows ``s..e-1`` of ``DIR/series.csv`` (every value column) and the target the next ``horizon``
values of the target columns. A window belongs to the split its *target* lies in; windows whose target
straddles two splits are dropped, so no training target reaches into the validation or test period and no
validation target into the test period (inputs may reach back into earlier periods: they are the past).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from suite.errors import SuiteError


def add_args(p: argparse.ArgumentParser) -> None:
    p.description = ("A CSV time series (one row per time step, a date column detected or named, numeric value "
                     "columns) -> DIR/series.csv and windows in DIR/train.jsonl, valid.jsonl and test.jsonl. "
                     "The test part is the end of the series (--test-from or --test-size); validation is the "
                     "part just before it.")
    p.add_argument("--horizon", type=int, default=12, help="steps to forecast (default 12)")
    p.add_argument("--window", type=int, help="input steps per window (default: two seasons, or 24)")
    p.add_argument("--columns", help="comma-separated value columns to use (default: every numeric column)")
    p.add_argument("--target", help="comma-separated columns to forecast (default: all used columns); "
                                    "the others are inputs only")
    p.add_argument("--date-column", help="the date column (default: detected)")
    p.add_argument("--test-from", metavar="DATE",
                   help="first date (or row number) of the test part, e.g. 1959-01 (default: the last --test-size rows)")
    p.add_argument("--test-size", type=int, help="rows in the test part (default: one horizon)")
    p.add_argument("--valid-size", type=int,
                   help="rows of validation just before the test part (default: one horizon; 0: none)")
    p.add_argument("--stride", type=int, default=1, help="steps between window origins (default 1)")
    p.add_argument("--season", type=int, help="season length (default: from the dates, e.g. 12 for monthly)")
    p.add_argument("--log", action="store_true",
                   help="the model works on log values (positive series with multiplicative seasonality)")


def _split_names(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _test_start(series, args, horizon: int, path) -> int:
    n = len(series)
    if args.test_from is not None and args.test_size is not None:
        raise SuiteError("give --test-from or --test-size, not both")
    if args.test_from is None:
        size = horizon if args.test_size is None else args.test_size
        if size < 0:
            raise SuiteError("--test-size must not be negative")
        return n - size
    text = str(args.test_from).strip()
    if text.lstrip("-").isdigit() and (series.dates is None or len(text) < 4):
        start = int(text)
    else:
        if series.dates is None:
            raise SuiteError(f"--test-from {text}: the series has no date column; give a row number", path)
        import pandas as pd

        try:
            when = pd.Timestamp(text)
        except (ValueError, TypeError):
            raise SuiteError(f"--test-from {text!r} is not a date") from None
        start = int((series.dates < when).sum())
    if not 0 < start < n:
        raise SuiteError(f"--test-from {text} is outside the series ({series.date_label(0)} .. "
                         f"{series.date_label(n - 1)})", path)
    return start


def prepare_series(source: str | Path, out: str | Path, *, horizon: int = 12, window: int | None = None,
                   columns: list[str] | None = None, target: list[str] | None = None, date_column: str | None = None,
                   test_from: str | None = None, test_size: int | None = None, valid_size: int | None = None,
                   stride: int = 1, season: int | None = None, log: bool = False, quiet: bool = False) -> dict:
    """Write DIR/series.csv and the split manifests; returns {"train", "valid", "test": path or None, ...}."""
    from suite.manifest import write_manifest

    from .series import make_windows, read_series

    source, out = Path(source), Path(out)
    series = read_series(source, columns, date_column)
    if horizon < 1:
        raise SuiteError("--horizon must be at least 1")
    if stride < 1:
        raise SuiteError("--stride must be at least 1")
    season = season or series.season
    if season is not None and season < 1:
        raise SuiteError("--season must be at least 1")
    window = window or (2 * season if season else 24)
    if window < 1:
        raise SuiteError("--window must be at least 1")
    targets = target or series.names
    tidx = series.column_index(targets, source)
    if log:
        bad = [n for n, ok in zip(series.names, (series.values > 0).all(axis=0)) if not ok]
        if bad:
            raise SuiteError(f"--log needs positive values; column {bad[0]!r} has zeros or negatives", source)
    args = argparse.Namespace(test_from=test_from, test_size=test_size)
    test_start = _test_start(series, args, horizon, source)
    valid_size = horizon if valid_size is None else valid_size
    if valid_size < 0:
        raise SuiteError("--valid-size must not be negative")
    valid_start = test_start - valid_size
    n = len(series)
    if valid_start < window + horizon:
        raise SuiteError(f"series too short: {n} rows leave {max(valid_start, 0)} before validation/test, "
                         f"and one training window needs {window + horizon} (window {window} + horizon {horizon})",
                         source)
    if valid_size and valid_size < horizon:
        raise SuiteError(f"--valid-size {valid_size} is shorter than the horizon {horizon}: no validation window "
                         "would fit")
    _, ys, origins = make_windows(series.values, window, horizon, tidx, stride)
    out.mkdir(parents=True, exist_ok=True)
    _write_series_csv(series, out / "series.csv")
    splits: dict[str, list[dict]] = {"train": [], "valid": [], "test": []}
    for t, y in zip(origins, ys):
        if t + horizon <= valid_start:
            name = "train"
        elif valid_start <= t and t + horizon <= test_start:
            name = "valid"
        elif t >= test_start:
            name = "test"
        else:
            continue  # target straddles two parts
        row = {"id": f"{source.stem}@{series.date_label(t)}", "series": "series.csv", "start": t - window, "end": t,
               "length": window,
               "target": [float(v[0]) for v in y] if len(targets) == 1 else [[float(a) for a in v] for v in y],
               "target_columns": targets}
        if season:
            row["season"] = season
        if log:
            row["transform"] = "log"
        splits[name].append(row)
    result: dict = {"series": str(out / "series.csv"), "window": window, "horizon": horizon, "season": season}
    for name, rows in splits.items():
        if not rows:  # an older run's manifest of this split would look like this run's
            (out / f"{name}.jsonl").unlink(missing_ok=True)
        result[name] = str(write_manifest(out / f"{name}.jsonl", rows)) if rows else None
        result[f"{name}_windows"] = len(rows)
    if not quiet:
        part = lambda a, b: f"{series.date_label(a)} .. {series.date_label(b - 1)}" if b > a else "none"  # noqa: E731
        print(f"{source.name}: {n} rows, columns {', '.join(series.names)} (forecast: {', '.join(targets)}), "
              f"window {window}, horizon {horizon}, season {season or '-'}"
              + (f", {series.filled} missing values interpolated" if series.filled else ""), file=sys.stderr)
        print(f"  train targets {part(window, valid_start)}: {len(splits['train'])} windows; "
              f"valid {part(valid_start, test_start)}: {len(splits['valid'])}; "
              f"test {part(test_start, n)}: {len(splits['test'])}", file=sys.stderr)
    return result


def _write_series_csv(series, path: Path) -> None:
    import pandas as pd

    from suite.io import atomic_write_text

    frame = pd.DataFrame(series.values, columns=series.names)
    if series.dates is not None:
        frame.insert(0, series.date_column or "date", [str(d.date()) if d == d.normalize() else d.isoformat()
                                                       for d in series.dates])
    atomic_write_text(path, frame.to_csv(index=False, float_format="%.10g"))


def run(args: argparse.Namespace) -> Path:
    result = prepare_series(args.source, args.out, horizon=args.horizon, window=args.window,
                            columns=_split_names(args.columns), target=_split_names(args.target),
                            date_column=args.date_column, test_from=args.test_from, test_size=args.test_size,
                            valid_size=args.valid_size, stride=args.stride, season=args.season, log=args.log)
    return Path(result["train"])


def formats() -> dict:
    """`suite prepare` formats of this domain (Domain.prepare_formats)."""
    return {"forecast": (add_args, run)}
