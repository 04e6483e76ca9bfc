"""The bundled speech-digits model on the README demo files and on real LibriVox speech."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from suite.cli import main
from suite.metrics import wer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "speech"
MODEL = ROOT / "speech" / "models" / "speech-digits.pt"



def test_bundle_ships_with_the_project():
    assert MODEL.is_file(), "speech/models/speech-digits.pt is missing (scripts/train_speech_digits.sh builds it)"


def test_demo_files_are_transcribed(capsys):
    expected = dict(line.split("\t") for line in (EXAMPLES / "transcripts.tsv").read_text().splitlines())
    files = [str(EXAMPLES / name) for name in expected]
    capsys.readouterr()
    assert main(["transcribe", "--model", "speech-digits", *files, "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    refs = [expected[Path(o["file"]).name] for o in out]
    assert wer(refs, [o["text"] for o in out]) <= 0.2, out


@pytest.mark.slow  # 3-7 s files, chunked, with plots
def test_librivox_smoke_files_do_not_crash(shared_data, capsys, tmp_path):
    files = sorted(str(p) for p in (shared_data / "speech_smoke").glob("*.wav"))
    assert files
    capsys.readouterr()
    # force chunking too: 2-second limit on 3-7 second files
    assert main(["transcribe", *files, "--json", "--timestamps", "--max-seconds", "2",
                 "--plot", str(tmp_path / "smoke.png")]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["file"] for o in out] == files
    assert all(isinstance(o["text"], str) and Path(o["plot"]).is_file() for o in out)
