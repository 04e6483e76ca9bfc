"""The `forecast` task: a scaler fitted on the training part, the LSTM forecaster, MSE + pinball loss, and
MAE/RMSE/MAPE in the series' own units. Light to import: torch is imported inside the methods."""
from __future__ import annotations

import math
from typing import Any, Literal, Sequence

import numpy as np
from pydantic import Field

from suite.domain import StrictModel
from suite.errors import SuiteError
from suite.tasks.base import TargetSpace, Task

# the interval is the model's 10% and 90% quantiles (an 80% interval), learnt by the pinball loss
QUANTILES = (0.1, 0.9)
INTERVAL = QUANTILES[1] - QUANTILES[0]


class ForecastModelConfig(StrictModel):
    """LSTM forecaster (see forecast.model.ForecastLSTM)."""

    rnn: Literal["lstm", "gru"] = "lstm"
    layers: int = Field(1, ge=1)
    hidden: int = Field(32, ge=1)
    dropout: float = Field(0.0, ge=0, lt=1)
    # what the LSTM sees: the window minus the mean of its last season ("season"), minus its last value, or as is
    level: Literal["season", "last", "none"] = "season"
    # what the point forecast adds the LSTM's output to: the last season repeated, the last value, or the level
    skip: Literal["seasonal", "last", "none"] = "seasonal"
    horizon: int | None = None  # None: the training manifest's target length; set, it must match it


def _as_matrix(target, where: str = "target") -> np.ndarray:
    """A manifest target (H numbers, or H lists of k numbers) -> float64 [H, k]."""
    arr = np.asarray(target, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.size == 0:
        raise SuiteError(f"{where}: expected a list of numbers or a list of equal-length lists")
    return arr


class SeriesScaler(TargetSpace):
    """Columns, target columns, horizon and the per-column scaling of the training part (optionally of logs)."""

    def __init__(self, columns: Sequence[str], target_columns: Sequence[str], horizon: int, window: int,
                 mean: Sequence[float], std: Sequence[float], scale: Sequence[float], transform: str = "none",
                 season: int | None = None):
        self.columns, self.target_columns = list(columns), list(target_columns)
        self.target_index = [self.columns.index(c) for c in self.target_columns]
        self.horizon, self.window, self.season, self.transform = int(horizon), int(window), season, transform
        self.mean = np.asarray(mean, dtype=np.float64)  # of (log) values, per column
        self.std = np.asarray(std, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)  # std in original units, per column (for `error`)

    @property
    def n_out(self) -> int:
        return self.horizon * len(self.target_columns)

    # original units <-> scaled units (target columns)
    def transform_values(self, y: np.ndarray, cols: Sequence[int] | None = None) -> np.ndarray:
        cols = self.target_index if cols is None else list(cols)
        y = np.asarray(y, dtype=np.float64)
        if self.transform == "log":
            if (y <= 0).any():
                raise SuiteError("a log-scaled series needs positive values")
            y = np.log(y)
        return (y - self.mean[cols]) / self.std[cols]

    def inverse(self, z: np.ndarray, cols: Sequence[int] | None = None) -> np.ndarray:
        cols = self.target_index if cols is None else list(cols)
        v = np.asarray(z, dtype=np.float64) * self.std[cols] + self.mean[cols]
        return np.exp(v) if self.transform == "log" else v

    def encode(self, target):
        import torch

        y = _as_matrix(target)
        if y.shape != (self.horizon, len(self.target_columns)):
            raise SuiteError(f"target of shape {list(y.shape)}, the model forecasts "
                             f"{self.horizon} steps of {len(self.target_columns)} column(s)")
        return torch.tensor(self.transform_values(y), dtype=torch.float32)

    def reference(self, target) -> dict:
        return {"y": _as_matrix(target), "naive": None}

    def state(self) -> dict:
        return {"columns": self.columns, "target_columns": self.target_columns, "horizon": self.horizon,
                "window": self.window, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "scale": self.scale.tolist(), "transform": self.transform, "season": self.season}

    def check(self, rows, source: str) -> None:
        for r in rows:
            y = _as_matrix(r.target, f"row {r.id}")
            if y.shape != (self.horizon, len(self.target_columns)):
                raise SuiteError(f"row {r.id}: target of shape {list(y.shape)}, the model forecasts "
                                 f"{self.horizon} steps of {len(self.target_columns)} column(s)", source)
            cols = r.extra.get("target_columns")
            if cols is not None and list(cols) != self.target_columns:
                raise SuiteError(f"row {r.id}: target columns {cols}, the model forecasts {self.target_columns}",
                                 source)

    def describe(self) -> str:
        log = ", log" if self.transform == "log" else ""
        return (f"{self.horizon} steps of {', '.join(self.target_columns)} from {self.window} steps of "
                f"{len(self.columns)} column(s){log}")


def fit_scaler(rows, read=None) -> SeriesScaler:
    """The scaler of a training manifest: statistics of every series value the training rows cover (their
    inputs and targets), and nothing else: validation and test values never enter it."""
    from .series import cached_series

    read = read or cached_series
    if not rows:
        raise SuiteError("no training rows")
    first = rows[0]
    transform = first.extra.get("transform", "none") or "none"
    season = first.extra.get("season")
    horizons = {_as_matrix(r.target, f"row {r.id}").shape for r in rows}
    if len(horizons) != 1:
        raise SuiteError(f"training targets of different shapes: {sorted(horizons)[:3]}")
    (horizon, k), = horizons
    covered: dict[str, np.ndarray] = {}
    columns = None
    windows = set()
    for r in rows:
        if (r.extra.get("transform", "none") or "none") != transform or r.extra.get("season") != season:
            raise SuiteError(f"row {r.id}: 'transform'/'season' differ from the first row's")
        start, end = r.extra.get("start"), r.extra.get("end")
        series = read(r.path)
        if columns is None:
            columns = series.names
        elif series.names != columns:
            raise SuiteError(f"columns {series.names} differ from the first series' {columns}", r.path)
        n = len(series)
        start = 0 if start is None else int(start)
        end = n if end is None else int(end)
        if not 0 <= start < end <= n:
            raise SuiteError(f"row {r.id}: window {start}..{end} outside the series' {n} rows", r.path)
        windows.add(end - start)
        mask = covered.setdefault(r.path, np.zeros(n, dtype=bool))
        mask[start:min(end + horizon, n)] = True
    values = np.concatenate([read(p).values[m] for p, m in covered.items()])
    target_columns = list(first.extra.get("target_columns") or columns[:k])
    if len(target_columns) != k:
        raise SuiteError(f"{len(target_columns)} target columns named, targets have {k}")
    missing = [c for c in target_columns if c not in columns]
    if missing:
        raise SuiteError(f"target column {missing[0]!r} is not a column of the series")
    if transform == "log":
        bad = [c for c, ok in zip(columns, (values > 0).all(axis=0)) if not ok]
        if bad:
            raise SuiteError(f"transform 'log' needs positive values; column {bad[0]!r} has zeros or negatives")
        tv = np.log(values)
    elif transform == "none":
        tv = values
    else:
        raise SuiteError(f"unknown transform {transform!r} (log or none)")
    std = tv.std(axis=0)
    scale = values.std(axis=0)
    return SeriesScaler(columns, target_columns, horizon, max(windows), tv.mean(axis=0),
                        np.where(std > 1e-12, std, 1.0), np.where(scale > 1e-12, scale, 1.0), transform, season)


def naive_forecast(x: np.ndarray, horizon: int, season: int | None, cols: Sequence[int]) -> np.ndarray:
    """Seasonal-naive (the last season repeated) when the window holds a season, else the last value."""
    x = np.asarray(x, dtype=np.float64)[:, list(cols)]
    if season and season > 1 and x.shape[0] >= season:
        return x[-season:][np.arange(horizon) % season]
    return np.repeat(x[-1:], horizon, axis=0)


def scores(y: np.ndarray, p: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and MAPE (%) in original units over every step and column; ``error``: RMSE over the
    training standard deviation, per column, averaged (unit-free, so columns of any size weigh alike)."""
    e = p - y
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.abs(e / y)
    ape = ape[np.isfinite(ape)]
    per_col = np.sqrt((e ** 2).mean(axis=0))
    return {"error": float((per_col / scale).mean()), "rmse": float(np.sqrt((e ** 2).mean())),
            "mae": float(np.abs(e).mean()), "mape": float(100 * ape.mean()) if ape.size else math.nan}


class ForecastTask(Task):
    name = "forecast"
    model_config = ForecastModelConfig
    error_name = "RMSE / training std"

    def fit_targets(self, domain, rows) -> SeriesScaler:
        return fit_scaler(rows)

    def load_targets(self, domain, state: dict) -> SeriesScaler:
        return SeriesScaler(**state)

    def build_backbone(self, m: ForecastModelConfig, in_dim: int, targets: SeriesScaler):
        from .model import ForecastLSTM

        if m.horizon is not None and m.horizon != targets.horizon:
            raise SuiteError(f"model.horizon is {m.horizon} but the training targets are {targets.horizon} steps")
        return ForecastLSTM(len(targets.columns), targets.target_index, targets.horizon, mean=targets.mean,
                            std=targets.std, transform=targets.transform, season=targets.season, rnn=m.rnn,
                            layers=m.layers, hidden=m.hidden, dropout=m.dropout, level=m.level, skip=m.skip)

    def collate_targets(self, targets: list):
        import torch

        return torch.stack(list(targets)).float(), None

    def loss(self, out, out_lengths, batch, training=True):
        import torch
        from torch.nn import functional as F

        y = batch.targets.to(out.device, out.dtype)
        point = F.mse_loss(out[..., 0], y)
        pinball = out.new_zeros(())
        for i, q in enumerate(QUANTILES, start=1):
            d = y - out[..., i]
            pinball = pinball + torch.maximum(q * d, (q - 1) * d).mean()
        return point + pinball, []

    def hypotheses(self, out, out_lengths, targets: SeriesScaler, decoder=None) -> list[np.ndarray]:
        pts = out[..., 0].detach().float().cpu().numpy()
        return [targets.inverse(p) for p in pts]

    def batch_references(self, batch, targets: SeriesScaler) -> list[dict]:
        ys = batch.targets.detach().float().cpu().numpy()
        xs = batch.inputs.detach().float().cpu().numpy()
        lengths = batch.lengths.tolist()
        return [{"y": targets.inverse(y),
                 "naive": naive_forecast(x[:n], targets.horizon, targets.season, targets.target_index)}
                for y, x, n in zip(ys, xs, lengths)]

    def metrics(self, references, hypotheses, targets: SeriesScaler) -> dict[str, Any]:
        if not references:
            return {}
        y = np.concatenate([r["y"] for r in references])
        out = scores(y, np.concatenate(hypotheses), targets.scale)
        if all(r.get("naive") is not None for r in references):
            naive = scores(y, np.concatenate([r["naive"] for r in references]), targets.scale)
            # the seasonal-naive forecast (last season repeated) when the window holds a season, else last value
            out.update({f"naive_{k}": v for k, v in naive.items() if k != "error"})
        if len(targets.target_columns) > 1:
            p = np.concatenate(hypotheses)
            for j, c in enumerate(targets.target_columns):
                out[f"rmse_{c}"] = float(np.sqrt(((p[:, j] - y[:, j]) ** 2).mean()))
        return out

    def null_error(self, references, targets: SeriesScaler) -> float:
        """The error of the seasonal-naive (or last-value) forecast; without inputs, of the training mean."""
        if not references:
            return math.inf
        y = np.concatenate([r["y"] for r in references])
        if all(r.get("naive") is not None for r in references):
            return scores(y, np.concatenate([r["naive"] for r in references]), targets.scale)["error"]
        mean = targets.inverse(np.zeros(len(targets.target_columns)))
        return scores(y, np.broadcast_to(mean, y.shape), targets.scale)["error"]

    def learned(self, error: float, null_error: float, samples: int | None = None) -> bool:
        return error < null_error  # the naive forecast is a strong baseline: beating it at all is learning

    def results(self, out, out_lengths, targets: SeriesScaler, decoder=None, **opts) -> list[dict]:
        vals = targets.inverse(out.detach().float().cpu().numpy().swapaxes(-1, -2)).swapaxes(-1, -2)
        res = []
        for v in vals:  # [H, k, 3]
            res.append({
                "columns": targets.target_columns,
                "forecast": {c: [round(float(a), 6) for a in v[:, j, 0]] for j, c in enumerate(targets.target_columns)},
                "lower": {c: [round(float(a), 6) for a in v[:, j, 1]] for j, c in enumerate(targets.target_columns)},
                "upper": {c: [round(float(a), 6) for a in v[:, j, 2]] for j, c in enumerate(targets.target_columns)},
                "interval": INTERVAL})
        return res


TASK = ForecastTask()
