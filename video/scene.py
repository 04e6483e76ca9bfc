"""Harder scenes for `suite synth video`: textured backgrounds, moving distractor shapes, idle bystander
figures, lighting drift and camera shake. Every option is off in the ``clean`` scene (the generator's
original look); ``cluttered`` turns all of them on.

None of them depends on the action, and each is as likely forwards as backwards in time, so the
time-reversed classes (stand_up, lower_arm) still share their partner's distribution of frames.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .figure import Body, Limb, Pose, draw_figure

BACKGROUNDS = ("plain", "textured")


@dataclass(frozen=True)
class Scene:
    """What a generated clip looks like beyond the acting figure (and how long it is)."""

    background: str = "plain"  # plain: smooth colour field + a few bars/boxes; textured: + random textures
    distractors: int = 0  # up to this many moving shapes per clip (circles, boxes, polygons, bars)
    bystanders: int = 0  # up to this many smaller idle figures in the background
    lighting: float = 0.0  # 0 off; 1: brightness x0.6-1.4 and colour cast per clip, drifting within it
    camera_jitter: float = 0.0  # 0 off; 1: hand-held shake of ~2 % of the frame and +-4 % zoom per frame
    fps: float = 12.0
    seconds: tuple[float, float] | None = None  # clip length range; None: 16-24 frames (as at 12 fps)

    @property
    def clean(self) -> bool:
        return self == replace(Scene(), fps=self.fps, seconds=self.seconds)

    def frame_range(self) -> tuple[float, float]:
        """Clip length range in frames."""
        if self.seconds is None:
            return (16 * self.fps / 12, 24 * self.fps / 12)
        return (self.seconds[0] * self.fps, self.seconds[1] * self.fps)


SCENES = {
    "clean": Scene(),
    "cluttered": Scene(background="textured", distractors=4, bystanders=2, lighting=1.0, camera_jitter=1.0),
}


# ---- textures -------------------------------------------------------------------------------------------

def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, 3).astype(np.float32)


def _fractal(rng, w: int, h: int) -> np.ndarray:
    """Value noise summed over octaves, 0..1: stone, foliage, carpet."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for cells in (4, 8, 16, 32)[: int(rng.integers(2, 5))]:
        grid = rng.random((cells, cells)).astype(np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= rng.uniform(0.4, 0.8)
    return np.clip(out / total, 0, 1)


def _stripes(rng, w: int, h: int) -> np.ndarray:
    """Stripes or a checkerboard at a random angle and period: wallpaper, tiles, fences."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, math.pi)
    period = rng.uniform(6, max(8.0, w / 4))
    u = (xx * math.cos(a) + yy * math.sin(a)) * 2 * math.pi / period
    wave = np.sin(u)
    if rng.random() < 0.4:
        wave = wave * np.sin((-xx * math.sin(a) + yy * math.cos(a)) * 2 * math.pi / period)
    if rng.random() < 0.5:
        wave = np.sign(wave)  # hard edges
    return 0.5 + 0.5 * wave


def _bricks(rng, w: int, h: int) -> np.ndarray:
    """A brick or tile wall: offset rows of blocks with dark joints."""
    bh = int(rng.integers(max(4, h // 20), max(6, h // 6)))
    bw = int(bh * rng.uniform(1.5, 3.0))
    yy, xx = np.mgrid[0:h, 0:w]
    row = yy // bh
    shifted = xx + (row % 2) * (bw // 2)
    joint = ((yy % bh) < 2) | ((shifted % bw) < 2)
    shade = rng.uniform(0.55, 1.0, (h // bh + 2, w // bw + 3)).astype(np.float32)
    out = shade[row, shifted // bw]
    return np.where(joint, 0.1, out).astype(np.float32)


def _blobs(rng, w: int, h: int) -> np.ndarray:
    """Many overlapping ellipses: leaves, gravel, a crowd far away."""
    img = np.full((h, w), rng.uniform(0, 1), np.float32)
    for _ in range(int(rng.integers(20, 60))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(2, max(3, w // 10))), int(rng.integers(2, max(3, h // 10))))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.random()), -1)
    return img


TEXTURES = (_fractal, _stripes, _bricks, _blobs)


def texture(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A random colour texture, uint8 BGR [h, w, 3]."""
    pattern = TEXTURES[int(rng.integers(len(TEXTURES)))](rng, w, h)[..., None]
    c1, c2 = _colour(rng), _colour(rng)
    for _ in range(8):  # two colours that really differ, or the texture is invisible once shrunk
        if np.abs(c1 - c2).mean() >= 70:
            break
        c2 = _colour(rng)
    return np.clip(c1 * pattern + c2 * (1 - pattern), 0, 255).astype(np.uint8)


def textured_background(rng: np.random.Generator, plain: np.ndarray, ground: float) -> np.ndarray:
    """``plain`` with a texture over the wall, another over the floor, and a few framed patches
    (posters, windows, shelves) of their own texture."""
    h, w = plain.shape[:2]
    g = int(ground)
    img = plain.copy()
    wall = texture(rng, w, h)
    alpha = rng.uniform(0.5, 1.0)
    img[:g] = (img[:g] * (1 - alpha) + wall[:g] * alpha).astype(np.uint8)
    floor = texture(rng, w, max(1, h - g))
    alpha = rng.uniform(0.4, 1.0)
    img[g:] = (img[g:] * (1 - alpha) + floor[: h - g] * alpha).astype(np.uint8)
    for _ in range(int(rng.integers(1, 5))):
        pw, ph = int(rng.integers(w // 10, w // 3)), int(rng.integers(h // 10, h // 3))
        x, y = int(rng.integers(0, w - pw)), int(rng.integers(0, max(1, g - ph)))
        img[y:y + ph, x:x + pw] = texture(rng, pw, ph)
        cv2.rectangle(img, (x, y), (x + pw - 1, y + ph - 1), tuple(int(c) for c in _colour(rng)), int(rng.integers(1, 4)))
    return img


# ---- moving things --------------------------------------------------------------------------------------

@dataclass
class Distractor:
    """A shape crossing the scene on a straight or wavy path, spinning, maybe in front of the figure."""

    sides: int  # 0: a circle; 4 with aspect < 1: a bar
    aspect: float  # height / width of the shape before it turns
    colour: tuple[int, int, int]
    size: float
    start: np.ndarray
    velocity: np.ndarray  # world pixels over the whole clip
    wobble: float  # amplitude of an up-and-down oscillation
    cycles: float
    spin: float  # degrees over the clip
    in_front: bool

    @classmethod
    def random(cls, rng: np.random.Generator, w: int, h: int) -> "Distractor":
        sides = int(rng.choice([0, 3, 4, 5, 6]))
        return cls(sides=sides, aspect=rng.uniform(0.15, 0.4) if sides == 4 and rng.random() < 0.5 else 1.0,
                   colour=tuple(int(c) for c in _colour(rng)), size=rng.uniform(0.04, 0.14) * w,
                   start=np.array([rng.uniform(0, w), rng.uniform(0, h)]),
                   velocity=rng.uniform(-0.6, 0.6, 2) * np.array([w, h]), wobble=rng.uniform(0, 0.08) * h,
                   cycles=rng.uniform(0.5, 3), spin=rng.uniform(-360, 360), in_front=bool(rng.random() < 0.3))

    def draw(self, img: np.ndarray, t: float) -> None:
        pos = self.start + self.velocity * (t - 0.5) + np.array([0.0, self.wobble * math.sin(2 * math.pi * self.cycles * t)])
        if self.sides == 0:
            cv2.circle(img, tuple(np.round(pos * 16).astype(int)), int(self.size * 8), self.colour, -1, cv2.LINE_AA, shift=4)
            return
        k = np.arange(self.sides) * 2 * math.pi / self.sides + math.pi / self.sides
        local = np.stack([np.cos(k), self.aspect * np.sin(k)], 1) * self.size / 2
        a = math.radians(self.spin * t)
        pts = local @ np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]]) + pos
        cv2.fillPoly(img, [np.round(pts * 16).astype(np.int32)], self.colour, cv2.LINE_AA, shift=4)


@dataclass
class Bystander:
    """A smaller figure further back, standing and fidgeting (never doing one of the actions)."""

    body: Body
    x: float
    ground: float
    facing: float
    sway: float
    arm: float
    cycles: float
    phase: float

    @classmethod
    def random(cls, rng: np.random.Generator, canvas: float, world_w: int, ground: float) -> "Bystander":
        height = rng.uniform(0.3, 0.55) * canvas
        return cls(body=Body.random(rng, height), x=rng.uniform(0.1, 0.9) * world_w,
                   ground=ground - rng.uniform(0.05, 0.25) * canvas, facing=float(rng.choice([-1.0, 1.0])),
                   sway=rng.uniform(0, 6), arm=rng.uniform(0, 15), cycles=rng.uniform(0.3, 1.5),
                   phase=rng.uniform(0, 2 * math.pi))

    def draw(self, img: np.ndarray, t: float) -> None:
        s = math.sin(2 * math.pi * self.cycles * t + self.phase)
        pose = Pose(lean=self.sway * s, near_arm=Limb(self.arm * s, 10), far_arm=Limb(-self.arm * s, 10))
        draw_figure(img, self.body, pose, self.x, self.ground, self.facing)


# ---- lighting and camera --------------------------------------------------------------------------------

def lighting_gains(rng: np.random.Generator, strength: float, n_frames: int) -> np.ndarray:
    """Per-frame BGR gain [n, 3]: a per-clip brightness and colour cast, drifting to another one within
    the clip (smoothly, or with a flicker now and then)."""
    def draw():
        level = math.exp(rng.uniform(-1, 1) * strength * math.log(1.4))
        return level * (1 + rng.uniform(-0.15, 0.15, 3) * strength)

    g0, g1 = draw(), draw()
    t = np.linspace(0, 1, n_frames)[:, None]
    ease = t * t * (3 - 2 * t)
    gains = g0 * (1 - ease) + g1 * ease
    if rng.random() < 0.3 * strength:  # a flickering light
        gains = gains * (1 + rng.uniform(-0.1, 0.1, (n_frames, 1)) * strength)
    return gains.astype(np.float32)


def camera_shake(rng: np.random.Generator, strength: float, n_frames: int, canvas: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame (dx, dy) offsets in world pixels and zoom factors: smoothed random walks, as a hand-held
    camera (each frame keeps 60 % of the previous frame's shake)."""
    shift, zoom = np.zeros((n_frames, 2)), np.ones(n_frames)
    s, z = np.zeros(2), 0.0
    for i in range(n_frames):
        s = 0.6 * s + rng.normal(0, 0.02 * strength * canvas, 2)
        z = 0.6 * z + rng.normal(0, 0.03 * strength)
        shift[i], zoom[i] = s, 1 + float(np.clip(z, -0.08, 0.08))
    return shift, zoom
