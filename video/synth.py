"""`suite synth video`: procedural clips of articulated figures doing actions, one folder per class.

Every clip draws its own body proportions, clothes, background texture, camera offset/drift, scale,
facing direction, speed, sensor noise and JPEG+MPEG-4 compression. Clip ``i`` of class ``c`` depends
only on (seed, c, i), so a seed always regenerates the same set. Reversed classes (stand_up, lower_arm)
are their partner's clips played backwards: no single frame tells the pair apart.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import cv2
import numpy as np

from suite.errors import SuiteError

from .actions import ACTIONS, REVERSED_PAIRS
from .figure import Body, draw_figure

FPS = 12


def _background(rng: np.random.Generator, w: int, h: int, ground: float) -> np.ndarray:
    """Smooth colour field + fixed texture + a few shapes + a floor band."""
    k = int(rng.integers(2, 7))
    blend = cv2.resize(rng.random((k, k, 1)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
    c1, c2 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    img = c1 * blend + c2 * (1 - blend)
    img += rng.normal(0, rng.uniform(0, 12), (h, w, 1 if rng.random() < 0.5 else 3))
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(0, 4))):  # clutter: bars and boxes
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(4, w // 3)), y + int(rng.integers(4, h // 3))), colour, -1)
        else:
            cv2.line(img, (x, 0), (int(rng.integers(0, w)), h), colour, int(rng.integers(1, 5)))
    floor = tuple(int(c) for c in rng.integers(0, 256, 3))
    alpha = rng.uniform(0.0, 0.8)
    g = int(ground)
    img[g:] = (img[g:] * (1 - alpha) + np.array(floor) * alpha).astype(np.uint8)
    return cv2.GaussianBlur(img, (3, 3), 0)


def render_clip(action: str, rng: np.random.Generator, size: int = 64) -> list[np.ndarray]:
    """BGR frames of one clip of ``action``."""
    builder, reverse = ACTIONS[action]
    canvas = 2 * size  # drawn at twice the size, then shrunk: anti-aliased thin limbs
    n_frames = int(rng.integers(16, 25))
    margin = canvas // 4
    world_w, world_h = canvas + 2 * margin, canvas + 2 * margin
    height = rng.uniform(0.65, 0.85) * canvas
    body = Body.random(rng, height)
    facing = float(rng.choice([-1.0, 1.0]))
    ground = margin + canvas * rng.uniform(0.9, 0.98)
    x0 = world_w / 2 + rng.uniform(-0.1, 0.1) * canvas
    background = _background(rng, world_w, world_h, ground)
    cam0 = np.array([margin, margin]) + rng.uniform(-0.5, 0.5, 2) * margin
    drift = rng.uniform(-0.4, 0.4, 2) * margin  # camera pan over the clip
    noise, quality = rng.uniform(0, 6), int(rng.integers(50, 95))
    trajectory = builder(rng, height)
    frames = []
    for i in range(n_frames):
        t = i / (n_frames - 1)
        world = background.copy()
        draw_figure(world, body, trajectory(t), x0, ground, facing)
        cx, cy = np.round(cam0 + drift * t).astype(int)
        frame = cv2.resize(world[cy:cy + canvas, cx:cx + canvas], (size, size), interpolation=cv2.INTER_AREA)
        frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
        ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        frames.append(cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    return frames[::-1] if reverse else frames


def write_mp4(frames: list[np.ndarray], path: Path, fps: float = FPS) -> None:
    """MPEG-4 Part 2 ('mp4v') file written next to ``path`` then renamed into place."""
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.mp4")
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise SuiteError("OpenCV cannot write mp4v video here", path)
    for frame in frames:
        writer.write(frame)
    writer.release()
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def clip_rng(seed: int, class_index: int, clip_index: int) -> np.random.Generator:
    return np.random.default_rng([seed, class_index, clip_index])


def generate(out: Path, seed: int = 0, per_class: int = 20, size: int = 64, actions: list[str] | None = None) -> Path:
    """Write OUT/<action>/<action>_NNNN.mp4 and OUT/manifest.jsonl; returns the manifest path."""
    actions = actions or list(ACTIONS)
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown:
        raise SuiteError(f"unknown action(s) {', '.join(unknown)} (known: {', '.join(ACTIONS)})")
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for action in actions:
        class_index = list(ACTIONS).index(action)
        (out / action).mkdir(exist_ok=True)
        for i in range(per_class):
            rel = f"{action}/{action}_{i:04d}.mp4"
            write_mp4(render_clip(action, clip_rng(seed, class_index, i), size), out / rel)
            rows.append({"video": rel, "label": action, "id": f"{action}_{i:04d}"})
    manifest = out / "manifest.jsonl"
    tmp = manifest.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, manifest)
    return manifest


def add_synth_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder (one sub-folder per action)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same clips (default 0)")
    parser.add_argument("--per-class", type=int, default=20, help="clips per action (default 20)")
    parser.add_argument("--size", type=int, default=64, help="frame side in pixels (default 64)")
    parser.add_argument("--actions", nargs="+", metavar="ACTION", help=f"subset of: {' '.join(ACTIONS)}")


def run_synth(args: argparse.Namespace) -> Path:
    if args.per_class < 1 or args.size < 16:
        raise SuiteError("--per-class must be >= 1 and --size >= 16")
    manifest = generate(Path(args.out), args.seed, args.per_class, args.size, args.actions)
    pairs = ", ".join(f"{a}/{b}" for a, b in REVERSED_PAIRS)
    print(f"wrote {args.per_class * len(args.actions or ACTIONS)} clips and {manifest} (time-reversed pairs: {pairs})")
    return manifest
