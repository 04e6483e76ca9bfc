"""The bundled speech-en model (CMU AN4): the default of `suite transcribe`, decoding with the word LM it ships."""
from __future__ import annotations

import json
from pathlib import Path

from suite.cli import main
from suite.inference import load_predictor
from suite.metrics import wer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "speech" / "an4"
MODEL = ROOT / "speech" / "models" / "speech-en.pt"
# measured 2026-11-30: 5 of the 27 words wrong with the bundle's decoding (18.5%), 6 greedy (22.2%); AN4 test
# overall 14.1% / 17.6%. The bounds leave room for a retrained bundle, not for a broken one (100%).
WER_BOUND, GREEDY_WER_BOUND = 0.3, 0.35


def expected() -> dict[str, str]:
    return dict(line.split("\t") for line in (EXAMPLES / "transcripts.tsv").read_text().splitlines())


def test_bundle_and_its_lm_ship_with_the_project():
    assert MODEL.is_file(), "speech/models/speech-en.pt is missing (scripts/train_speech_en.sh builds it)"
    p = load_predictor("speech-en", device="cpu")
    d = p.config.decode
    assert d.decoder == "beam" and Path(d.lexicon).is_file()
    assert Path(d.lexicon).parent == MODEL.parent  # resolved beside the bundle, whatever the working folder
    assert "AN4" in p.info["description"]


def test_default_model_transcribes_the_an4_examples(capsys):
    exp = expected()
    files = [str(EXAMPLES / name) for name in exp]
    capsys.readouterr()
    assert main(["transcribe", *files, "--json"]) == 0  # no --model: speech-en
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [Path(o["file"]).name for o in out] == list(exp)
    refs = [exp[Path(o["file"]).name] for o in out]
    assert wer(refs, [o["text"] for o in out]) <= WER_BOUND, out
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)


def test_greedy_decoding_without_the_lm_still_reads_them(capsys):
    exp = expected()
    files = [str(EXAMPLES / name) for name in exp]
    capsys.readouterr()
    assert main(["transcribe", "--decoder", "greedy", *files, "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    refs = [exp[Path(o["file"]).name] for o in out]
    assert wer(refs, [o["text"] for o in out]) <= GREEDY_WER_BOUND, out
