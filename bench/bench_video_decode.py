"""Benchmark 6, video decoding: the video domain's sparse reader (video.decode.VideoReader: grab() through
short gaps, seek across long ones, retrieve and shrink only the sampled frames) vs decoding every frame
(the read-everything loader, like torchvision.io.read_video: all frames decoded to RGB, then sampled),
on a 1080p MP4. Each way runs in its own process so its peak memory can be measured.

    python -m bench.bench_video_decode worker sparse|every CLIP   (one measurement, JSON on stdout)
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from .common import row

FPS = 24.0
NUM_FRAMES = 8  # the video domain's default TSN segments
SHORT_SIDE = 128  # its default decode size (input 112 * 8 / 7)


def status_kb(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status (Linux), in kB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> None:
    """Restart the high-water mark (VmHWM) at the current size, so imports' peak does not count."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_kb() -> int:
    return status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(method: str, clip: str) -> dict:
    import cv2

    from video.decode import VideoReader, read_sampled
    from video.sampling import segment_indices

    cv2.setNumThreads(1)
    reset_peak()
    base = status_kb("VmRSS") or peak_kb()
    t0 = time.process_time()  # decoding is single-threaded here: CPU time, immune to other jobs
    wall0 = time.perf_counter()
    if method == "sparse":
        with VideoReader(clip, threads=1) as reader:
            n = reader.info.frame_count
            frames = read_sampled(reader, lambda k: segment_indices(k, NUM_FRAMES), SHORT_SIDE)
    else:
        cap = cv2.VideoCapture(clip, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
        every = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            every.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        cap.release()
        n = len(every)
        h, w = every[0].shape[:2]
        scale = SHORT_SIDE / min(h, w)
        size = (round(w * scale), round(h * scale))
        frames = [cv2.resize(every[i], size, interpolation=cv2.INTER_AREA) for i in segment_indices(n, NUM_FRAMES)]
    seconds = time.process_time() - t0
    wall = time.perf_counter() - wall0
    peak = peak_kb()
    return {"seconds": seconds, "wall_seconds": wall, "frames": n, "sampled": len(frames), "peak_extra_mb": (peak - base) / 1024}


def in_subprocess(method: str, clip: Path) -> dict:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "bench.bench_video_decode", "worker", method, str(clip)],
                         cwd=root, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"{method} decoding failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> dict:
    from . import inputs

    try:
        import video.decode  # noqa: F401
        import video.sampling  # noqa: F401
    except ImportError as err:
        return {"skipped": f"video decoding code not available ({err})", "rows": []}
    seconds = 9 if quick else 18  # 18 s: sampled frames 54 apart, beyond the reader's seek gap (48)
    clip = inputs.scratch("video1080") / "clip1080.mp4"
    inputs.write_clip(clip, int(seconds * FPS), 1920, 1080, FPS, seed=0)
    runs = {"sparse": [], "every": []}
    for _ in range(1 if quick else 2):
        for method in runs:
            runs[method].append(in_subprocess(method, clip))
    best = {m: min(r, key=lambda x: x["seconds"]) for m, r in runs.items()}
    n = best["sparse"]["frames"]
    fps = {m: n / b["seconds"] for m, b in best.items()}
    mem = {m: max(x["peak_extra_mb"] for x in r) for m, r in runs.items()}
    rows = [
        row(f"1080p MP4, {seconds} s at {FPS:g} fps ({n} frames) -> {NUM_FRAMES} frames, short side {SHORT_SIDE}",
            "sparse (seek/grab)", fps["sparse"], "decode every frame", fps["every"], "video frames/s", target=1.0,
            target_text="sparse >= every", note=f"{1 / best['sparse']['seconds']:.1f} vs "
                                                f"{1 / best['every']['seconds']:.1f} clips/s"),
        row("peak extra memory of the same decode", "sparse (seek/grab)", mem["sparse"], "decode every frame",
            mem["every"], "MB", ratio=mem["every"] / max(mem["sparse"], 1.0), target=None,
            note="ratio = every / sparse (memory saved)"),
    ]
    return {"title": "Video decoding (sparse vs every frame, 1080p)", "device": "cpu", "rows": rows,
            "details": {"runs": runs, "clip_mb": clip.stat().st_size / 2**20}, "clock": "process CPU time (1 thread)"}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "worker":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        sys.exit("usage: python -m bench.bench_video_decode worker sparse|every CLIP")
