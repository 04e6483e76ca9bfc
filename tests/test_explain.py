"""Explanations (suite/explain.py): integrated gradients over the frontend's output steps, checked on the
bundled models and their real examples, and `--explain PNG` on transcribe, read and label.

The sanity check: replacing the 10% most relevant steps by the baseline must lower the model's confidence
in its own answer more than replacing a random 10% (mean over 10 draws, asserted on each domain's mean).
Measured (docs/explain.md): speech 0.86 vs 0.18, handwriting 0.66 vs 0.23, video 0.56 vs 0.30.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from suite.cli import main
from suite.errors import SuiteError
from suite.explain import baseline_of, check_png_path, deletion_check, explain, png_paths, summarize
from suite.explain_scores import classify_score, ctc_score
from suite.inference import load_predictor
from suite.tasks import get_task

ROOT = Path(__file__).resolve().parents[1]
SPEECH = sorted((ROOT / "examples" / "speech").glob("*.wav")) + sorted((ROOT / "examples" / "speech").glob("*.flac"))
INK = sorted((ROOT / "examples" / "handwriting").glob("*.json"))
VIDEO = sorted((ROOT / "examples" / "video").glob("*.mp4"))


@pytest.fixture(autouse=True)
def task_scores(monkeypatch):
    """The tasks' `explanation_score` method, for as long as the task classes do not define it themselves."""
    for name, fn in (("ctc", ctc_score), ("classify", classify_score)):
        cls = type(get_task(name))
        if not hasattr(cls, "explanation_score"):
            monkeypatch.setattr(cls, "explanation_score", lambda self, *a, _f=fn: _f(*a), raising=False)


@pytest.fixture(scope="module")
def predictors():
    return {}


def _predictor(cache: dict, name: str):
    if name not in cache:
        cache[name] = load_predictor(name, device="cpu")
    return cache[name]


def _inputs(predictor, files):
    return [x for f in files for _, x in predictor.file_samples(str(f))]


# --- the method ------------------------------------------------------------------------------------

def test_relevance_is_complete_and_per_step(predictors):
    """One relevance per frontend-output step, and (completeness) they add up to score(x) - score(baseline)."""
    p = _predictor(predictors, "video-actions-demo")
    clip = p.load_file(str(VIDEO[0]))
    (e,) = explain(p, [clip], steps=32)
    assert e.relevance.shape == (clip.shape[0],)
    assert e.attributions.shape[0] == clip.shape[0]
    assert e.result["label"] == p.predict([str(VIDEO[0])])[0]["label"]
    assert 0.0 <= e.baseline_score < e.score <= 1.0
    assert abs(e.delta) < 0.02 * (e.score - e.baseline_score)


def test_ctc_score_is_the_reported_confidence(predictors):
    """A transcript's explained score is the confidence `--json` reports, and stays tied to that transcript."""
    p = _predictor(predictors, "speech-digits")
    (e,) = explain(p, _inputs(p, SPEECH[:1]))
    assert e.result["text"] == "nine zero six"
    assert e.score == pytest.approx(e.result["confidence"], abs=1e-3)
    assert e.baseline_score < 0.5 < e.score


def test_blur_baseline_keeps_the_level():
    feats = torch.randn(1, 50, 3) + 5.0
    blurred = baseline_of(feats, "blur")
    assert blurred.shape == feats.shape
    assert torch.allclose(blurred.mean(1), feats.mean(1), atol=0.3)
    assert blurred.std(1).mean() < feats.std(1).mean() / 2
    assert torch.equal(baseline_of(feats, "zero"), torch.zeros_like(feats))
    with pytest.raises(SuiteError):
        baseline_of(feats, "noise")


def test_png_paths(tmp_path):
    assert png_paths(str(tmp_path / "x.png"), ["a/one.wav"]) == {"a/one.wav": tmp_path / "x.png"}
    many = png_paths(str(tmp_path / "x.png"), ["a/one.wav", "b/two.wav"])
    assert many["b/two.wav"] == tmp_path / "x-two.png"
    assert check_png_path(str(tmp_path / "new" / "x.png"))  # made when written
    for bad in (tmp_path / "x.jpg", tmp_path):
        with pytest.raises(SuiteError):
            check_png_path(str(bad))
    (tmp_path / "file").write_text("")
    with pytest.raises(SuiteError):
        check_png_path(str(tmp_path / "file" / "x.png"))


# --- the sanity check on real examples -------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("model, files", [("speech-digits", SPEECH), ("handwriting-en", INK),
                                          ("video-actions-demo", VIDEO)], ids=["speech", "handwriting", "video"])
def test_removing_the_most_relevant_10_percent_hurts_more_than_a_random_10_percent(predictors, model, files):
    p = _predictor(predictors, model)
    rows = deletion_check(p, _inputs(p, files), fraction=0.1, draws=10, seed=0)
    s = summarize(rows)
    assert s["top_drop"] > 1.25 * s["random_drop"] + 0.05, rows
    assert s["top_wins"] >= 0.7, rows
    assert s["top_changed"] >= s["random_changed"], rows


# --- the commands ----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("command, files", [("transcribe", SPEECH[:1]), ("read", INK[:1]), ("label", VIDEO[:2])],
                         ids=["transcribe", "read", "label"])
def test_explain_writes_a_png_per_file(tmp_path, capsys, command, files):
    out = tmp_path / "why.png"
    assert main([command, "--explain", str(out), *map(str, files)]) == 0
    expected = [out] if len(files) == 1 else [tmp_path / f"why-{f.stem}.png" for f in files]
    for png in expected:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert png.stat().st_size > 5000
    assert sorted(tmp_path.iterdir()) == sorted(expected)
    assert capsys.readouterr().out.strip()  # the usual results are still printed


@pytest.mark.parametrize("command, example", [("transcribe", SPEECH[0]), ("read", INK[0]), ("label", VIDEO[0])])
def test_explain_bad_path_is_one_line_error(tmp_path, capsys, command, example):
    (tmp_path / "file").write_text("")
    for bad in (tmp_path / "why.jpg", tmp_path / "file" / "why.png"):
        assert main([command, "--explain", str(bad), str(example)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "--explain" in err and "\n" not in err, err
    assert not list(tmp_path.glob("*.png"))
