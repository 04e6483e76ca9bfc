"""`suite prepare unipen` on the committed real UNIPEN excerpts; `suite prepare inkml` with a writer split."""
import json
from pathlib import Path

from suite.cli import main

FIX = Path(__file__).parent / "fixtures" / "handwriting" / "unipen"


def test_prepare_unipen_fixtures(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["prepare", "unipen", str(FIX), "--out", str(out), "--valid-writers", "0.3"]) == 0
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 11  # every kept segment of the six excerpts aligns
    texts = {r["text"] for r in rows}
    # transcripts are normalized: "turf ." -> "turf."
    assert "Besides Jackson is better on natural turf." in texts and "THE SUN CAUSED A FRAGMENT" in texts
    report = json.loads((out / "prepare_report.json").read_text())
    assert report["aligned"] == 11 and report["dropped"] == 0
    assert report["per_contributor"]["lex"]["numbering anchored"] == 1
    train = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    valid = [json.loads(x) for x in (out / "valid.jsonl").read_text().splitlines()]
    assert train and valid and not {r["writer"] for r in train} & {r["writer"] for r in valid}
    for r in rows:
        assert (out / r["ink"]).is_file() and r["length"] > 0


def test_prepare_missing_source_is_one_line_error(tmp_path, capsys):
    assert main(["prepare", "unipen", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err


def test_prepare_iam_ondb_line_texts_from_ascii(tmp_path, capsys):
    fix = Path(__file__).parent / "fixtures" / "handwriting" / "line.xml"
    strokes = tmp_path / "src" / "lineStrokes" / "a01" / "a01-000"
    ascii_dir = tmp_path / "src" / "ascii" / "a01" / "a01-000"
    strokes.mkdir(parents=True)
    ascii_dir.mkdir(parents=True)
    text = fix.read_text()
    (strokes / "a01-000u-01.xml").write_text(text[:text.index("<Transcription>")] + text[text.index("<StrokeSet>"):])
    (ascii_dir / "a01-000u.txt").write_text("OCR:\n\nignored\n\nCSR:\n\non the\nsecond line\n")
    assert main(["prepare", "iam-ondb", str(tmp_path / "src"), "--out", str(tmp_path / "out")]) == 0
    [row] = [json.loads(x) for x in (tmp_path / "out/manifest.jsonl").read_text().splitlines()]
    assert row["text"] == "on the" and row["writer"] == "a01-000u"


def test_writer_split_is_disjoint_and_stratified_per_contributor():
    from handwriting.prepare import _split_writers

    records = [{"writer": f"big{w}", "contributor": "big", "id": f"b{w}-{i}"} for w in range(40) for i in range(10)]
    records += [{"writer": f"small{w}", "contributor": "small", "id": f"s{w}-{i}"} for w in range(10) for i in range(4)]
    records += [{"writer": "solo", "contributor": "tiny", "id": f"t{i}"} for i in range(3)]
    train, valid = _split_writers(records, 0.2, seed=0)
    assert len(train) + len(valid) == len(records)
    assert not {r["writer"] for r in train} & {r["writer"] for r in valid}
    share = {c: sum(r["contributor"] == c for r in valid) / sum(r["contributor"] == c for r in records)
             for c in ("big", "small", "tiny")}
    assert abs(share["big"] - 0.2) < 0.03 and abs(share["small"] - 0.2) < 0.11
    assert 0.18 < len(valid) / len(records) < 0.22
    assert _split_writers(records, 0.2, seed=0) == (train, valid)


def test_prepare_inkml_writer_split(tmp_path, capsys):
    fix = Path(__file__).parent / "fixtures" / "handwriting"
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        text = (fix / "line.inkml").read_text().replace(">hi<", f">hi{i}<")
        (src / f"w{i}.inkml").write_text(text)
    assert main(["prepare", "inkml", str(src), "--out", str(tmp_path / "out"), "--valid-writers", "0.3"]) == 0
    train = [json.loads(x) for x in (tmp_path / "out/train.jsonl").read_text().splitlines()]
    valid = [json.loads(x) for x in (tmp_path / "out/valid.jsonl").read_text().splitlines()]
    assert len(train) + len(valid) == 6 and valid
    assert not {r["writer"] for r in train} & {r["writer"] for r in valid}
