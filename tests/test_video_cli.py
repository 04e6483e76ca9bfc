"""End to end: generate clips -> `suite train` -> `suite evaluate` -> `suite label` (tiny, CPU)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from suite.cli import main
from video.synth import write_mp4

SMOKE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video_smoke"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("video_e2e")
    data = root / "clips"
    actions = ["raise_arm", "lower_arm", "jump"]
    assert main(["synth", "video", "--out", str(data), "--seed", "0", "--per-class", "4", "--size", "32",
                 "--actions", *actions]) == 0
    cfg = root / "tiny.yaml"
    cfg.write_text(f"""
task: video
data: {{train: {data}/manifest.jsonl, valid: {data}/manifest.jsonl, num_workers: 0}}
features: {{num_frames: 4, size: 32, resize: 32, window_seconds: 1.0}}
model: {{cnn: small, cnn_channels: 8, spatial_grid: 2, feature_dim: 32, hidden: 32}}
train: {{max_epochs: 2, batch_size: 6, checkpoint_every_steps: null, early_stop_patience: null}}
""")
    run = root / "run"
    assert main(["train", str(cfg), "--out", str(run)]) == 0
    return {"root": root, "data": data, "model": run / "model.pt", "actions": actions}


def test_evaluate_reports_accuracy_and_confusion(trained, capsys):
    png = trained["root"] / "confusion.png"
    assert main(["evaluate", str(trained["model"]), "--manifest", str(trained["data"] / "manifest.jsonl"),
                 "--json", "--confusion", str(png)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["samples"] == 12 and result["skipped"] == 0
    assert {"accuracy", "top5", "mean_class_accuracy"} <= result.keys()
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_label_top_k_json(trained, capsys):
    clip = str(trained["data"] / "jump" / "jump_0000.mp4")
    assert main(["label", "--model", str(trained["model"]), clip, "--top-k", "3", "--json", "--clips", "2"]) == 0
    result = json.loads(capsys.readouterr().out.strip())
    assert result["file"] == clip and result["label"] in trained["actions"]
    assert len(result["top_k"]) == 3 and sum(p for _, p in result["top_k"]) == pytest.approx(1, abs=1e-3)


def test_label_timeline_and_plot_on_long_video(trained, capsys):
    frames = [np.full((40, 56, 3), (i * 7) % 255, np.uint8) for i in range(60)]  # 6 s at 10 fps
    long = trained["root"] / "long.mp4"
    write_mp4(frames, long, fps=10)
    png = trained["root"] / "timeline.png"
    assert main(["label", "--model", str(trained["model"]), str(long), "--timeline", "--plot", str(png),
                 "--window", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip())
    segs = result["segments"]
    assert segs[0]["start"] == 0 and segs[-1]["end"] == pytest.approx(6.0)
    assert all(a["end"] == b["start"] for a, b in zip(segs, segs[1:]))
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_label_bad_files_one_line_each(trained, tmp_path, capsys):
    good = str(trained["data"] / "jump" / "jump_0001.mp4")
    text = tmp_path / "notes.mp4"
    text.write_text("hello")
    cut = tmp_path / "cut.mp4"
    data = Path(good).read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    code = main(["label", "--model", str(trained["model"]), good, str(text), str(cut), str(tmp_path / "gone.mp4")])
    out, err = capsys.readouterr()
    assert code != 0
    assert out.count("\n") == 1 and out.startswith(good)
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "not a video file" in lines[0] and "truncated" in lines[1] and "file not found" in lines[2]


@pytest.mark.skipif(not SMOKE.is_dir(), reason="needs ../shared/data/video_smoke")
def test_label_real_codecs(trained, capsys):
    clips = sorted(str(p) for p in SMOKE.iterdir() if p.suffix in (".mp4", ".avi"))
    assert main(["label", "--model", str(trained["model"]), *clips, "--json"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["file"] for r in results] == clips and all(r["label"] in trained["actions"] for r in results)
