"""`suite synth video`: procedural clips of articulated figures doing actions, one folder per class.

Every clip draws its own body proportions, clothes, background texture, camera offset/drift, scale,
facing direction, speed, sensor noise and JPEG+MPEG-4 compression. ``--scene cluttered`` (video/scene.py)
adds textured backgrounds, moving distractor shapes, idle bystanders, lighting drift and camera shake. Clip ``i`` of class ``c`` depends
only on (seed, c, i), so a seed always regenerates the same set. Reversed classes (stand_up, lower_arm)
are their partner's clips played backwards: no single frame tells the pair apart.
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, replace
from pathlib import Path

import cv2
import numpy as np

from suite.errors import SuiteError

from .actions import ACTIONS, REVERSED_PAIRS
from .figure import Body, draw_figure
from .scene import SCENES, Bystander, Distractor, Scene, camera_shake, lighting_gains, textured_background

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


def render_clip(action: str, rng: np.random.Generator, size: int = 64, scene: Scene | None = None) -> list[np.ndarray]:
    """BGR frames of one clip of ``action`` (``scene``: clutter, lighting, shake, length; default clean)."""
    scene = scene or Scene()
    builder, reverse = ACTIONS[action]
    canvas = 2 * size  # drawn at twice the size, then shrunk: anti-aliased thin limbs
    lo, hi = scene.frame_range()
    n_frames = max(2, int(rng.integers(round(lo), round(hi) + 1)))
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
    # the scene's own draws come from a child generator, so a clean scene renders exactly as before
    extra = rng.spawn(1)[0]
    if scene.background == "textured":
        background = textured_background(extra, background, ground)
    shapes = [Distractor.random(extra, world_w, world_h) for _ in range(_count(extra, scene.distractors))]
    people = [Bystander.random(extra, canvas, world_w, ground) for _ in range(_count(extra, scene.bystanders))]
    gains = lighting_gains(extra, scene.lighting, n_frames) if scene.lighting > 0 else None
    shake = camera_shake(extra, scene.camera_jitter, n_frames, canvas) if scene.camera_jitter > 0 else None
    frames = []
    for i in range(n_frames):
        t = i / (n_frames - 1)
        world = background.copy()
        for shape in shapes:
            if not shape.in_front:
                shape.draw(world, t)
        for person in people:
            person.draw(world, t)
        draw_figure(world, body, trajectory(t), x0, ground, facing)
        for shape in shapes:
            if shape.in_front:
                shape.draw(world, t)
        view = _view(world, cam0 + drift * t, canvas, shake, i)
        frame = cv2.resize(view, (size, size), interpolation=cv2.INTER_AREA)
        if gains is not None:
            frame = frame * gains[i]
        frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
        ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        frames.append(cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    return frames[::-1] if reverse else frames


def _count(rng: np.random.Generator, most: int) -> int:
    """How many of up to ``most`` things a clip gets: at least half of them."""
    return int(rng.integers((most + 1) // 2, most + 1)) if most > 0 else 0


def _view(world: np.ndarray, corner: np.ndarray, canvas: int, shake, i: int) -> np.ndarray:
    """The camera's square of ``world`` at ``corner``, moved and zoomed by frame ``i`` of ``shake``."""
    if shake is None:
        cx, cy = np.round(corner).astype(int)
        return world[cy:cy + canvas, cx:cx + canvas]
    side = int(round(canvas / shake[1][i]))
    h, w = world.shape[:2]
    side = min(side, h, w)
    centre = corner + canvas / 2 + shake[0][i]
    x = int(np.clip(round(centre[0] - side / 2), 0, w - side))
    y = int(np.clip(round(centre[1] - side / 2), 0, h - side))
    return world[y:y + side, x:x + side]


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


def generate(out: Path, seed: int = 0, per_class: int = 20, size: int = 64, actions: list[str] | None = None,
             scene: Scene | None = None) -> Path:
    """Write OUT/<action>/<action>_NNNN.mp4, OUT/manifest.jsonl and OUT/synth.json (the settings);
    returns the manifest path."""
    scene = scene or Scene()
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
            write_mp4(render_clip(action, clip_rng(seed, class_index, i), size, scene), out / rel, fps=scene.fps)
            rows.append({"video": rel, "label": action, "id": f"{action}_{i:04d}"})
    settings = {"seed": seed, "per_class": per_class, "size": size, "actions": actions, "scene": asdict(scene)}
    _write_atomic(out / "synth.json", json.dumps(settings, indent=1) + "\n")
    manifest = out / "manifest.jsonl"
    _write_atomic(manifest, "".join(json.dumps(r) + "\n" for r in rows))
    return manifest


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def scene_from_args(args: argparse.Namespace) -> Scene:
    """The ``--scene`` preset with the single settings given on the command line applied over it."""
    scene = replace(SCENES[args.scene], fps=args.fps,
                    seconds=tuple(args.seconds) if args.seconds else None)
    for name in ("background", "distractors", "bystanders", "lighting", "camera_jitter"):
        value = getattr(args, name, None)
        if value is not None:
            scene = replace(scene, **{name: value})
    checks = [
        (0 < scene.fps <= 240, "--fps must be in (0, 240]"),
        (0 <= scene.distractors <= 50 and 0 <= scene.bystanders <= 10, "--distractors must be 0-50 and --bystanders 0-10"),
        (0 <= scene.lighting <= 2 and 0 <= scene.camera_jitter <= 3, "--lighting must be 0-2 and --camera-jitter 0-3"),
        (scene.seconds is None or 0 < scene.seconds[0] <= scene.seconds[1], "--seconds needs 0 < MIN <= MAX"),
    ]
    for ok, reason in checks:
        if not ok:
            raise SuiteError(reason)
    lo, hi = scene.frame_range()
    if round(lo) < 2 or round(hi) > 10_000:
        raise SuiteError(f"clips would have {round(lo)}-{round(hi)} frames; --seconds x --fps must give 2-10000")
    return scene


def run_synth(args: argparse.Namespace) -> Path:
    if args.per_class < 1 or args.size < 16:
        raise SuiteError("--per-class must be >= 1 and --size >= 16")
    if args.size > 1024:
        raise SuiteError("--size must be <= 1024")
    scene = scene_from_args(args)
    manifest = generate(Path(args.out), args.seed, args.per_class, args.size, args.actions, scene)
    pairs = ", ".join(f"{a}/{b}" for a, b in REVERSED_PAIRS)
    print(f"wrote {args.per_class * len(args.actions or ACTIONS)} clips and {manifest} (time-reversed pairs: {pairs})")
    return manifest
