"""The generator's actions: each maps clip-level random choices to a pose trajectory ``t -> Pose``
(t runs 0..1 over the clip). Reversed classes are not defined here: the generator renders their
partner and plays it backwards, so both classes have exactly the same distribution of single frames."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .figure import Limb, Pose

Trajectory = Callable[[float], Pose]


def _progress(rng: np.random.Generator) -> Callable[[float], float]:
    """0 -> 1 with random holds before/after and a smooth ease (speed differs between clips)."""
    h0, h1 = rng.uniform(0.0, 0.25), rng.uniform(0.0, 0.25)

    def p(t: float) -> float:
        x = min(1.0, max(0.0, (t - h0) / (1.0 - h0 - h1)))
        return x * x * (3 - 2 * x)

    return p


def _cycle(rng: np.random.Generator, lo: float, hi: float) -> Callable[[float], float]:
    """A periodic signal in [0, 1] with a random number of cycles and phase."""
    cycles, phase = rng.uniform(lo, hi), rng.uniform(0, 2 * math.pi)
    return lambda t: 0.5 - 0.5 * math.cos(2 * math.pi * cycles * t + phase)


def _rest(rng: np.random.Generator) -> dict:
    """Small random differences in the standing posture."""
    return {
        "lean": rng.uniform(-4, 6),
        "arm": [(rng.uniform(-12, 18), rng.uniform(0, 25)) for _ in range(2)],
        "leg": [(rng.uniform(-6, 6), rng.uniform(0, 8)) for _ in range(2)],
    }


def _pose(rest: dict, **kw) -> Pose:
    pose = Pose(
        lean=rest["lean"],
        near_arm=Limb(*rest["arm"][0]), far_arm=Limb(*rest["arm"][1]),
        near_leg=Limb(*rest["leg"][0]), far_leg=Limb(*rest["leg"][1]),
    )
    for key, value in kw.items():
        setattr(pose, key, value)
    return pose


def sit_down(rng, height):
    rest, p = _rest(rng), _progress(rng)
    hip, knee, lean, reach = rng.uniform(75, 100), rng.uniform(80, 110), rng.uniform(10, 35), rng.uniform(10, 50)

    def traj(t):
        s = p(t)
        arms = [Limb(a + reach * s, e) for a, e in rest["arm"]]
        legs = [Limb(h + hip * s, k + knee * s) for h, k in rest["leg"]]
        return _pose(rest, lean=rest["lean"] + lean * s, near_arm=arms[0], far_arm=arms[1], near_leg=legs[0], far_leg=legs[1])

    return traj


def raise_arm(rng, height):
    rest, p = _rest(rng), _progress(rng)
    which, top, side = rng.integers(2), rng.uniform(140, 180), rng.choice([-1.0, 1.0])

    def traj(t):
        s = p(t)
        a, e = rest["arm"][which]
        arm = Limb(a + (top - a) * s, e * (1 - s), side)
        return _pose(rest, **{("near_arm", "far_arm")[which]: arm})

    return traj


def wave(rng, height):
    rest, c = _rest(rng), _cycle(rng, 1.5, 3.5)
    which, up, swing, side = rng.integers(2), rng.uniform(120, 160), rng.uniform(30, 60), rng.choice([-1.0, 1.0])

    def traj(t):
        arm = Limb(up, -swing / 2 + swing * c(t), side)
        return _pose(rest, **{("near_arm", "far_arm")[which]: arm})

    return traj


def jump(rng, height):
    rest, cycles, peak = _rest(rng), rng.uniform(1.0, 2.2), rng.uniform(0.12, 0.25) * height
    phase = rng.uniform(0, 0.3)

    def traj(t):
        x = (cycles * t + phase) % 1.0
        air = math.sin(math.pi * x)  # 0 on the ground, 1 at the top
        crouch = max(0.0, 1 - 4 * x) + max(0.0, 4 * x - 3)  # knees bend at take-off and landing
        legs = [Limb(h + 35 * crouch, k + 60 * crouch) for h, k in rest["leg"]]
        arms = [Limb(a + 120 * air, e) for a, e in rest["arm"]]
        return _pose(rest, lift=peak * air, near_leg=legs[0], far_leg=legs[1], near_arm=arms[0], far_arm=arms[1])

    return traj


def walk(rng, height):
    rest, cycles, phase = _rest(rng), rng.uniform(1.0, 2.5), rng.uniform(0, 2 * math.pi)
    stride, distance = rng.uniform(20, 35), rng.uniform(0.25, 0.6) * height

    def traj(t):
        w = math.sin(2 * math.pi * cycles * t + phase)
        legs = [Limb(stride * w, 25 * max(0.0, -w)), Limb(-stride * w, 25 * max(0.0, w))]
        arms = [Limb(-0.8 * stride * w, 15), Limb(0.8 * stride * w, 15)]
        return _pose(rest, near_leg=legs[0], far_leg=legs[1], near_arm=arms[0], far_arm=arms[1], shift=distance * (t - 0.5))

    return traj


def kick(rng, height):
    rest, p = _rest(rng), _progress(rng)
    which, top = rng.integers(2), rng.uniform(60, 95)

    def traj(t):
        s = math.sin(math.pi * p(t))  # up and back down
        h, k = rest["leg"][which]
        leg = Limb(h + top * s, k + 30 * s * (1 - s))
        arms = [Limb(a - 25 * s, e) for a, e in rest["arm"]]
        return _pose(rest, lean=rest["lean"] - 10 * s, near_arm=arms[0], far_arm=arms[1], **{("near_leg", "far_leg")[which]: leg})

    return traj


def clap(rng, height):
    rest, c = _rest(rng), _cycle(rng, 2.0, 4.0)
    level, open_ = rng.uniform(60, 100), rng.uniform(40, 70)

    def traj(t):
        o = c(t)
        arms = [Limb(level, 10 + open_ * o, 1.0), Limb(level - open_ * o, 10, 1.0)]
        return _pose(rest, near_arm=arms[0], far_arm=arms[1])

    return traj


def jumping_jack(rng, height):
    rest, c = _rest(rng), _cycle(rng, 1.5, 3.0)
    arm_top, leg_out, hop = rng.uniform(130, 175), rng.uniform(15, 30), rng.uniform(0.02, 0.06) * height

    def traj(t):
        o = c(t)
        arms = [Limb(10 + (arm_top - 10) * o, 10, 1.0), Limb(10 + (arm_top - 10) * o, 10, -1.0)]
        legs = [Limb(3 + leg_out * o, 0, 1.0), Limb(3 + leg_out * o, 0, -1.0)]
        return _pose(rest, near_arm=arms[0], far_arm=arms[1], near_leg=legs[0], far_leg=legs[1],
                     lift=hop * math.sin(math.pi * o))

    return traj


# class name -> (trajectory builder, reversed?). A reversed class plays its partner's clip backwards.
ACTIONS: dict[str, tuple[Callable[..., Trajectory], bool]] = {
    "sit_down": (sit_down, False),
    "stand_up": (sit_down, True),
    "raise_arm": (raise_arm, False),
    "lower_arm": (raise_arm, True),
    "wave": (wave, False),
    "jump": (jump, False),
    "walk": (walk, False),
    "kick": (kick, False),
    "clap": (clap, False),
    "jumping_jack": (jumping_jack, False),
}
REVERSED_PAIRS = [("sit_down", "stand_up"), ("raise_arm", "lower_arm")]
