"""A 2-D articulated human figure: body proportions, a pose (joint angles), forward kinematics, drawing.

Angles are degrees from "hanging straight down"; positive turns a limb towards where the figure faces
(90 = horizontal forward, 180 = straight up). ``side`` on a limb (+1/-1) mirrors it, which is how limbs
swing out sideways (jumping jack) in this flat projection.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass
class Body:
    height: float  # pixels, standing
    torso: float
    thigh: float
    shin: float
    upper_arm: float
    forearm: float
    head: float  # radius
    shoulder_w: float  # horizontal offset between the two shoulders / hips (viewing angle)
    limb_w: float  # limb thickness
    torso_w: float
    skin: tuple[int, int, int]
    shirt: tuple[int, int, int]
    pants: tuple[int, int, int]
    shoes: tuple[int, int, int]

    @classmethod
    def random(cls, rng: np.random.Generator, height: float) -> "Body":
        def jitter(x):  # each proportion varies by +-12 %
            return x * height * rng.uniform(0.88, 1.12)

        def colour():
            hsv = np.uint8([[[rng.integers(0, 180), rng.integers(60, 256), rng.integers(60, 256)]]])
            return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])

        skin_tones = [(60, 80, 120), (90, 130, 190), (120, 160, 220), (150, 190, 235), (40, 60, 90)]
        skin = np.clip(np.array(skin_tones[rng.integers(len(skin_tones))]) + rng.integers(-15, 16, 3), 0, 255)
        return cls(
            height=height, torso=jitter(0.30), thigh=jitter(0.24), shin=jitter(0.23), upper_arm=jitter(0.17),
            forearm=jitter(0.16), head=jitter(0.065), shoulder_w=height * rng.uniform(0.0, 0.14),
            limb_w=max(2.0, height * rng.uniform(0.06, 0.09)), torso_w=max(3.0, height * rng.uniform(0.11, 0.15)),
            skin=tuple(int(c) for c in skin), shirt=colour(), pants=colour(),
            shoes=tuple(int(c) for c in rng.integers(0, 80, 3)),
        )


@dataclass
class Limb:
    upper: float = 0.0  # angle of the upper segment (shoulder / hip)
    bend: float = 0.0  # elbow (adds to the angle) or knee (subtracts: knees bend backwards)
    side: float = 1.0  # +1 towards facing, -1 mirrored (sideways movement)


@dataclass
class Pose:
    lean: float = 0.0  # torso, forward from vertical
    near_arm: Limb = field(default_factory=Limb)
    far_arm: Limb = field(default_factory=Limb)
    near_leg: Limb = field(default_factory=Limb)
    far_leg: Limb = field(default_factory=Limb)
    lift: float = 0.0  # pixels above the ground (jumps)
    shift: float = 0.0  # pixels moved in the facing direction (walking)


def _dir(angle: float, facing: float) -> np.ndarray:
    a = math.radians(angle)
    return np.array([facing * math.sin(a), math.cos(a)])


def _fixed(p) -> tuple[int, int]:
    """A point in OpenCV's 4-bit fixed point (shift=4). Plain Python rounding (half to even, as
    np.round) because numpy's per-call overhead dominated drawing."""
    return round(float(p[0]) * 16), round(float(p[1]) * 16)


def _leg_drop(body: Body, leg: Limb) -> float:
    """Vertical distance from hip to foot."""
    return body.thigh * math.cos(math.radians(leg.upper)) + body.shin * math.cos(math.radians(leg.upper - leg.bend))


def draw_figure(img: np.ndarray, body: Body, pose: Pose, x: float, ground: float, facing: float) -> None:
    """Draw ``body`` in ``pose`` onto ``img`` (BGR, in place), feet on ``ground``, centred at ``x``."""
    drop = max(_leg_drop(body, pose.near_leg), _leg_drop(body, pose.far_leg))
    pelvis = np.array([x + facing * pose.shift, ground - drop - pose.lift])
    neck = pelvis + body.torso * np.array([facing * math.sin(math.radians(pose.lean)), -math.cos(math.radians(pose.lean))])
    off = np.array([body.shoulder_w / 2, 0.0])
    # far side is drawn first and darker, so the near limbs occlude it
    shade = lambda c, k: tuple(int(v * k) for v in c)  # noqa: E731

    def chain(root, limb: Limb, l1, l2, knee: bool):
        s = facing * limb.side
        mid = root + l1 * _dir(limb.upper, s)
        end = mid + l2 * _dir(limb.upper - limb.bend if knee else limb.upper + limb.bend, s)
        return mid, end

    def seg(p, q, colour, width):
        cv2.line(img, _fixed(p), _fixed(q), colour,
                 max(1, int(round(width))), cv2.LINE_AA, shift=4)

    def leg(root, limb, k):
        knee, foot = chain(root, limb, body.thigh, body.shin, True)
        seg(root, knee, shade(body.pants, k), body.limb_w * 1.2)
        seg(knee, foot, shade(body.pants, k), body.limb_w)
        toe = foot + body.limb_w * 1.2 * np.array([facing, 0.0])
        seg(foot, toe, shade(body.shoes, k), body.limb_w)

    def arm(root, limb, k):
        elbow, hand = chain(root, limb, body.upper_arm, body.forearm, False)
        seg(root, elbow, shade(body.shirt, k), body.limb_w)
        seg(elbow, hand, shade(body.skin, k), body.limb_w * 0.85)
        cv2.circle(img, _fixed(hand), int(body.limb_w * 0.6 * 16), shade(body.skin, k), -1, cv2.LINE_AA, shift=4)

    arm(neck - off, pose.far_arm, 0.75)
    leg(pelvis - off, pose.far_leg, 0.75)
    seg(pelvis, neck, body.shirt, body.torso_w)
    leg(pelvis + off, pose.near_leg, 1.0)
    head = neck + (body.head * 1.25) * np.array([facing * math.sin(math.radians(pose.lean)), -math.cos(math.radians(pose.lean))])
    cv2.circle(img, _fixed(head), int(body.head * 16), body.skin, -1, cv2.LINE_AA, shift=4)
    arm(neck + off, pose.near_arm, 1.0)
