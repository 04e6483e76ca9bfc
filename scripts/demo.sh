#!/usr/bin/env bash
# The README demo: each bundled model on the bundled examples.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
speech=(examples/speech/*.wav examples/speech/*.flac)
an4=(examples/speech/an4/*.wav)
ink=(examples/handwriting/*.json examples/handwriting/*.inkml examples/handwriting/*.xml examples/handwriting/*.dat)
clips=(examples/video/*.mp4 examples/video/*.avi)
if ((${#an4[@]})); then echo "== suite transcribe (speech-en, the default)"; suite transcribe "${an4[@]}"; fi
if ((${#speech[@]})); then echo "== suite transcribe --model speech-digits"; suite transcribe --model speech-digits "${speech[@]}"; fi
if ((${#ink[@]})); then echo "== suite read (handwriting-en)"; suite read "${ink[@]}"; fi
if ((${#clips[@]})); then echo "== suite label (video-actions-demo)"; suite label --top-k 3 "${clips[@]}"; fi
