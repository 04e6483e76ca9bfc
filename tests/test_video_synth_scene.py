"""`suite synth video` scene options: clutter, lighting, camera shake, frame rate and length."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import cv2
import numpy as np
import pytest

from suite.cli import main
from video.actions import REVERSED_PAIRS
from video.config import VideoFeatures
from video.decode import probe
from video.loader import load_clip
from video.scene import SCENES, Scene
from video.synth import clip_rng, render_clip

CLEAN, CLUTTERED = SCENES["clean"], SCENES["cluttered"]
N = 12  # paired clips: same seed, same figure and motion, only the scene differs


def _clips(scene: Scene, action: str = "wave", size: int = 48):
    return [render_clip(action, clip_rng(11, 4, i), size, scene) for i in range(N)]


def _detail(frame) -> float:
    """High-frequency energy: variance of the Laplacian of the grey image."""
    return float(cv2.Laplacian(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_default_is_the_clean_scene():
    for i in range(3):
        a = render_clip("kick", clip_rng(2, 7, i), 32)
        b = render_clip("kick", clip_rng(2, 7, i), 32, CLEAN)
        assert all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == len(b)
    assert CLEAN.clean and not CLUTTERED.clean


def test_textured_background_adds_detail():
    clean, textured = _clips(CLEAN), _clips(Scene(background="textured"))
    ratios = [_detail(t[0]) / max(_detail(c[0]), 1e-6) for c, t in zip(clean, textured)]
    assert np.median(ratios) > 1.5, ratios
    assert all(len(c) == len(t) for c, t in zip(clean, textured))  # the figure's clip is unchanged


def test_lighting_changes_brightness_within_and_between_clips():
    def brightness(clips):
        return [np.array([f.mean() for f in clip]) for clip in clips]

    clean, lit = brightness(_clips(CLEAN)), brightness(_clips(Scene(lighting=1.0)))
    within = [np.ptp(b) for b in lit]
    assert sum(w > np.ptp(c) for w, c in zip(within, clean)) >= 0.75 * N
    assert np.std([b.mean() for b in lit]) > np.std([c.mean() for c in clean])
    # colour cast: the ratio of blue to red changes within a lit clip, far less in a clean one
    def cast(clip):
        r = [f[..., 0].mean() / max(f[..., 2].mean(), 1) for f in clip]
        return max(r) - min(r)
    lit_clips, clean_clips = _clips(Scene(lighting=1.0)), _clips(CLEAN)
    assert np.median([cast(c) for c in lit_clips]) > 2 * np.median([cast(c) for c in clean_clips])


def test_camera_jitter_moves_the_whole_frame():
    def motion(clips):  # mean frame-to-frame change
        return [np.mean([np.abs(a.astype(float) - b).mean() for a, b in zip(c, c[1:])]) for c in clips]

    clean, shaky = motion(_clips(CLEAN)), motion(_clips(Scene(camera_jitter=1.0)))
    assert sum(s > c for s, c in zip(shaky, clean)) >= 0.75 * N


def test_distractors_move():
    scene = Scene(distractors=4)
    moved = 0
    for clean, busy in zip(_clips(CLEAN), _clips(scene)):
        diffs = [np.abs(b.astype(int) - c).sum(axis=2) > 60 for b, c in zip(busy, clean)]
        masks = [d for d in diffs if d.any()]
        assert masks, "no distractor visible in any frame"
        centres = [np.argwhere(m).mean(axis=0) for m in masks]
        moved += np.linalg.norm(centres[0] - centres[-1]) > 2
    assert moved >= 0.75 * N


def test_bystanders_add_figures():
    clean, crowd = _clips(CLEAN), _clips(Scene(bystanders=2))
    changed = [np.mean(np.abs(b[0].astype(int) - c[0]).sum(axis=2) > 60) for c, b in zip(clean, crowd)]
    assert np.median(changed) > 0.01


def test_cluttered_reversed_pairs_still_play_backwards():
    for a, b in REVERSED_PAIRS:
        forward = render_clip(a, clip_rng(5, 0, 0), 32, CLUTTERED)
        backward = render_clip(b, clip_rng(5, 0, 0), 32, CLUTTERED)
        assert all(np.array_equal(f, g) for f, g in zip(forward, backward[::-1]))


def test_frame_rate_and_length():
    scene = replace(CLEAN, fps=30, seconds=(2.0, 3.0))
    lengths = [len(render_clip("jump", clip_rng(1, 5, i), 32, scene)) for i in range(10)]
    assert all(60 <= n <= 90 for n in lengths) and len(set(lengths)) > 1
    assert Scene(fps=24).frame_range() == (32, 48)  # the default length in seconds kept


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.mp4"))}


def test_cli_cluttered_clips_decode_and_reproduce(tmp_path):
    args = ["synth", "video", "--per-class", "1", "--size", "40", "--actions", "walk", "clap",
            "--scene", "cluttered", "--fps", "25", "--seconds", "1", "1.4"]
    assert main(args + ["--out", str(tmp_path / "a"), "--seed", "5"]) == 0
    assert main(args + ["--out", str(tmp_path / "b"), "--seed", "5"]) == 0
    assert main(args + ["--out", str(tmp_path / "c"), "--seed", "6"]) == 0
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert len(a) == 2 and a == b and all(a[k] != c[k] for k in a)
    settings = json.loads((tmp_path / "a" / "synth.json").read_text())
    assert settings["scene"]["background"] == "textured" and settings["scene"]["fps"] == 25
    for rel in a:
        info = probe(tmp_path / "a" / rel)
        assert (info.width, info.height) == (40, 40) and abs(info.fps - 25) < 0.01
        assert 25 <= info.frame_count <= 35
        clip = load_clip(tmp_path / "a" / rel, VideoFeatures(num_frames=6, size=32), None)
        assert tuple(clip.shape) == (6, 3, 32, 32) and clip.float().std() > 5


def test_single_settings_override_the_preset(tmp_path):
    out = tmp_path / "o"
    assert main(["synth", "video", "--out", str(out), "--per-class", "1", "--size", "32", "--actions", "jump",
                 "--scene", "cluttered", "--bystanders", "0", "--lighting", "0.3"]) == 0
    scene = json.loads((out / "synth.json").read_text())["scene"]
    assert scene["bystanders"] == 0 and scene["lighting"] == 0.3 and scene["distractors"] == 4


@pytest.mark.parametrize("extra,message", [
    (["--seconds", "2", "1"], "--seconds"),
    (["--fps", "0"], "--fps"),
    (["--distractors", "-1"], "--distractors"),
    (["--fps", "2", "--seconds", "0.1", "0.2"], "frames"),
])
def test_bad_scene_arguments(tmp_path, capsys, extra, message):
    assert main(["synth", "video", "--out", str(tmp_path), "--per-class", "1"] + extra) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_synth_arguments_name_what_the_generator_has():
    """video/synth_args.py keeps the names without importing the generator: they must not drift."""
    from video import synth_args
    from video.actions import ACTIONS
    from video.scene import BACKGROUNDS, SCENES

    assert list(synth_args.ACTIONS) == list(ACTIONS)
    assert list(synth_args.SCENES) == list(SCENES) and tuple(synth_args.BACKGROUNDS) == tuple(BACKGROUNDS)
