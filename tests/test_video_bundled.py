"""The bundled `video-actions-demo` model on the example clips (the bundle is committed: no skip when missing)."""
from __future__ import annotations

import json
from pathlib import Path

from suite.cli import main
from video.domain import DOMAIN

BUNDLE = Path(DOMAIN.bundled_models["video-actions-demo"])
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "video"

def test_bundle_is_small():
    assert BUNDLE.is_file(), "video/models/video-actions-demo.pt is missing (scripts/train_video_demo.sh builds it)"
    assert BUNDLE.stat().st_size < 10 * 2**20


def test_labels_example_clips(capsys):
    clips = sorted(p for p in EXAMPLES.glob("*.mp4") if p.stem != "sequence")
    assert main(["label", *map(str, clips), "--json"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    correct = sum(Path(r["file"]).stem == r["label"] for r in results)
    assert len(results) == len(clips) >= 8 and correct >= len(clips) - 3


def test_timeline_on_example_sequence(capsys):
    assert main(["label", str(EXAMPLES / "sequence.mp4"), "--timeline", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["segments"]) >= 2 and result["segments"][-1]["end"] > 7
