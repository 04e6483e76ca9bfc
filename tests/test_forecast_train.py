"""End to end: a synthetic series -> `suite prepare forecast` -> `suite train` -> `suite evaluate` -> `suite forecast`."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from forecast.series import read_series
from suite.cli import main
from suite.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]


def sine_csv(path: Path, n: int = 400, period: int = 16, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 10 + 3 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.1, n)
    path.write_text("step,level\n" + "".join(f"{i},{v:.5f}\n" for i, v in zip(t, y)))
    return path


def train(tmp: Path, data: Path, steps: int, name: str) -> Path:
    run = tmp / name
    assert main(["train", str(ROOT / "configs" / "forecast-cpu.yaml"), "--out", str(run),
                 "--set", f"data.train={data / 'train.jsonl'}", "--set", f"data.valid={data / 'valid.jsonl'}",
                 "--set", f"train.max_steps={steps}", "--set", "model.hidden=16", "--set", "train.seed=3"]) == 0
    assert (run / "model.pt").is_file()
    return run / "model.pt"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("forecast_e2e")
    csv = sine_csv(tmp / "sine.csv")
    data = tmp / "data"
    assert main(["prepare", "forecast", str(csv), "--out", str(data), "--horizon", "8", "--window", "32",
                 "--test-size", "40", "--valid-size", "40", "--stride", "2"]) == 0
    return tmp, csv, data


@pytest.fixture(scope="module")
def quick_model(prepared):
    tmp, _, data = prepared
    return train(tmp, data, 10, "quick")


def test_forecast_command_writes_plot_and_json(prepared, quick_model, capsys):
    tmp, csv, _ = prepared
    png = tmp / "fc.png"
    capsys.readouterr()
    assert main(["forecast", str(csv), "--model", str(quick_model), "--horizon", "20", "--plot", str(png),
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out.strip())
    assert res["columns"] == ["level"] and len(res["forecast"]["level"]) == 20 and len(res["dates"]) == 20
    assert res["model_horizon"] == 8 and res["recursive"] is True  # 20 > 8: rolled forward, and said so
    lo, mid, hi = (np.array(res[k]["level"]) for k in ("lower", "forecast", "upper"))
    assert (lo <= mid).all() and (mid <= hi).all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_forecast_command_errors_are_one_line(prepared, quick_model, capsys):
    tmp, _, _ = prepared
    short = tmp / "short.csv"
    short.write_text("step,level\n" + "".join(f"{i},{i}\n" for i in range(5)))
    other = tmp / "other.csv"
    other.write_text("step,temp\n" + "".join(f"{i},{i}\n" for i in range(50)))
    capsys.readouterr()
    assert main(["forecast", str(short), str(other), "--model", str(quick_model)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "needs the last 32" in err[0] and "'level'" in err[1]


@pytest.mark.slow
def test_sine_trains_and_beats_last_value(prepared, capsys):
    tmp, _, data = prepared
    model = train(tmp, data, 300, "full")
    capsys.readouterr()
    assert main(["evaluate", str(model), "--manifest", str(data / "test.jsonl"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = read_manifest(data / "test.jsonl", "series", "target")
    values = read_series(data / "series.csv").values[:, 0]
    last = np.concatenate([np.full(8, values[r.extra["end"] - 1]) for r in rows])
    truth = np.concatenate([r.target for r in rows])
    last_rmse = float(np.sqrt(((last - truth) ** 2).mean()))
    assert result["samples"] == len(rows) and {"mae", "rmse", "mape"} <= result.keys()
    assert result["rmse"] < 0.5 * last_rmse, (result, last_rmse)
