"""Benchmark: optical flow of a thin limb on clutter at ``features.flow_scale`` 1, 2 and 3 (video/motion.py).

A limb 2 px wide at the model's 64 px (a stick figure's arm at the scratch recipe's size) crosses a cluttered
background (blurred colour noise), moving 2 px across itself between the two frames of a pair. Each scale
renders the same scene at 64 * scale px, measures the flow there and area-averages it back to 64 px
(``flow_clip``). Printed per scale, over ``--seeds`` backgrounds: the endpoint error of the mean flow on the
limb (px of the 64 px input; truth 2 px), the flow's magnitude in the clutter 2-4 px beside the limb (should
be 0: the window smearing the limb's motion into its surroundings), and the time of one pair's flow (one
thread), each as a ratio to scale 1.

    python -m bench.bench_flow_scale [--seeds 20]
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch

from video.motion import flow_clip, flow_pixels

SIZE = 64
START, END = (24, 44), (40, 20)  # the limb's ends at 64 px
SHIFT = 2 * np.array([24.0, 16.0]) / np.hypot(24.0, 16.0)  # 2 px across the limb


def clutter(seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(0, 256, (4 * SIZE, 4 * SIZE, 3)).astype(np.uint8)
    return cv2.GaussianBlur(noise, (3, 3), 0)


def frame(background: np.ndarray, shift: np.ndarray, scale: int) -> np.ndarray:
    img = cv2.resize(background, (SIZE * scale, SIZE * scale), interpolation=cv2.INTER_AREA)
    a = tuple(int(round((p + d) * scale)) for p, d in zip(START, shift))
    b = tuple(int(round((p + d) * scale)) for p, d in zip(END, shift))
    cv2.line(img, a, b, (230, 200, 60), thickness=2 * scale)
    return img


def masks() -> tuple[np.ndarray, np.ndarray]:
    limb = np.zeros((SIZE, SIZE), np.uint8)
    cv2.line(limb, START, END, 1, 2)
    beside = cv2.dilate(limb, np.ones((9, 9), np.uint8)) - cv2.dilate(limb, np.ones((5, 5), np.uint8))
    return limb > 0, beside > 0


def measure(scale: int, seeds: int) -> dict:
    on, beside = masks()
    errors, leaks, seconds = [], [], []
    for seed in range(seeds):
        bg = clutter(seed)
        pair = np.stack([frame(bg, np.zeros(2), scale), frame(bg, SHIFT, scale)])
        pairs = torch.from_numpy(pair).permute(0, 3, 1, 2)
        t = time.perf_counter()
        flow = flow_pixels(flow_clip(pairs, rgb=False, scale=scale)[0]).numpy()
        seconds.append(time.perf_counter() - t)
        errors.append(float(np.hypot(*(flow[:, on].mean(axis=1) - SHIFT))))
        leaks.append(float(np.hypot(*flow[:, beside]).mean()))
    return {"error": float(np.mean(errors)), "beside": float(np.mean(leaks)), "ms": 1000 * float(np.median(seconds))}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    results = {scale: measure(scale, args.seeds) for scale in (1, 2, 3)}
    base = results[1]
    for scale, r in results.items():
        print(f"flow_scale {scale} ({SIZE * scale:>3} px): "
              f"limb error {r['error']:.2f} px ({r['error'] / base['error']:.2f}x)  "
              f"beside {r['beside']:.2f} px ({r['beside'] / base['beside']:.2f}x)  "
              f"{r['ms']:.2f} ms a pair ({r['ms'] / base['ms']:.1f}x)")


if __name__ == "__main__":
    main()
