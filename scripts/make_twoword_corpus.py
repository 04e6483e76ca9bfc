"""The 31-file two-word corpus of docs/own-data.md: 8 words ("yes"/"no") per file, spoken by espeak-ng.

    python scripts/make_twoword_corpus.py data/twoword      (needs `apt-get install espeak-ng`)

31 training files over 8 voices with random rate, pitch and word gap; 12 test files with the voices in another
order and other texts. Writes OUT/train.jsonl and OUT/test.jsonl.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

VOICES = ["en-us", "en", "en-gb-x-rp", "en-us+m3", "en-us+f2", "en+m7", "en+f4", "en-us+m5"]


def main(out: Path) -> None:
    if not shutil.which("espeak-ng"):
        sys.exit("error: espeak-ng not found (apt-get install espeak-ng)")
    out.mkdir(parents=True, exist_ok=True)
    for split, n, seed, shift in (("train", 31, 1, 0), ("test", 12, 2, 3)):
        r = random.Random(seed)
        rows = []
        for i in range(n):
            text = " ".join(r.choice(["yes", "no"]) for _ in range(8))
            name = f"{split}{i:03d}.wav"
            subprocess.run(["espeak-ng", "-v", VOICES[(i + shift) % len(VOICES)], "-s", str(r.randint(130, 190)),
                            "-p", str(r.randint(30, 70)), "-g", str(r.randint(2, 8)), "-w", str(out / name), text],
                           check=True)
            rows.append({"audio": name, "text": text})
        (out / f"{split}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    print(f"wrote {out}/train.jsonl (31 files) and {out}/test.jsonl (12 files)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data/twoword"))
