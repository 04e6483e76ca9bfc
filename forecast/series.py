"""Read a time series from CSV: a date column (detected or named), numeric value columns, season from the dates.

Every user mistake (no numeric column, unknown column, unparsable file) is a one-line ``SuiteError``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from suite.errors import SuiteError

# pandas frequency code prefix -> season length (observations per cycle)
_SEASONS = {"MS": 12, "ME": 12, "M": 12, "BMS": 12, "BME": 12, "QS": 4, "QE": 4, "Q": 4, "BQS": 4, "BQE": 4,
            "W": 52, "D": 7, "B": 5, "h": 24, "H": 24}
_DATE_NAMES = ("date", "time", "month", "day", "week", "year", "period", "timestamp", "datetime", "ds")
# a numeric column of these names counting up one by one is a row number, not a value to forecast
_INDEX_NAMES = ("", "unnamed: 0", "index", "idx", "step", "t", "id", "row", "time", "year")


@dataclass
class Series:
    """A regular series: ``values[t, j]`` is column ``names[j]`` at ``dates[t]`` (``dates`` may be None)."""

    names: list[str]
    values: np.ndarray  # float64 [N, F]
    dates: object = None  # pandas.DatetimeIndex or None
    date_column: str | None = None
    freq: str | None = None  # pandas frequency string, e.g. "MS"
    filled: int = 0  # missing values filled by interpolation

    @property
    def season(self) -> int | None:
        return season_of(self.freq)

    def __len__(self) -> int:
        return self.values.shape[0]

    def column_index(self, names: Sequence[str], path) -> list[int]:
        missing = [n for n in names if n not in self.names]
        if missing:
            raise SuiteError(f"no column {', '.join(map(repr, missing))} (numeric columns: {', '.join(self.names)})",
                             path)
        return [self.names.index(n) for n in names]

    def date_label(self, t: int) -> str:
        """The date of step ``t`` as text (the step number when the series has no dates)."""
        return str(t) if self.dates is None else format_date(self.dates[t], self.freq)


def season_of(freq: str | None) -> int | None:
    if not freq:
        return None
    code = freq.split("-")[0].lstrip("0123456789")
    return _SEASONS.get(code)


def format_date(ts, freq: str | None) -> str:
    code = (freq or "").split("-")[0].lstrip("0123456789")
    if code in ("MS", "ME", "M", "BMS", "BME"):
        return ts.strftime("%Y-%m")
    if ts.hour == 0 and ts.minute == 0 and ts.second == 0:
        return ts.strftime("%Y-%m-%d")
    return ts.isoformat()


def future_dates(series: Series, n: int) -> list:
    """The ``n`` dates after the series' last one (empty when the series has no regular dates)."""
    import pandas as pd

    if series.dates is None or not series.freq or n <= 0:
        return []
    return list(pd.date_range(series.dates[-1], periods=n + 1, freq=series.freq)[1:])


def _find_date_column(df, numeric: dict, date_column: str | None, path):
    import pandas as pd

    if date_column is not None:
        if date_column not in df.columns:
            raise SuiteError(f"no date column {date_column!r} (columns: {', '.join(map(str, df.columns))})", path)
        candidates = [date_column]
    else:  # non-numeric columns first, then numeric ones named like a date
        candidates = [c for c in df.columns if c not in numeric]
        candidates += [c for c in df.columns if c in numeric and str(c).strip().lower() in _DATE_NAMES]
    for col in candidates:
        text = df[col].astype(str).str.strip()
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        except (ValueError, TypeError):
            continue
        if parsed.notna().mean() >= 0.9:
            return col, parsed
        if date_column is not None:
            raise SuiteError(f"column {date_column!r} does not hold dates", path)
    return None, None


def _is_index(name: str, values) -> bool:
    if name.strip().lower() not in _INDEX_NAMES or values.isna().any() or len(values) < 2:
        return False
    steps = np.diff(values.to_numpy(dtype=np.float64))
    return bool((steps == steps[0]).all() and steps[0] > 0)


def read_series(path: str | Path, columns: Sequence[str] | None = None, date_column: str | None = None,
                skip_index: bool = True) -> Series:
    """A CSV file -> :class:`Series`. ``columns``: the value columns (default: every numeric column but,
    with ``skip_index``, a row-number column)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise SuiteError("file not found" if not path.exists() else "not a file", path)
    try:
        df = pd.read_csv(path, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise SuiteError(f"not a readable CSV ({str(err).splitlines()[0] if str(err) else type(err).__name__})",
                         path) from None
    if df.empty:
        raise SuiteError("CSV has no data rows", path)
    df.columns = [str(c).strip() for c in df.columns]
    numeric = {}
    for col in df.columns:
        vals = pd.to_numeric(df[col], errors="coerce")
        if vals.notna().mean() >= 0.5:  # mostly numbers: a value column with some gaps
            numeric[col] = vals
    date_col, dates = _find_date_column(df, numeric, date_column, path)
    numeric.pop(date_col, None)
    names = list(columns) if columns else [c for c in numeric if not (skip_index and _is_index(c, numeric[c]))]
    if not names:
        raise SuiteError("no numeric column to forecast", path)
    for n in names:
        if n not in df.columns:
            raise SuiteError(f"no column {n!r} (columns: {', '.join(df.columns)})", path)
        if n not in numeric:
            raise SuiteError(f"column {n!r} is not numeric", path)
    frame = pd.DataFrame({n: numeric[n] for n in names})
    freq = None
    if dates is not None:
        keep = dates.notna().to_numpy()
        frame, dates = frame[keep], dates[keep]
        order = np.argsort(dates.to_numpy(), kind="stable")
        frame, dates = frame.iloc[order], pd.DatetimeIndex(dates.iloc[order])
        if dates.has_duplicates:
            raise SuiteError(f"repeated dates in column {date_col!r} (first: {dates[dates.duplicated()][0]})", path)
        freq = pd.infer_freq(dates) if len(dates) >= 3 else None
    filled = int(frame.isna().sum().sum())
    if filled:
        for n in names:
            if frame[n].notna().sum() < 2:
                raise SuiteError(f"column {n!r} has fewer than two numbers", path)
        frame = frame.interpolate(limit_direction="both")  # gaps: straight lines between neighbours
    values = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise SuiteError("values that are not finite numbers", path)
    return Series(names, values, dates, date_col, freq, filled)


@lru_cache(maxsize=16)
def _cached(path: str, mtime: float) -> Series:
    return read_series(path, skip_index=False)  # a prepared series file holds exactly the chosen columns


def cached_series(path: str) -> Series:
    """``read_series`` once per file version (every training window of a series reads the same file)."""
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        raise SuiteError("file not found", path) from None
    return _cached(str(path), mtime)


def make_windows(values: np.ndarray, window: int, horizon: int, targets: Sequence[int] | None = None,
                 stride: int = 1, origins: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Sliding windows of a [N, F] array: inputs ``[samples, window, F]``, targets ``[samples, horizon, k]``
    and the origins (index of each window's first target step)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    targets = list(range(values.shape[1])) if targets is None else list(targets)
    if origins is None:
        origins = list(range(window, values.shape[0] - horizon + 1, stride))
    xs = np.stack([values[t - window:t] for t in origins]) if origins else np.zeros((0, window, values.shape[1]))
    ys = (np.stack([values[t:t + horizon][:, targets] for t in origins]) if origins
          else np.zeros((0, horizon, len(targets))))
    return xs, ys, list(origins)
