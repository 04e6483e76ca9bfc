"""Forecast domain pieces without the trainer: CSV reading, windows, split, scaler, model, CLI errors."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from forecast.model import ForecastLSTM
from forecast.prepare import prepare_series
from forecast.series import make_windows, read_series
from forecast.task import TASK, ForecastModelConfig, fit_scaler, naive_forecast
from suite.cli import main
from suite.errors import SuiteError
from suite.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]


def monthly_csv(path: Path, values, start="2000-01", name="sales") -> Path:
    import pandas as pd

    dates = pd.date_range(start, periods=len(values), freq="MS")
    lines = ["month," + name] + [f"{d:%Y-%m},{v}" for d, v in zip(dates, values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def seasonal(n=96, growth=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 * np.exp(growth * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1, n)


def rows_of(path):
    return read_manifest(path, "series", "target")


# --- reading and windows ---------------------------------------------------------------------------------

def test_read_series_detects_dates_columns_and_season(tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("when,temp,label,rain\n2001-01,1.5,a,3\n2001-02,2.5,b,\n2001-03,3.5,c,5\n2001-04,4.5,d,6\n")
    s = read_series(csv)
    assert s.names == ["temp", "rain"] and s.date_column == "when"
    assert s.freq == "MS" and s.season == 12
    assert s.values[1].tolist() == [2.5, 4.0] and s.filled == 1  # the gap interpolated
    assert read_series(csv, ["rain"]).values[:, 0].tolist() == [3.0, 4.0, 5.0, 6.0]


def test_windows_are_samples_by_time_steps_by_features():
    values = np.arange(40, dtype=float).reshape(20, 2)  # 20 steps, 2 features
    x, y, origins = make_windows(values, window=5, horizon=3, targets=[1])
    assert x.shape == (13, 5, 2) and y.shape == (13, 3, 1)
    assert origins[0] == 5 and x[0, :, 0].tolist() == [0, 2, 4, 6, 8]
    assert y[0, :, 0].tolist() == [11, 13, 15]  # the next 3 values of column 1
    x2, _, _ = make_windows(values[:, 0], window=4, horizon=2, stride=3)
    assert x2.shape == (5, 4, 1)


# --- prepare -------------------------------------------------------------------------------------------

def test_prepare_split_never_leaks_test_or_valid_months(tmp_path):
    csv = monthly_csv(tmp_path / "s.csv", seasonal(120), start="1990-01")
    res = prepare_series(csv, tmp_path / "out", horizon=6, window=12, test_from="1999-01", valid_size=12,
                         quiet=True)
    series = read_series(tmp_path / "out" / "series.csv")
    test_start = [d.strftime("%Y-%m") for d in series.dates].index("1999-01")
    valid_start = test_start - 12
    train, valid, test = (rows_of(res[k]) for k in ("train", "valid", "test"))
    assert len(train) == valid_start - 12 - 6 + 1 and len(valid) == 12 - 6 + 1 and len(test) == 12 - 6 + 1
    for r in train:
        assert r.extra["end"] + 6 <= valid_start  # input and target end before validation
        assert r.length == r.extra["end"] - r.extra["start"] == 12
    for r in valid:
        assert valid_start <= r.extra["end"] and r.extra["end"] + 6 <= test_start
    for r in test:
        assert r.extra["end"] >= test_start
        np.testing.assert_allclose(r.target, series.values[r.extra["end"]:r.extra["end"] + 6, 0])
    assert test[0].id.endswith("@1999-01")


def test_prepare_writes_multivariate_targets(tmp_path):
    csv = tmp_path / "mv.csv"
    csv.write_text("t,a,b,c\n" + "".join(f"{i},{i},{2 * i},{i % 3}\n" for i in range(60)))
    res = prepare_series(csv, tmp_path / "o", horizon=4, window=8, columns=["a", "b", "c"], target=["b", "a"],
                         quiet=True)
    row = rows_of(res["train"])[0]
    assert np.asarray(row.target).shape == (4, 2) and row.extra["target_columns"] == ["b", "a"]
    scaler = fit_scaler(rows_of(res["train"]))
    assert scaler.columns == ["a", "b", "c"] and scaler.target_index == [1, 0]
    model = TASK.build_backbone(ForecastModelConfig(), 0, scaler).eval()
    x = torch.tensor(np.stack([np.arange(8.0), 2 * np.arange(8.0), np.arange(8.0) % 3], axis=1), dtype=torch.float32)
    out = model.forecast(x[None])
    assert out.shape == (1, 4, 2, 3)  # 4 steps of the 2 target columns: point, lower, upper
    np.testing.assert_allclose(out[0, :, :, 0].numpy(), [[14.0, 7.0]] * 4, rtol=1e-5)  # no season: last value


# --- scaler (target space) -----------------------------------------------------------------------------

def test_scaler_is_fitted_on_training_rows_only(tmp_path):
    values = seasonal(120)
    a = prepare_series(monthly_csv(tmp_path / "a.csv", values), tmp_path / "a", horizon=6, window=12, quiet=True)
    huge = values.copy()
    huge[-30:] *= 1000  # validation and test values a thousand times larger
    b = prepare_series(monthly_csv(tmp_path / "b.csv", huge), tmp_path / "b", horizon=6, window=12,
                       valid_size=12, test_size=18, quiet=True)
    a2 = prepare_series(monthly_csv(tmp_path / "a2.csv", values), tmp_path / "a2", horizon=6, window=12,
                        valid_size=12, test_size=18, quiet=True)
    sa, sb = fit_scaler(rows_of(a2["train"])), fit_scaler(rows_of(b["train"]))
    np.testing.assert_allclose(sa.mean, sb.mean)
    np.testing.assert_allclose(sa.std, sb.std)
    # and it is the training part's own statistics
    train_part = values[:120 - 30]
    np.testing.assert_allclose(sa.mean, [train_part.mean()], rtol=1e-9)
    assert fit_scaler(rows_of(a["train"])).mean[0] != pytest.approx(sb.mean[0])  # a longer training part differs


@pytest.mark.parametrize("log", [False, True])
def test_inverse_transform_round_trips(tmp_path, log):
    res = prepare_series(monthly_csv(tmp_path / "s.csv", seasonal(80)), tmp_path / "o", horizon=5, window=12,
                         log=log, quiet=True)
    scaler = fit_scaler(rows_of(res["train"]))
    assert scaler.transform == ("log" if log else "none")
    y = np.array([[120.0], [95.5], [300.25], [1e-3 + 80], [101.0]])
    z = scaler.encode(y[:, 0].tolist())
    assert z.shape == (5, 1) and z.dtype == torch.float32
    np.testing.assert_allclose(scaler.inverse(scaler.transform_values(y)), y, rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse(z.numpy()), y, rtol=1e-5)
    state = json.loads(json.dumps(scaler.state()))  # bundles store it as JSON
    again = TASK.load_targets(None, state)
    np.testing.assert_allclose(again.inverse(z.numpy()), y, rtol=1e-5)


def test_scaler_rejects_targets_of_the_wrong_shape(tmp_path):
    res = prepare_series(monthly_csv(tmp_path / "s.csv", seasonal(80)), tmp_path / "o", horizon=5, window=12,
                         quiet=True)
    scaler = fit_scaler(rows_of(res["train"]))
    with pytest.raises(SuiteError, match="forecasts 5 steps"):
        scaler.encode([1.0, 2.0])


# --- model and task ------------------------------------------------------------------------------------

def _model(tmp_path, **cfg):
    res = prepare_series(monthly_csv(tmp_path / "s.csv", seasonal(96)), tmp_path / "o", horizon=12, window=24,
                         log=True, quiet=True)
    scaler = fit_scaler(rows_of(res["train"]))
    return scaler, TASK.build_backbone(ForecastModelConfig(**cfg), 0, scaler), res


def test_untrained_model_is_the_seasonal_naive_forecast_in_original_units(tmp_path):
    scaler, model, _ = _model(tmp_path)
    x = torch.tensor(seasonal(30, seed=3), dtype=torch.float32)[:, None]
    out = model.eval().forecast(x[None])  # plain module: original units in, original units out
    assert out.shape == (1, 12, 1, 3)
    expect = naive_forecast(x.numpy(), 12, 12, [0])
    np.testing.assert_allclose(out[0, :, :, 0].numpy(), expect, rtol=1e-4)
    assert (out[..., 1] <= out[..., 0]).all() and (out[..., 0] <= out[..., 2]).all()


def test_padded_batch_gives_the_same_forecast_as_alone(tmp_path):
    scaler, model, _ = _model(tmp_path)
    torch.manual_seed(0)
    for p in model.parameters():
        p.data.normal_(0, 0.1)
    model.eval()
    a = torch.tensor(seasonal(24, seed=1), dtype=torch.float32)[:, None]
    b = torch.tensor(seasonal(30, seed=2), dtype=torch.float32)[:, None]
    batch = torch.stack([torch.cat([a, torch.zeros(6, 1) + 1]), b])
    both, _ = model(batch, torch.tensor([24, 30]))
    alone, _ = model(a[None], torch.tensor([24]))
    torch.testing.assert_close(both[0], alone[0], rtol=1e-5, atol=1e-5)


def test_loss_metrics_and_null_error(tmp_path):
    from types import SimpleNamespace

    scaler, model, res = _model(tmp_path)
    rows = rows_of(res["train"])[:4]
    from forecast.loader import load_window
    import random

    xs = [load_window(r.path, None, None, random.Random(0), start=r.extra["start"], end=r.extra["end"]) for r in rows]
    targets, lengths = TASK.collate_targets([scaler.encode(r.target) for r in rows])
    assert targets.shape == (4, 12, 1) and lengths is None
    batch = SimpleNamespace(inputs=torch.stack(xs), lengths=torch.tensor([24] * 4), targets=targets, ids=[])
    out, out_len = model(batch.inputs, batch.lengths)
    loss, dropped = TASK.loss(out, out_len, batch)
    assert loss.ndim == 0 and torch.isfinite(loss) and dropped == []
    loss.backward()
    refs, hyps = TASK.batch_references(batch, scaler), TASK.hypotheses(out, out_len, scaler)
    np.testing.assert_allclose(refs[0]["y"][:, 0], rows[0].target, rtol=1e-5)
    m = TASK.metrics(refs, hyps, scaler)
    # the untrained model is the seasonal-naive forecast: same scores, and the null error is its error
    assert m["rmse"] == pytest.approx(m["naive_rmse"], rel=1e-4)
    assert TASK.null_error(refs, scaler) == pytest.approx(m["error"], rel=1e-4)
    assert {"mae", "rmse", "mape"} <= m.keys() and m["mape"] > 0
    res_ = TASK.results(out, out_len, scaler, None)
    assert res_[0]["columns"] == ["sales"] and len(res_[0]["forecast"]["sales"]) == 12


# --- command line errors ---------------------------------------------------------------------------------

def _one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


def test_bad_csv_gives_one_line_error_and_exit_2(tmp_path, capsys):
    text = tmp_path / "words.csv"
    text.write_text("name,colour\nann,red\nbob,blue\n")
    assert "no numeric column" in _one_line_error(capsys, ["prepare", "forecast", str(text), "--out", str(tmp_path / "o")])
    short = monthly_csv(tmp_path / "short.csv", seasonal(20))
    err = _one_line_error(capsys, ["prepare", "forecast", str(short), "--out", str(tmp_path / "o"), "--window", "24"])
    assert "too short" in err and "short.csv" in err
    err = _one_line_error(capsys, ["prepare", "forecast", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])
    assert "not found" in err
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x00\xff\xfe" * 50)
    _one_line_error(capsys, ["prepare", "forecast", str(binary), "--out", str(tmp_path / "o")])
    long = monthly_csv(tmp_path / "long.csv", seasonal(80), start="2000-01")
    err = _one_line_error(capsys, ["prepare", "forecast", str(long), "--out", str(tmp_path / "o"), "--test-from", "2030-01"])
    assert "outside the series (2000-01 .. 2006-08)" in err
    neg = monthly_csv(tmp_path / "neg.csv", np.linspace(-5, 5, 80))
    assert "positive" in _one_line_error(capsys, ["prepare", "forecast", str(neg), "--out", str(tmp_path / "o"), "--log"])


def test_no_core_module_names_the_forecast_domain():
    """The domain plugs in from outside: nothing under suite/ may mention it (case-insensitive)."""
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "suite").rglob("*.py"))
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search("forecast", line, re.IGNORECASE)]
    assert hits == [], f"core files naming the forecast domain: {hits}"


def test_domain_module_is_light():
    import subprocess
    import sys

    code = ("import sys, forecast.domain as d; d.DOMAIN; "
            "print(sorted(m for m in ('torch', 'pandas', 'statsmodels', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
