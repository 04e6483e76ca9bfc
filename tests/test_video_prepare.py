"""`suite prepare folders` and `suite prepare csv`."""
from __future__ import annotations

import json

import pytest

from suite.cli import main


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture()
def ucf(tmp_path):
    src = tmp_path / "UCF"
    for cls in ("Archery", "Bowling"):
        for g in (1, 2):
            for c in (1, 2):
                p = src / cls / f"v_{cls}_g{g:02d}_c{c:02d}.avi"
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(b"RIFF")
    (src / "Archery" / "notes.txt").write_text("not a video")
    return src


def test_folders_all_clips_linked(ucf, tmp_path):
    out = tmp_path / "out"
    assert main(["prepare", "folders", str(ucf), "--out", str(out)]) == 0
    rows = _rows(out / "manifest.jsonl")
    assert len(rows) == 8 and {r["label"] for r in rows} == {"Archery", "Bowling"}
    assert all((out / r["video"]).is_symlink() and not r["video"].startswith("..") for r in rows)


def test_folders_ucf_split_lists(ucf, tmp_path):
    train, test = tmp_path / "trainlist01.txt", tmp_path / "testlist01.txt"
    train.write_text("Archery/v_Archery_g01_c01.avi 1\nArchery/v_Archery_g01_c02.avi 1\nBowling/v_Bowling_g01_c01.avi 2\n")
    test.write_text("Archery/v_Archery_g02_c01.avi\nBowling/v_Bowling_g02_c02.avi\n")
    out = tmp_path / "out"
    assert main(["prepare", "folders", str(ucf), "--out", str(out), "--split-file", str(train),
                 "--split-file", str(test), "--files", "absolute"]) == 0
    assert [r["id"] for r in _rows(out / "train.jsonl")] == [
        "Archery/v_Archery_g01_c01.avi", "Archery/v_Archery_g01_c02.avi", "Bowling/v_Bowling_g01_c01.avi"]
    assert len(_rows(out / "test.jsonl")) == 2
    assert _rows(out / "train.jsonl")[0]["video"].startswith("/")


def test_folders_hmdb_split_and_groups(ucf, tmp_path):
    split = tmp_path / "Archery_test_split1.txt"
    split.write_text("v_Archery_g01_c01.avi 1\nv_Archery_g01_c02.avi 2\nv_Archery_g02_c01.avi 0\n")
    out = tmp_path / "h"
    assert main(["prepare", "folders", str(ucf), "--out", str(out), "--split-file", str(split)]) == 0
    assert len(_rows(out / "train.jsonl")) == 1 and len(_rows(out / "test.jsonl")) == 1
    out2 = tmp_path / "v"
    assert main(["prepare", "folders", str(ucf), "--out", str(out2), "--valid-fraction", "0.5"]) == 0
    train, valid = _rows(out2 / "train.jsonl"), _rows(out2 / "valid.jsonl")
    assert len(train) + len(valid) == 8 and train and valid
    group = lambda r: (r["label"], r["id"].split("_g")[1][:2])  # noqa: E731
    assert not {group(r) for r in train} & {group(r) for r in valid}  # no group on both sides


def test_folders_errors(tmp_path, capsys):
    assert main(["prepare", "folders", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) != 0
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    assert main(["prepare", "folders", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not a folder" in err[0] and "no video files" in err[1]


def test_csv_with_header_and_times(tmp_path):
    (tmp_path / "clips").mkdir()
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / "clips" / name).write_bytes(b"x")
    csv = tmp_path / "list.csv"
    csv.write_text("path,label,start,end\nclips/a.mp4,riding,1.5,4\nclips/b.mp4,\"swimming, breaststroke\",0,2\n")
    out = tmp_path / "out"
    assert main(["prepare", "csv", str(csv), "--out", str(out)]) == 0
    rows = _rows(out / "manifest.jsonl")
    assert [(r["label"], r["start"], r["end"]) for r in rows] == [("riding", 1.5, 4.0), ("swimming, breaststroke", 0.0, 2.0)]
    assert (out / rows[0]["video"]).resolve() == (tmp_path / "clips" / "a.mp4").resolve()


def test_csv_without_times_and_errors(tmp_path, capsys):
    (tmp_path / "a.mp4").write_bytes(b"x")
    good = tmp_path / "good.csv"
    good.write_text("a.mp4,jump\nmissing.mp4,jump\n")
    assert main(["prepare", "csv", str(good), "--out", str(tmp_path / "o")]) != 0
    assert "video not found: missing.mp4" in capsys.readouterr().err
    assert main(["prepare", "csv", str(good), "--out", str(tmp_path / "o"), "--skip-missing"]) == 0
    assert _rows(tmp_path / "o" / "manifest.jsonl") == [{"video": "videos/a.mp4", "label": "jump", "id": "a.mp4#1"}]
    bad = tmp_path / "bad.csv"
    bad.write_text("a.mp4,jump,5,2\n")
    assert main(["prepare", "csv", str(bad), "--out", str(tmp_path / "o")]) != 0
    assert "start < end" in capsys.readouterr().err
