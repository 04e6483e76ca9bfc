"""`suite prepare unipen` on the committed real UNIPEN excerpts."""
import json
from pathlib import Path

from suite.cli import main

FIX = Path(__file__).parent / "fixtures" / "handwriting" / "unipen"


def test_prepare_unipen_fixtures(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["prepare", "unipen", str(FIX), "--out", str(out), "--valid-writers", "0.3"]) == 0
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 12  # every kept segment of the six excerpts aligns
    texts = {r["text"] for r in rows}
    # transcripts are normalized: "turf ." -> "turf."
    assert "Besides Jackson is better on natural turf." in texts and "THE SUN CAUSED A FRAGMENT" in texts
    report = json.loads((out / "prepare_report.json").read_text())
    assert report["aligned"] == 12 and report["dropped"] == 0
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
