#!/usr/bin/env bash
# The README demo: each bundled model on the bundled examples.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
speech=(examples/speech/*.wav examples/speech/*.flac)
ink=(examples/handwriting/*.json examples/handwriting/*.inkml examples/handwriting/*.xml examples/handwriting/*.dat)
clips=(examples/video/*.mp4 examples/video/*.avi)
if ((${#speech[@]})); then echo "== suite transcribe (speech-digits)"; suite transcribe "${speech[@]}"; fi
if ((${#ink[@]})); then echo "== suite read (handwriting-en)"; suite read "${ink[@]}"; fi
if ((${#clips[@]})); then echo "== suite label (video-actions-demo)"; suite label --top-k 3 "${clips[@]}"; fi
