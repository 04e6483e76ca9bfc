"""`suite synth video`: layout, determinism per seed, reversed pairs."""
from __future__ import annotations

import hashlib
import json

import numpy as np

from suite.cli import main
from video.actions import ACTIONS, REVERSED_PAIRS
from video.decode import probe
from video.synth import clip_rng, render_clip


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.mp4"))}


def test_actions_and_pairs():
    assert len(ACTIONS) >= 8 and len(REVERSED_PAIRS) >= 2
    for a, b in REVERSED_PAIRS:
        assert ACTIONS[a][0] is ACTIONS[b][0] and ACTIONS[a][1] != ACTIONS[b][1]


def test_reversed_class_is_partner_played_backwards():
    for a, b in REVERSED_PAIRS:
        forward = render_clip(a, clip_rng(5, 0, 0), size=32)
        backward = render_clip(b, clip_rng(5, 0, 0), size=32)
        assert len(forward) == len(backward) >= 16
        assert all(np.array_equal(f, g) for f, g in zip(forward, backward[::-1]))
        assert not np.array_equal(forward[0], forward[-1])  # the figure really moves


def test_layout_and_determinism(tmp_path):
    args = ["synth", "video", "--per-class", "2", "--size", "32"]
    assert main(args + ["--out", str(tmp_path / "a"), "--seed", "3"]) == 0
    assert main(args + ["--out", str(tmp_path / "b"), "--seed", "3"]) == 0
    assert main(args + ["--out", str(tmp_path / "c"), "--seed", "4"]) == 0
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert len(a) == 2 * len(ACTIONS) and a == b
    assert a.keys() == c.keys() and all(a[k] != c[k] for k in a)
    rows = [json.loads(line) for line in (tmp_path / "a" / "manifest.jsonl").read_text().splitlines()]
    assert {r["label"] for r in rows} == set(ACTIONS)
    assert all(r["video"].split("/")[0] == r["label"] for r in rows)
    info = probe(tmp_path / "a" / rows[0]["video"])
    assert (info.width, info.height) == (32, 32) and 16 <= info.frame_count <= 24


def test_bad_arguments(tmp_path, capsys):
    assert main(["synth", "video", "--out", str(tmp_path), "--actions", "fly"]) != 0
    assert "unknown action" in capsys.readouterr().err
