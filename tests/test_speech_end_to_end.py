"""Tiny speech recognizer on synthetic 'tone words': train -> evaluate -> transcribe -> lm-tune, via the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import yaml

from suite.cli import main
from tests.speech_toy import WORDS, context_then_blend, make_corpus, utterance

pytestmark = pytest.mark.slow  # trains a small recognizer first

CONFIG = {
    "task": "speech",
    "data": {"num_workers": 0},
    "features": {"sample_rate": 8000, "n_mels": 24, "hop_ms": 15},
    "augment": {"gain_prob": 0.5, "noise_prob": 0.3, "snr_db": [20, 40]},
    "model": {"subsample": 2, "subsample_channels": 48, "layers": 1, "hidden": 64, "dropout": 0.0},
    "train": {"max_epochs": 18, "batch_size": 8, "early_stop_patience": None, "checkpoint_every_steps": None,
              "optim": {"lr": 0.008, "warmup_steps": 20, "weight_decay": 0.0, "schedule": "constant"}},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("speech_e2e")
    train = make_corpus(root / "train", 128, seed=1, max_words=3)
    valid = make_corpus(root / "valid", 16, seed=2)
    test = make_corpus(root / "test", 16, seed=3)
    cfg = root / "toy.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    assert main(["train", str(cfg), "--out", str(root / "run"), "--set", f"data.train={train}",
                 "--set", f"data.valid={valid}"]) == 0
    return root


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_evaluate_reports_low_wer(run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(run / "run/model.pt"), "--manifest", str(run / "test/manifest.jsonl"), "--json",
                 "--workers", "0"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["samples"] == 16 and result["skipped"] == 0
    assert result["wer"] <= 0.3, result  # chance level is about 1.0


def test_transcribe_with_timestamps(run, capsys):
    rows = [json.loads(line) for line in (run / "test/manifest.jsonl").read_text().splitlines()][:4]
    files = [str(run / "test" / r["audio"]) for r in rows]
    capsys.readouterr()
    assert main(["transcribe", "--model", str(run / "run/model.pt"), *files, "--json", "--timestamps"]) == 0
    out = _json_lines(capsys.readouterr().out)
    assert [o["file"] for o in out] == files
    right = sum(o["text"] == r["text"] for o, r in zip(out, rows))
    assert right >= 2
    for o in out:
        assert [w["word"] for w in o["words"]] == o["text"].split()
        times = [t for w in o["words"] for t in (w["start"], w["end"])]
        assert times == sorted(times) and all(w["end"] > w["start"] for w in o["words"])
        assert times[-1] <= sf.info(o["file"]).duration + 0.05


def test_long_audio_is_split_and_joined(run, capsys, tmp_path):
    import random

    rng = random.Random(7)
    words = [rng.choice(WORDS) for _ in range(14)]
    wave = utterance(words, 8000, rng)
    long_file = tmp_path / "long.wav"
    sf.write(long_file, wave, 8000)
    assert len(wave) / 8000 > 4.5
    for split in ("pause", "overlap"):
        capsys.readouterr()
        assert main(["transcribe", "--model", str(run / "run/model.pt"), str(long_file), "--json",
                     "--max-seconds", "1.5", "--split", split, "--overlap", "0.5", "--timestamps"]) == 0
        (res,) = _json_lines(capsys.readouterr().out)
        hyp = res["text"].split()
        errors = sum(a != b for a, b in zip(hyp, words)) + abs(len(hyp) - len(words))
        assert errors <= 5, (split, res["text"], " ".join(words))
        starts = [w["start"] for w in res["words"]]
        assert starts == sorted(starts) and starts[-1] > 3.0  # times are on the whole file's axis


def test_plot_is_written(run, tmp_path, capsys):
    wav = run / "test/u000.wav"
    png = tmp_path / "align.png"
    assert main(["transcribe", "--model", str(run / "run/model.pt"), str(wav), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(wav) in capsys.readouterr().out


def test_bad_inputs_give_one_line_errors(run, tmp_path, capsys):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 10)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    good = run / "test/u001.wav"
    capsys.readouterr()
    code = main(["transcribe", "--model", str(run / "run/model.pt"), str(text), str(empty),
                 str(tmp_path / "missing.wav"), str(good)])
    captured = capsys.readouterr()
    assert code == 1
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    assert "not a readable audio file" in errors[0] and "empty file" in errors[1] and "file not found" in errors[2]
    assert str(good) in captured.out  # the good file is still transcribed
    assert "Traceback" not in captured.err


def test_resampled_stereo_input(run, tmp_path, capsys):
    import random

    rng = random.Random(3)
    wave = utterance(["bad", "head"], 8000, rng)
    import torch
    import torchaudio.functional as AF

    up = AF.resample(torch.from_numpy(wave), 8000, 48000).numpy()
    sf.write(tmp_path / "st.wav", np.stack([up, up * 0.8], axis=1), 48000)
    capsys.readouterr()
    assert main(["transcribe", "--model", str(run / "run/model.pt"), str(tmp_path / "st.wav")]) == 0
    assert capsys.readouterr().out.strip().split("\t")[1] == "bad head"


def test_lm_tune_with_word_list(run, tmp_path, capsys):
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("\n".join(WORDS) + "\n")
    capsys.readouterr()
    assert main(["lm-tune", str(run / "run/model.pt"), "--manifest", str(run / "valid/manifest.jsonl"),
                 "--lexicon", str(lexicon), "--word-scores=-1,0,1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(result["grid"]) == 3 and result["samples"] == 16
    assert result["best"]["wer"] <= result["greedy_wer"] + 1e-9
    assert main(["lm-tune", str(run / "run/model.pt"), "--manifest", str(run / "valid/manifest.jsonl")]) == 2


@pytest.fixture(scope="module")
def ambiguous(run):
    """Utterances whose second word is "cab" and "hag" spoken at once, after "head" or "deaf"; a word LM
    (built by `suite lm-build` from texts where "head" is followed by "cab" and "deaf" by "hag") is the only
    thing that can tell them apart. The acoustics alone pick the same word (or a coin toss) in both contexts."""
    folder = run / "ambiguous"
    folder.mkdir(exist_ok=True)
    rows = []
    for seed in range(4):
        for first, meant in (("head", "cab"), ("deaf", "hag")):
            name = f"{first}{seed}.wav"
            sf.write(folder / name, context_then_blend(first, "cab", "hag", 8000, seed), 8000)
            rows.append({"audio": name, "text": f"{first} {meant}"})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    texts = folder / "texts.txt"
    texts.write_text("head cab\n" * 10 + "deaf hag\n" * 10 + "bad fed\n" * 5 + "fed bad\n" * 5)
    assert main(["lm-build", str(texts), "--unit", "word", "--out", str(folder / "words.arpa")]) == 0
    (folder / "words.txt").write_text("\n".join(WORDS) + "\n")
    return folder


def test_word_lm_resolves_what_the_acoustics_cannot(run, ambiguous, capsys):
    model, lm, lexicon = str(run / "run/model.pt"), str(ambiguous / "words.arpa"), str(ambiguous / "words.txt")
    capsys.readouterr()
    assert main(["lm-tune", model, "--manifest", str(ambiguous / "manifest.jsonl"), "--lm", lm, "--lexicon", lexicon,
                 "--lm-weights", "0,3", "--word-scores=0", "--json", "--workers", "0"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    wer_at = {g["lm_weight"]: g["wer"] for g in result["grid"]}
    # measured (lm-tune --lm-weights 0,0.5,1,2,4): WER 0.25 (the 4 second words of one context wrong), 0.19,
    # 0.06, 0, 0; greedy 0.44
    assert wer_at[3.0] == 0, result
    assert wer_at[0.0] >= 0.0625, result  # at least one of 16 words: the word list alone cannot know
    assert result["best"]["lm_weight"] == 3.0
    # the plain-text report names the same best pair
    assert main(["lm-tune", model, "--manifest", str(ambiguous / "manifest.jsonl"), "--lm", lm, "--lexicon", lexicon,
                 "--lm-weights", "0,3", "--word-scores=-1,0", "--workers", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("lm_weight") == 4 and "best: --lm-weight 3.0 " in out
    # the same through `suite transcribe`: the LM's word after each context
    files = [str(ambiguous / f"{first}0.wav") for first in ("head", "deaf")]
    assert main(["transcribe", "--model", model, *files, "--lm", lm, "--lexicon", lexicon, "--lm-weight", "3",
                 "--word-score", "0", "--json"]) == 0
    assert [o["text"] for o in _json_lines(capsys.readouterr().out)] == ["head cab", "deaf hag"]
