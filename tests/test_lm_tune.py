"""`suite lm-tune` is a core command: it tunes beam search for any CTC model, here a tiny handwriting one."""
from __future__ import annotations

import json

import pytest
import yaml

from suite.cli import main
from tests.handwriting_toy import make_corpus

# training the model takes about a minute on a shared 2-core machine; the default suite covers `suite lm-tune`
# on a speech model in tests/test_speech_end_to_end.py
pytestmark = pytest.mark.slow

CONFIG = {
    "task": "handwriting",
    "data": {"num_workers": 0},
    "features": {"spacing": 0.2},
    "augment": {"prob": 0.0},
    "model": {"subsample": 1, "layers": 1, "hidden": 64, "dropout": 0.0},
    "train": {"max_epochs": 14, "batch_size": 16, "early_stop_patience": None, "checkpoint_every_steps": None,
              "optim": {"lr": 0.01, "warmup_steps": 10, "weight_decay": 0.0, "schedule": "constant"}},
}
# handwriting_toy writes single "words" of the glyphs l o v c x (the model has no word separator); the valid
# set's words form the word list and the text of a word LM (one word a line)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("lm_tune")
    train = make_corpus(root / "train", 112, seed=1, max_len=2)
    valid = make_corpus(root / "valid", 16, seed=2, max_len=2)
    cfg = root / "toy.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    assert main(["train", str(cfg), "--out", str(root / "run"), "--set", f"data.train={train}",
                 "--set", f"data.valid={valid}"]) == 0
    words = sorted({json.loads(line)["text"] for line in valid.read_text().splitlines()})
    (root / "words.txt").write_text("\n".join(words) + "\n")
    assert main(["lm-build", str(root / "words.txt"), "--unit", "word", "--order", "2",
                 "--out", str(root / "words.arpa")]) == 0
    return root


def _last_json(text: str) -> dict:
    return json.loads([line for line in text.splitlines() if line.startswith("{")][-1])


def test_lm_tune_on_a_handwriting_model(run, capsys):
    capsys.readouterr()
    assert main(["lm-tune", str(run / "run/model.pt"), "--manifest", str(run / "valid/manifest.jsonl"),
                 "--lm", str(run / "words.arpa"), "--lexicon", str(run / "words.txt"),
                 "--lm-weights", "0,0.5", "--word-scores=-1,0,1", "--workers", "0", "--json"]) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["samples"] == 16 and result["skipped"] == 0
    assert [(r["lm_weight"], r["word_score"]) for r in result["grid"]] == [
        (w, s) for w in (0.0, 0.5) for s in (-1.0, 0.0, 1.0)]
    # the word list holds every valid word: beam search can only repair the greedy errors
    assert result["best"]["wer"] <= result["greedy_wer"]
    # the greedy WER is the one `suite evaluate` reports, and the best pair reproduces its WER there
    best = result["best"]
    assert main(["evaluate", str(run / "run/model.pt"), "--manifest", str(run / "valid/manifest.jsonl"),
                 "--workers", "0", "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["wer"] == pytest.approx(result["greedy_wer"])
    assert main(["evaluate", str(run / "run/model.pt"), "--manifest", str(run / "valid/manifest.jsonl"),
                 "--workers", "0", "--json", "--decoder", "beam", "--lm", str(run / "words.arpa"),
                 "--lexicon", str(run / "words.txt"), "--lm-weight", str(best["lm_weight"]),
                 "--word-score", str(best["word_score"])]) == 0
    assert _last_json(capsys.readouterr().out)["wer"] == pytest.approx(best["wer"])


def test_lm_tune_errors(run, tmp_path, capsys):
    model, manifest = str(run / "run/model.pt"), str(run / "valid/manifest.jsonl")
    assert main(["lm-tune", model, "--manifest", manifest]) == 2
    assert "needs --lm and/or --lexicon" in capsys.readouterr().err
    assert main(["lm-tune", model, "--manifest", manifest, "--lm", str(tmp_path / "none.arpa")]) == 2
    assert "none.arpa: LM file not found" in capsys.readouterr().err
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"audio": "a.wav", "text": "x"}\n')
    assert main(["lm-tune", model, "--manifest", str(bad), "--lexicon", str(run / "words.txt")]) == 2
    assert "missing 'ink' path" in capsys.readouterr().err
