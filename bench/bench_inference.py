"""Benchmark 4, batch inference: each bundled model over 200 generated files through ``Predictor.predict``
(what `suite transcribe`/`read`/`label` call), batched (the commands' default batch of 16) vs one file
per call; and the absolute figures on one core: speech real-time factor (target >= 100x real time),
handwriting lines/s, video clips/s."""
from __future__ import annotations

import time

import soundfile as sf

from . import inputs
from .common import clock, clock_name, device, row

RTF_TARGET = 100.0
COMMANDS = {"speech": "transcribe", "handwriting": "read", "video": "label"}
UNITS = {"speech": "files/s", "handwriting": "lines/s", "video": "clips/s"}


def files_for(domain: str, n: int) -> list[str]:
    folder = inputs.scratch(f"infer-{domain}")
    if domain == "speech":
        recs = inputs.write_audio(folder, n, (0.5, 3.0), seed=1)
    elif domain == "handwriting":
        recs = inputs.write_ink(folder, n, seed=1)
    else:
        recs = inputs.write_videos(folder, n, seed=1)
    return [str(folder / r[inputs_key(domain)]) for r in recs]


def inputs_key(domain: str) -> str:
    return {"speech": "audio", "handwriting": "ink", "video": "video"}[domain]


def timed_predict(predictor, files: list[str], batch_size: int, one_by_one: bool) -> float:
    now = clock(predictor.device)
    t0 = now()
    if one_by_one:
        out = [r for f in files for r in predictor.predict([f], batch_size=1)]
    else:
        out = predictor.predict(files, batch_size=batch_size)
    seconds = now() - t0
    bad = [r for r in out if "error" in r]
    if bad:
        raise RuntimeError(f"prediction failed on generated input: {bad[0]['error']}")
    return seconds


def bench_model(domain: str, n: int, quick: bool) -> tuple[list[dict], dict]:
    name = inputs.model_name(domain)
    predictor = inputs.load_model(domain)
    files = files_for(domain, n)
    predictor.predict(files[:2], batch_size=2)  # warm-up (lazy imports, decoder, allocator)
    batched = timed_predict(predictor, files, 16, False)
    single = timed_predict(predictor, files, 1, True)
    if not quick:
        batched = min(batched, timed_predict(predictor, files, 16, False))
    unit = UNITS[domain]
    rows = [row(f"{name}: suite {COMMANDS[domain]} on {n} files", "batched (16)", n / batched, "one at a time",
                n / single, unit, target=1.0, target_text="batched >= one at a time",
                note=f"absolute: {n / batched:.1f} {unit} batched on {predictor.device}")]
    details = {"files": n, "batched_s": batched, "one_at_a_time_s": single, "device": str(predictor.device)}
    if domain == "speech":
        audio = sum(sf.info(f).duration for f in files)
        rtf = audio / batched
        details["audio_seconds"] = audio
        rows.append(row(f"{name}: real-time factor, {audio:.0f} s of audio, one core", "x real time", rtf,
                        "target", RTF_TARGET, "x", ratio=rtf / RTF_TARGET, target=1.0,
                        target_text=f">= {RTF_TARGET:g}x real time",
                        note=f"{rtf:.0f}x faster than real time (batched)"))
    return rows, details


def run(quick: bool) -> dict:
    n = 40 if quick else 200
    rows, details = [], {}
    for domain in inputs.BUNDLES:
        if inputs.bundle_path(domain) is None:
            continue
        name = inputs.model_name(domain)
        try:
            r, d = bench_model(domain, n, quick)
        except Exception as err:  # noqa: BLE001 - one model's failure must not hide the others' figures
            r = [row(f"{name}: suite {COMMANDS[domain]} on {n} files", "batched (16)", 0.0, "one at a time", 0.0,
                     UNITS[domain], passed=False, note=f"failed: {type(err).__name__}: {str(err)[:150]}")]
            d = {"error": f"{type(err).__name__}: {err}"}
        rows += r
        details[name] = d
    missing = inputs.missing_bundles()
    if not rows:
        return {"skipped": f"no bundled model installed yet ({', '.join(missing)})", "rows": []}
    if missing:
        details["not_installed"] = missing
    return {"title": "Batch inference (batched vs one at a time)", "device": str(device()), "rows": rows,
            "details": details, "clock": clock_name(device())}
