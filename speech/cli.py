"""Speech commands: `suite transcribe` (`suite lm-tune`, for every CTC model, is in suite/cli.py)."""
from __future__ import annotations

import argparse

from suite.cli_tools import add_predict_command


def _png(value: str) -> str:
    from suite.explain import check_png_path  # only when asked: --help imports no torch

    return str(check_png_path(value))


def _transcribe_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("speech")
    g.add_argument("--timestamps", action="store_true", help="print start/end time (s) of every word")
    g.add_argument("--plot", metavar="PNG",
                   help="draw the spectrogram over the per-frame character posteriors (one PNG per file)")
    g.add_argument("--explain", metavar="PNG", type=_png,
                   help="draw which frames the transcript relies on (integrated gradients) under the spectrogram "
                        "(with several files: PNG-<name>.png each; long files: their first chunk)")
    g.add_argument("--max-seconds", type=float, default=30.0,
                   help="files longer than this are transcribed in chunks (default 30)")
    g.add_argument("--split", choices=["pause", "overlap"], default="pause",
                   help="cut long files at the quietest point near each limit (pause, default) "
                        "or into fixed overlapping windows (overlap)")
    g.add_argument("--overlap", type=float, default=2.0, help="overlap of windows in seconds with --split overlap")


def add_commands(sub, synth_kinds=None) -> None:
    add_predict_command(
        sub, "transcribe", "speech", "transcribe audio files (WAV/FLAC/OGG/MP3, any rate and channel count)",
        "suite transcribe examples/speech/*.wav --timestamps", extra_args=_transcribe_args)
