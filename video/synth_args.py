"""The arguments of `suite synth video`, without the generator's imports (OpenCV, numpy): building the
command line costs nothing until the command runs."""
from __future__ import annotations

import argparse

# the generator's names, here so the parser needs no numpy; tests check they match video.actions / video.scene
ACTIONS = ("sit_down", "stand_up", "raise_arm", "lower_arm", "wave", "jump", "walk", "kick", "clap", "jumping_jack")
SCENES = ("clean", "cluttered")
BACKGROUNDS = ("plain", "textured")


def add_synth_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder (one sub-folder per action)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same clips (default 0)")
    parser.add_argument("--per-class", type=int, default=20, help="clips per action (default 20)")
    parser.add_argument("--size", type=int, default=64, help="frame side in pixels (default 64)")
    parser.add_argument("--actions", nargs="+", metavar="ACTION", help=f"subset of: {' '.join(ACTIONS)}")
    g = parser.add_argument_group("scene", "a preset, then single settings that override it")
    g.add_argument("--scene", choices=list(SCENES), default="clean",
                   help="clean (default): plain backgrounds, steady light and camera; cluttered: all of the below on")
    g.add_argument("--background", choices=BACKGROUNDS, help="textured: random textures on wall, floor and patches")
    g.add_argument("--distractors", type=int, metavar="N", help="up to N moving shapes per clip (cluttered: 4)")
    g.add_argument("--bystanders", type=int, metavar="N", help="up to N smaller idle figures per clip (cluttered: 2)")
    g.add_argument("--lighting", type=float, metavar="S",
                   help="brightness/colour change between and within clips, 0 off .. 1 strong (cluttered: 1)")
    g.add_argument("--camera-jitter", type=float, metavar="S",
                   help="per-frame camera shake and zoom, 0 off .. 1 hand-held (cluttered: 1)")
    g.add_argument("--fps", type=float, default=12.0, help="frame rate (default 12)")
    g.add_argument("--seconds", type=float, nargs=2, metavar=("MIN", "MAX"),
                   help="clip length range in seconds (default 1.33-2, i.e. 16-24 frames at 12 fps)")
