"""The video domain's commands: `suite label` and `suite synth video`."""
from __future__ import annotations

import argparse

from suite.cli_tools import add_predict_command, example_epilog

from .synth_args import add_synth_args


def _png(value: str) -> str:
    from suite.explain import check_png_path  # only when asked: --help imports no torch

    return str(check_png_path(value))


def _label_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("video")
    g.add_argument("--top-k", type=int, default=1, help="also list the K most likely labels (default 1)")
    g.add_argument("--clips", type=int, help="clips per video, scores averaged (default: the model's test_clips)")
    g.add_argument("--timeline", action="store_true",
                   help="label a sliding window along the video and print segments (start, end, label, confidence)")
    g.add_argument("--plot", metavar="PNG", help="draw class probabilities over time (with several files: NAME_<clip>.png each)")
    g.add_argument("--explain", metavar="PNG", type=_png,
                   help="draw the frames the model saw with how much the label relies on each (integrated "
                        "gradients; with several files: PNG-<name>.png each)")
    g.add_argument("--window", type=float, help="sliding window in seconds (default: the model's window_seconds)")
    g.add_argument("--stride", type=float, help="window step in seconds (default: half the window)")


def add_commands(sub, kinds) -> None:
    add_predict_command(
        sub, "label", "video", "label the activity in video clips (mp4/avi/mkv/webm, any size and frame rate)",
        "suite label examples/video/*.mp4 --top-k 3\n  suite label long.mp4 --timeline --plot probs.png",
        extra_args=_label_args)
    p = kinds.add_parser(
        "video", help="articulated figures doing actions, one folder per class",
        description="Procedural clips of articulated human figures doing 10 actions (two pairs are each "
                    "other's time reversal), written as OUT/<action>/*.mp4 plus OUT/manifest.jsonl.",
        epilog=example_epilog("suite synth video --out data/actions/train --seed 1 --per-class 80\n"
                              "  suite synth video --out data/cluttered --scene cluttered --fps 25 --seconds 2 4 --size 128"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_synth_args(p)
    p.set_defaults(func=_run_synth)


def _run_synth(args) -> int:
    from .synth import run_synth  # OpenCV and numpy: only when generating

    run_synth(args)
    return 0
