"""`suite prepare` speech formats (fsdd, connected digits, librispeech, pairs, an4) and text normalization."""
from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
import soundfile as sf

from speech.audio import read_audio
from speech.prepare import pick_speakers
from speech.text import DIGIT_WORDS, normalize
from suite.cli import main
from suite.manifest import read_manifest
from tests.speech_toy import tone


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("raw,clean", [
    ("<s> Hello, World! </s>", "hello world"),
    ("It’s 3 O'CLOCK -- naïve", "it's 3 o'clock naïve"),
    ("'quoted' [noise] under_score", "quoted under score"),
    ("   ", ""),
])
def test_normalize(raw, clean):
    assert normalize(raw) == clean


@pytest.fixture
def fsdd(tmp_path):
    src = tmp_path / "recordings"
    src.mkdir()
    for spk, f0 in (("ann", 300.0), ("bob", 500.0), ("cy", 700.0)):
        for digit in range(10):
            for idx in range(12):
                sf.write(src / f"{digit}_{spk}_{idx}.wav", tone(0.2, 8000, f0 + 10 * digit), 8000)
    return src


def test_fsdd_single_digits_conventional_split(fsdd, tmp_path):
    out = tmp_path / "out"
    assert main(["prepare", "fsdd", str(fsdd), "--out", str(out)]) == 0
    rows = _rows(out / "manifest.jsonl")
    assert len(rows) == 360
    test = _rows(out / "test.jsonl")
    assert len(test) == 3 * 10 * 5 and all(int(r["id"].split("_")[2]) < 5 for r in test)
    assert rows[0]["text"] in DIGIT_WORDS
    # audio outside OUT is symlinked under OUT/audio, so the manifest needs no outside paths
    parsed = read_manifest(out / "train.jsonl", "audio", "text")
    assert all(os.path.islink(r.path) and os.path.exists(r.path) for r in parsed)


def test_fsdd_connected_speaker_disjoint(fsdd, tmp_path):
    out = tmp_path / "cd"
    assert main(["prepare", "fsdd", str(fsdd), "--out", str(out), "--connected", "--test-speakers", "cy",
                 "--per-speaker", "6", "--eval-per-speaker", "4", "--seed", "3"]) == 0
    train, valid, test = (_rows(out / f"{s}.jsonl") for s in ("train", "valid", "test"))
    assert len(train) == 12 and len(valid) == 8 and len(test) == 4
    assert {r["speaker"] for r in test} == {"cy"} and "cy" not in {r["speaker"] for r in train + valid}
    for r in train + test:
        words = r["text"].split()
        assert 3 <= len(words) <= 7 and set(words) <= set(DIGIT_WORDS)
        wave = read_audio(out / r["audio"], 8000)
        assert len(wave) == r["length"]
        # each digit is 0.2 s, plus pauses (0.05-0.4 s) and edges (0.05-0.3 s each)
        assert 0.2 * len(words) + 0.05 * (len(words) + 1) <= len(wave) / 8000 <= 0.6 * len(words) + 0.6
    # the same seed builds the same corpus
    again = tmp_path / "cd2"
    main(["prepare", "fsdd", str(fsdd), "--out", str(again), "--connected", "--test-speakers", "cy",
          "--per-speaker", "6", "--eval-per-speaker", "4", "--seed", "3"])
    assert _rows(again / "train.jsonl") == train


def test_fsdd_errors(fsdd, tmp_path, capsys):
    assert main(["prepare", "fsdd", str(fsdd), "--out", str(tmp_path / "o"), "--test-speakers", "zed"]) == 2
    assert "zed" in capsys.readouterr().err
    assert main(["prepare", "fsdd", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["prepare", "fsdd", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "no FSDD recordings" in capsys.readouterr().err


def test_librispeech_tree(tmp_path):
    src = tmp_path / "LibriSpeech" / "dev-clean" / "84" / "121123"
    src.mkdir(parents=True)
    lines = []
    for i in range(3):
        uid = f"84-121123-{i:04d}"
        sf.write(src / f"{uid}.flac", tone(0.3, 16000), 16000, format="FLAC")
        lines.append(f"{uid} GO DO YOU HEAR NUMBER {i}")
    lines.append("84-121123-0009 NO AUDIO FOR THIS ONE")
    (src / "84-121123.trans.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "ls"
    assert main(["prepare", "librispeech", str(tmp_path / "LibriSpeech"), "--out", str(out), "--files", "copy",
                 "--valid-fraction", "0.34"]) == 0
    rows = _rows(out / "manifest.jsonl")
    assert [r["text"] for r in rows] == [f"go do you hear number {i}" for i in range(3)]
    assert rows[0]["speaker"] == "84" and rows[0]["audio"] == "audio/dev-clean/84/121123/84-121123-0000.flac"
    assert (out / rows[0]["audio"]).is_file() and not (out / rows[0]["audio"]).is_symlink()
    assert len(_rows(out / "valid.jsonl")) == 1 and len(_rows(out / "train.jsonl")) == 2


def test_pairs_inside_out_folder_use_relative_paths(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "day1").mkdir(parents=True)
    sf.write(corpus / "day1" / "a.wav", tone(0.3, 16000), 16000)
    (corpus / "day1" / "a.txt").write_text("Turn the lights ON.\n")
    sf.write(corpus / "b.ogg", tone(0.3, 16000), 16000, format="OGG")
    (corpus / "b.txt").write_text("open the door")
    sf.write(corpus / "lonely.wav", tone(0.3, 16000), 16000)
    assert main(["prepare", "pairs", str(corpus), "--out", str(corpus)]) == 0
    rows = _rows(corpus / "manifest.jsonl")
    assert rows == [{"id": "b", "audio": "b.ogg", "text": "open the door"},
                    {"id": "day1/a", "audio": "day1/a.wav", "text": "turn the lights on"}]


def test_pairs_absolute_mode_writes_readable_absolute_paths(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    sf.write(corpus / "a.wav", tone(0.3, 8000), 8000)
    (corpus / "a.txt").write_text("hi")
    out = tmp_path / "o"
    assert main(["prepare", "pairs", str(corpus), "--out", str(out), "--files", "absolute"]) == 0
    assert os.path.isabs(_rows(out / "manifest.jsonl")[0]["audio"])
    assert read_manifest(out / "manifest.jsonl", "audio", "text")[0].path == str((corpus / "a.wav").resolve())


def test_pairs_without_transcripts_is_an_error(tmp_path, capsys):
    sf.write(tmp_path / "a.wav", np.zeros(100, np.float32), 8000)
    assert main(["prepare", "pairs", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no audio file with a same-named .txt" in capsys.readouterr().err


def test_fsdd_speaker_filter(fsdd, tmp_path, capsys):
    out = tmp_path / "one"
    assert main(["prepare", "fsdd", str(fsdd), "--out", str(out), "--speakers", "bob"]) == 0
    assert {r["speaker"] for r in _rows(out / "manifest.jsonl")} == {"bob"}
    assert main(["prepare", "fsdd", str(fsdd), "--out", str(out), "--speakers", "zed"]) == 2
    assert "--speakers: no recordings of zed" in capsys.readouterr().err


# ---------------------------------------------------------------- an4
AN4_TRAIN = {"fash": ["YES", "H I N I C H"], "fbbh": ["GO", "ENTER FIVE ZERO"], "mcel": ["NO", "RUBOUT"],
             "mdms": ["STOP", "M E A D O W"], "mjwl": ["ONE TWO", "REPEAT"], "mkem": ["START", "B A Z"]}
AN4_TEST = {"fcaw": ["ERASE C Q Q F SEVEN"], "mjgm": ["B A O Z FIVE THREE"]}


@pytest.fixture
def an4(tmp_path):
    """An AN4 tree in its own layout: wav/an4_clstk/SPK/UTT-SPK-b.wav, Sphinx-style transcriptions."""
    root = tmp_path / "an4"
    (root / "etc").mkdir(parents=True)
    for part, folder, table, markers in (("train", "an4_clstk", AN4_TRAIN, True),
                                         ("test", "an4test_clstk", AN4_TEST, False)):
        lines = []
        for spk, texts in table.items():
            (root / "wav" / folder / spk).mkdir(parents=True)
            for i, text in enumerate(texts):
                uid = f"an{i + 1}-{spk}-b"
                sf.write(root / "wav" / folder / spk / f"{uid}.wav", tone(0.1 + 0.05 * i, 16000), 16000)
                lines.append(f"<s> {text} </s> ({uid})" if markers else f"{text} ({uid})")
        (root / "etc" / f"an4_{part}.transcription").write_text("\n".join(lines) + "\n")
    (root / "etc" / "an4_train.transcription").open("a").write("<s> LOST </s> (an9-fash-b)\n")  # no audio
    return root


def test_an4_speaker_disjoint_split(an4, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["prepare", "an4", str(an4), "--out", str(out), "--valid-speakers", "2", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "train: 8 utterances of 4 speakers, valid: 4 utterances of 2 speakers, test: 2 utterances of 2" in printed
    assert "skipped 1 transcript lines" in printed
    train, valid, test = (_rows(out / f"{s}.jsonl") for s in ("train", "valid", "test"))
    held = {r["speaker"] for r in valid}
    assert not held & {r["speaker"] for r in train} and {r["speaker"] for r in test} == {"fcaw", "mjgm"}
    assert {s[0] for s in held} == {"f", "m"}  # one of each group (2 of 6 female speakers, 4 of 6 male)
    by_id = {r["id"]: r for r in train + valid + test}
    assert by_id["an2-fash-b"]["text"] == "h i n i c h" and by_id["an1-fcaw-b"]["text"] == "erase c q q f seven"
    for r in by_id.values():
        path = out / r["audio"]
        assert path.is_symlink() and sf.info(str(path)).frames == r["length"]  # length in samples at 16 kHz
    words = (out / "words.txt").read_text().split()
    assert words == sorted({w for r in train for w in r["text"].split()}) and "lost" not in words
    assert len(_rows(out / "manifest.jsonl")) == 14
    assert len(read_manifest(out / "valid.jsonl", "audio", "text")) == 4
    # the same seed holds out the same speakers; the default is 10% of the speakers (at least one)
    again = tmp_path / "again"
    main(["prepare", "an4", str(an4), "--out", str(again), "--valid-speakers", "2", "--seed", "1"])
    assert _rows(again / "valid.jsonl") == valid
    main(["prepare", "an4", str(an4), "--out", str(again)])
    assert len({r["speaker"] for r in _rows(again / "valid.jsonl")}) == 1


def test_an4_errors(an4, tmp_path, capsys):
    other = tmp_path / "not_an4"
    (other / "etc").mkdir(parents=True)
    (other / "etc" / "an4_test.transcription").write_text("")
    assert main(["prepare", "an4", str(other), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "an4_train.transcription: not an AN4 folder" in err
    assert main(["prepare", "an4", str(an4), "--out", str(tmp_path / "o"), "--valid-speakers", "6"]) == 2
    assert "leaves no training speaker" in capsys.readouterr().err
    (an4 / "etc" / "an4_test.transcription").write_text("ERASE C (an1-fcaw-b\n")
    assert main(["prepare", "an4", str(an4), "--out", str(tmp_path / "o")]) == 2
    assert "line 1: expected 'TEXT (UTTERANCE-ID)'" in capsys.readouterr().err


def test_an4_alternative_test_ids(an4, tmp_path):
    """Some AN4 copies write test ids as (fcaw-AN1-FCAW-B); they name the same files."""
    (an4 / "etc" / "an4_test.transcription").write_text("ERASE C Q (fcaw-AN1-FCAW-B)\n")
    out = tmp_path / "o"
    assert main(["prepare", "an4", str(an4), "--out", str(out)]) == 0
    assert _rows(out / "test.jsonl")[0]["id"] == "an1-fcaw-b"


def test_pick_speakers_spreads_over_groups():
    speakers = ["fa", "fb", "fc", "ma", "mb", "mc", "md", "me", "mf"]
    for seed in range(5):
        chosen = pick_speakers(speakers, 3, random.Random(seed))
        assert len(chosen) == 3 and sum(s[0] == "f" for s in chosen) == 1
    assert pick_speakers(speakers, 3, random.Random(1)) == pick_speakers(speakers, 3, random.Random(1))
