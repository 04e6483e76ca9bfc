"""Tiny handwriting recognizer on synthetic ink: prepare -> train -> evaluate -> read -> render, via the CLI."""
from __future__ import annotations

import json
import random

import pytest
import yaml

from suite.cli import main
from tests.handwriting_toy import make_corpus, unipen_file

pytestmark = pytest.mark.slow  # trains a small recognizer first

CONFIG = {
    "task": "handwriting",
    "data": {"num_workers": 0},
    "features": {"spacing": 0.2},
    "augment": {"prob": 0.5, "shear": 0.1, "rotate_deg": 2.0, "jitter": 0.005, "point_dropout": 0.02},
    "model": {"subsample": 1, "layers": 1, "hidden": 64, "dropout": 0.0},
    "train": {"max_epochs": 25, "batch_size": 16, "early_stop_patience": None, "checkpoint_every_steps": None,
              "optim": {"lr": 0.01, "warmup_steps": 10, "weight_decay": 0.0, "schedule": "constant"}},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hw_e2e")
    train = make_corpus(root / "train", 192, seed=1)
    valid = make_corpus(root / "valid", 24, seed=2)
    cfg = root / "toy.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    assert main(["train", str(cfg), "--out", str(root / "run"), "--set", f"data.train={train}",
                 "--set", f"data.valid={valid}"]) == 0
    return root


def test_evaluate_reports_low_cer(run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(run / "run/model.pt"), "--manifest", str(run / "valid/manifest.jsonl"),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["samples"] == 24 and result["skipped"] == 0
    assert result["cer"] <= 0.25, result  # chance level is near 1.0


def test_read_unipen_segments_and_json(run, capsys, tmp_path):
    words = ["lox", "cv", "oll"]
    uni = unipen_file(tmp_path / "toy.dat", words, random.Random(5))
    js = run / "valid" / "ink" / "0000.json"
    capsys.readouterr()
    assert main(["read", "--model", str(run / "run/model.pt"), str(uni), str(js), "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [o["file"] for o in out] == [str(uni)] * 3 + [str(js)]
    # the segments name the file's pen-down components: lox = l, o, x (2 strokes) -> 0-3; cv -> 4-5; oll -> 6-8
    assert [o["segment"] for o in out[:3]] == ["0-3", "4-5", "6-8"]
    assert "segment" not in out[3]  # a one-sample file has no segments
    assert [o["reference"] for o in out] == words + [json.loads(js.read_text())["text"]]
    assert sum(o["text"] == w for o, w in zip(out, words)) >= 2


def test_render_png(run, tmp_path, capsys):
    png = tmp_path / "ink.png"
    assert main(["render", str(run / "valid" / "ink" / "0001.json"), "--out", str(png),
                 "--model", str(run / "run/model.pt")]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_read_bad_file_is_one_line_error(run, tmp_path, capsys):
    bad = tmp_path / "bad.inkml"
    bad.write_text("<ink><trace>1 2, 3</ink>")
    code = main(["read", "--model", str(run / "run/model.pt"), str(bad)])
    err = capsys.readouterr().err
    assert code != 0 and "bad.inkml" in err and "Traceback" not in err
