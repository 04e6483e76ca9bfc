"""Build the demo files in examples/speech/ from FSDD recordings (CC BY-SA 4.0).

    python scripts/make_speech_examples.py ../shared/data/fsdd/recordings

Each example joins single-digit recordings of one speaker with short pauses (the same builder as
`suite prepare fsdd --connected`). The theo examples come from the speaker the bundled model never
saw in training; one file is converted to 44.1 kHz stereo FLAC to show format/rate handling.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
import soundfile as sf

from speech.audio import read_audio, resample
from speech.prepare import _noise_floor
from speech.text import DIGIT_WORDS

EXAMPLES = [  # (file, speaker, digits, recording index)
    ("theo_3-1-4-1-5.wav", "theo", [3, 1, 4, 1, 5], 1),
    ("theo_2-7-1-8.wav", "theo", [2, 7, 1, 8], 2),
    ("jackson_9-0-6.wav", "jackson", [9, 0, 6], 3),
    ("george_5-5-2-0-8-4.flac", "george", [5, 5, 2, 0, 8, 4], 4),
]


def build(src: Path, speaker: str, digits: list[int], index: int, rng: random.Random) -> np.ndarray:
    pieces = [read_audio(src / f"{d}_{speaker}_{(index + i) % 5}.wav", 8000) for i, d in enumerate(digits)]
    level = float(np.median([_noise_floor(p) for p in pieces]))
    noise = np.random.default_rng(index)

    def gap(lo: float, hi: float) -> np.ndarray:
        return (noise.standard_normal(int(rng.uniform(lo, hi) * 8000)) * level).astype(np.float32)

    parts = [gap(0.1, 0.2)]
    for p in pieces:
        parts += [p, gap(0.1, 0.3)]
    return np.concatenate(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recordings", type=Path)
    ap.add_argument("--out", type=Path, default=Path("examples/speech"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    lines = []
    for name, speaker, digits, index in EXAMPLES:
        wave = build(args.recordings, speaker, digits, index, rng)
        if name.endswith(".flac"):
            up = resample(wave, 8000, 44100)
            sf.write(args.out / name, np.stack([up, 0.9 * up], axis=1), 44100, format="FLAC")
        else:
            sf.write(args.out / name, wave, 8000, subtype="PCM_16")
        lines.append(f"{name}\t{' '.join(DIGIT_WORDS[d] for d in digits)}")
    (args.out / "transcripts.tsv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
