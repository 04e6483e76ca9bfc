"""Speech against a recognizer people install instead (`--only an4_peers`): the bundled `speech-en`, greedy and
beam search with its word LM, vs PocketSphinx 5 (its en-us acoustic model with AN4's own LM and dictionary from
the corpus' `etc/`), on the 130 AN4 test files, scored by one scorer (`suite.metrics`) against the same
lower-cased references. WER, CER, and the real-time factor on one core (process CPU time / audio seconds,
reading the audio included for both).

Targets: speech-en's WER at least 2x lower than PocketSphinx's (ratio PocketSphinx / speech-en >= 2) and
speech-en no slower (RTF ratio >= 1).

Needs the prepared test manifest (`suite prepare an4 ../shared/data/an4 --out data/an4`; another with
`AN4_TEST=...`), the corpus for PocketSphinx's LM (`AN4_ROOT`, default ../shared/data/an4) and the optional
`pip install pocketsphinx`; a missing piece skips the rows that need it, with the reason.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from .common import row, skipped

ROOT = Path(__file__).resolve().parents[1]
MODEL = os.environ.get("SPEECH_EN", "speech-en")


def references(manifest: Path, limit: int | None) -> tuple[list[str], list[str]]:
    from suite.manifest import read_manifest

    rows = read_manifest(manifest, "audio", "text")[:limit]
    return [r.path for r in rows], [r.target for r in rows]


def audio_seconds(files: list[str]) -> float:
    import soundfile as sf

    return sum(sf.info(f).duration for f in files)


def ours(files: list[str], **decode) -> tuple[list[str], float]:
    import torch

    from suite.inference import load_predictor

    torch.set_num_threads(1)
    predictor = load_predictor(MODEL, device="cpu", **decode)
    predictor.predict(files[:2])  # warm-up: the beam decoder loads its LM on first use
    t0 = time.process_time()
    texts = [r["text"] for r in predictor.predict(files)]
    return texts, time.process_time() - t0


def pocketsphinx(files: list[str], an4_root: Path) -> tuple[list[str], float]:
    import numpy as np
    import soundfile as sf
    from pocketsphinx import Decoder

    decoder = Decoder(lm=str(an4_root / "etc/an4.lm"), dict=str(an4_root / "etc/an4.dic"), logfn=os.devnull)
    texts = []
    t0 = time.process_time()
    for f in files:
        audio, rate = sf.read(f, dtype="int16")
        if rate != 16000:
            raise ValueError(f"{f}: {rate} Hz, PocketSphinx's en-us model wants 16 kHz")
        decoder.start_utt()
        decoder.process_raw(np.ascontiguousarray(audio).tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        texts.append(" ".join(w for w in (hyp.hypstr if hyp else "").lower().split()))
    return texts, time.process_time() - t0


def run(quick: bool = False) -> dict:
    from suite.inference import read_bundle, resolve_model
    from suite.metrics import cer, wer

    manifest = Path(os.environ.get("AN4_TEST", ROOT / "data/an4/test.jsonl"))
    an4_root = Path(os.environ.get("AN4_ROOT", ROOT.parent / "shared/data/an4"))
    if not manifest.is_file():
        return skipped(f"{manifest} missing: suite prepare an4 ../shared/data/an4 --out data/an4")
    try:
        decode = read_bundle(resolve_model(MODEL))["config"].get("decode", {})
    except Exception as e:  # noqa: BLE001 - reported as the reason for skipping
        return skipped(f"model {MODEL}: {e}")
    files, refs = references(manifest, 20 if quick else None)
    seconds = audio_seconds(files)
    greedy, t_greedy = ours(files, decoder="greedy")  # without the bundled LM
    beam, t_beam = ours(files)  # the bundle's own decoding (beam + word LM when it ships one)
    scores = {"speech-en greedy": (greedy, t_greedy), f"speech-en {decode.get('decoder', 'greedy')}"
              f"{'+LM' if decode.get('lm') else ''}": (beam, t_beam)}
    details = {"files": len(files), "audio_seconds": round(seconds, 1), "model": MODEL,
               "decode": decode, "clock": "process CPU time, 1 thread"}
    try:
        import pocketsphinx as _  # noqa: F401
        have_ps = (an4_root / "etc/an4.lm").is_file()
        why = "" if have_ps else f"{an4_root}/etc/an4.lm missing (AN4_ROOT)"
    except ImportError:
        have_ps, why = False, "pocketsphinx not installed (pip install pocketsphinx)"
    if have_ps:
        scores["PocketSphinx (AN4 LM)"] = pocketsphinx(files, an4_root)
    for name, (texts, t) in scores.items():
        details[name] = {"wer": round(wer(refs, texts), 4), "cer": round(cer(refs, texts), 4),
                         "rtf": round(t / seconds, 4)}
    best = list(scores)[1]
    rows = []
    if have_ps:
        ps, us = details["PocketSphinx (AN4 LM)"], details[best]
        rows += [
            row("AN4 test WER", "PocketSphinx", ps["wer"], best, us["wer"], "WER", target=2.0,
                target_text=">= 2 (2x lower WER)"),
            row("AN4 test CER", "PocketSphinx", ps["cer"], best, us["cer"], "CER"),
            row("real-time factor, one core", "PocketSphinx", ps["rtf"], best, us["rtf"], "CPU s / audio s",
                target=1.0, target_text=">= 1 (no slower)"),
        ]
    g = details["speech-en greedy"]
    rows.append(row("AN4 test WER, decoders", "greedy", g["wer"], best, details[best]["wer"], "WER"))
    out = {"title": "speech-en vs PocketSphinx on AN4 test", "device": "cpu", "rows": rows, "details": details}
    if not have_ps:
        out["note"] = f"PocketSphinx rows skipped: {why}"
    return out
