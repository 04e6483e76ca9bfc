"""Forecast from CSV files with a trained bundle: the last window of each series -> the next N steps.

A horizon beyond the model's is reached recursively: the forecast is appended to the history and the model
run again (only when every input column is forecast; the intervals of those later steps leave out the
uncertainty of the forecasts they start from, so they are too narrow).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from suite.errors import SuiteError

from .series import Series, format_date, future_dates, read_series


def forecast_values(predictor, history: np.ndarray, horizon: int) -> tuple[np.ndarray, bool]:
    """[n, F] history in original units -> ([horizon, k, 3] point/lower/upper in original units, recursive)."""
    import torch

    targets = predictor.targets
    if horizon < 1:
        raise SuiteError("--horizon must be at least 1")
    recursive = horizon > targets.horizon
    if recursive and len(targets.target_columns) != len(targets.columns):
        raise SuiteError(f"the model forecasts {targets.horizon} steps; going further recursively needs every "
                         f"input column forecast, but {', '.join(sorted(set(targets.columns) - set(targets.target_columns)))} "
                         "is only an input")
    hist = np.asarray(history, dtype=np.float64)
    blocks = []
    done = 0
    while done < horizon:
        x = torch.tensor(hist[-targets.window:], dtype=torch.float32)
        out, _ = predictor.run([x])  # [1, H, k, 3] in scaled units
        z = out[0].detach().float().cpu().numpy()
        vals = targets.inverse(z.swapaxes(-1, -2)).swapaxes(-1, -2)  # [H, k, 3]
        blocks.append(vals)
        done += vals.shape[0]
        if done < horizon:  # every column is a target here: the point forecast extends the history
            step = np.empty((vals.shape[0], hist.shape[1]))
            step[:, targets.target_index] = vals[..., 0]
            hist = np.concatenate([hist, step])
    return np.concatenate(blocks)[:horizon], recursive


def _read(path: str, targets) -> Series:
    series = read_series(path, targets.columns)
    if len(series) < targets.window:
        raise SuiteError(f"{len(series)} rows, the model needs the last {targets.window} (its window)", path)
    if targets.transform == "log" and (series.values[-targets.window:] <= 0).any():
        raise SuiteError("the model works on logs and needs positive values", path)
    return series


def _display(file: str, columns: list[str], dates: list[str], vals: np.ndarray, interval: float, note: str) -> str:
    lines = [f"{file}{note}"]
    for j, c in enumerate(columns):
        if len(columns) > 1:
            lines.append(f"  {c}")
        lines.append(f"  {'date':<12}{'forecast':>12}{'lower':>12}{'upper':>12}   ({round(interval * 100)}% interval)")
        for d, (p, lo, hi) in zip(dates, vals[:, j]):
            lines.append(f"  {d:<12}{p:>12.4g}{lo:>12.4g}{hi:>12.4g}")
    return "\n".join(lines)


def _plot_path(plot: str, file: str, several: bool) -> str:
    if not several:
        return plot
    p = Path(plot)
    return str(p.with_name(f"{p.stem}_{Path(file).stem}{p.suffix or '.png'}"))


def predict(predictor, files: Sequence[str], batch_size: int = 16, horizon: int | None = None,
            plot: str | None = None, history: int | None = None, **_) -> list[dict]:
    """One result per CSV file: dates, forecast, lower and upper per target column (original units)."""
    from .task import INTERVAL

    targets = predictor.targets
    horizon = horizon or targets.horizon
    results = []
    for f in files:
        try:
            series = _read(f, targets)
            vals, recursive = forecast_values(predictor, series.values, horizon)
        except SuiteError as err:
            results.append({"file": f, "error": str(err)})
            continue
        fut = future_dates(series, horizon)
        dates = [format_date(d, series.freq) for d in fut] if fut else [str(len(series) + i) for i in range(horizon)]
        cols = targets.target_columns
        note = (f" (model horizon {targets.horizon}: steps after {targets.horizon} forecast recursively, "
                "their intervals too narrow)" if recursive else "")
        res = {"file": f, "columns": cols, "dates": dates,
               "forecast": {c: [round(float(v), 6) for v in vals[:, j, 0]] for j, c in enumerate(cols)},
               "lower": {c: [round(float(v), 6) for v in vals[:, j, 1]] for j, c in enumerate(cols)},
               "upper": {c: [round(float(v), 6) for v in vals[:, j, 2]] for j, c in enumerate(cols)},
               "interval": INTERVAL, "model_horizon": targets.horizon, "recursive": recursive,
               "display": _display(f, cols, dates, vals, INTERVAL, note)}
        if plot:
            from .plot import plot_forecast

            n = len(series) if history is None else min(history, len(series))
            hist_x = list(series.dates[-n:]) if fut else list(range(len(series) - n, len(series)))
            fut_x = fut or list(range(len(series), len(series) + horizon))
            out = _plot_path(plot, f, len(files) > 1)
            plot_forecast(out, cols, hist_x, series.values[-n:][:, targets.target_index], fut_x,
                          vals[..., 0], vals[..., 1], vals[..., 2], interval=INTERVAL,
                          title=f"{Path(f).name}: {horizon}-step forecast" + (
                              f" (model horizon {targets.horizon}, then recursive)" if recursive else ""),
                          model_horizon=targets.horizon if recursive else None)
            res["plot"] = out
        results.append(res)
    return results
