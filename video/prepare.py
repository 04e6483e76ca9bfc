"""`suite prepare folders|csv`: video collections -> OUT/manifest.jsonl ({"video", "label"} per line).

Videos outside OUT are symlinked under OUT/videos (default), copied there, or referenced by absolute
path (then set data.allow_outside_paths), the same convention as the other domains.
"""
from __future__ import annotations

import argparse
import csv
import random
import re
from collections import Counter
from pathlib import Path

from suite.errors import SuiteError
from suite.manifest import write_manifest, place_file

VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ogv"}
_UCF_GROUP = re.compile(r"_g(\d+)_c\d+", re.IGNORECASE)  # UCF101 clips of one group share a source video


def _add_files_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--files", choices=["link", "copy", "absolute"], default="link",
                   help="how the manifest refers to videos outside OUT: symlink under OUT/videos (default), "
                        "copy there, or absolute paths (needs data.allow_outside_paths)")


def _entry(src: Path, rel, out: Path, mode: str) -> str:
    """Manifest entry for ``src`` (see suite.manifest.place_file); outside files go to OUT/videos/rel."""
    return place_file(src, rel, out, "videos", mode)


def _write(out: Path, name: str, rows: list[dict]) -> Path:
    if not rows:
        raise SuiteError(f"no videos for {name}", out)
    return write_manifest(out / name, rows)


# ---- folders (UCF101 / HMDB51 layout) ----------------------------------------------------------------

def add_folders_args(p: argparse.ArgumentParser) -> None:
    p.description = ("One sub-folder per class (UCF101/HMDB51 layout). Writes OUT/manifest.jsonl with every "
                     "clip; with --split-file also OUT/train.jsonl and OUT/test.jsonl; with --valid-fraction "
                     "also OUT/train.jsonl and OUT/valid.jsonl.")
    p.add_argument("--split-file", action="append", default=[], metavar="FILE",
                   help="official split list, repeatable: UCF101 trainlistNN.txt/testlistNN.txt "
                        "('Class/clip.avi [n]') or HMDB51 <class>_test_splitN.txt ('clip.avi 0|1|2')")
    p.add_argument("--valid-fraction", type=float, default=0.0,
                   help="hold out this fraction as OUT/valid.jsonl (UCF101 groups are kept together)")
    p.add_argument("--seed", type=int, default=0, help="seed of the --valid-fraction split")
    _add_files_arg(p)


def _read_splits(files: list[str]) -> dict[str, str]:
    """clip key (``Class/name`` for UCF lists, ``name`` for HMDB lists) -> "train" | "test"."""
    split: dict[str, str] = {}
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise SuiteError("split file not found", path)
        lower = path.name.lower()
        hmdb = re.search(r"_split\d+\.txt$", lower) is not None
        if not hmdb and not (lower.startswith("train") or lower.startswith("test")):
            raise SuiteError("cannot tell the split: expected trainlistNN.txt, testlistNN.txt or "
                             "<class>_test_splitN.txt", path)
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if hmdb:
                if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                    raise SuiteError(f"line {n}: expected 'clip.avi 0|1|2'", path)
                if parts[1] != "0":
                    split[parts[0]] = "train" if parts[1] == "1" else "test"
            else:
                split[parts[0].replace("\\", "/")] = "train" if lower.startswith("train") else "test"
    return split


def run_folders(args: argparse.Namespace) -> Path:
    source, out = Path(args.source), Path(args.out)
    if not source.is_dir():
        raise SuiteError("not a folder (expected one sub-folder per class)", source)
    if not 0 <= args.valid_fraction < 1:
        raise SuiteError("--valid-fraction must be in [0, 1)")
    out.mkdir(parents=True, exist_ok=True)
    splits = _read_splits(args.split_file)
    rows, assigned = [], {"train": [], "test": []}
    for class_dir in sorted(p for p in source.iterdir() if p.is_dir() and p.resolve() != out.resolve()):
        for video in sorted(p for p in class_dir.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file()):
            rel = video.relative_to(source).as_posix()
            row = {"video": _entry(video, rel, out, args.files), "label": class_dir.name, "id": rel}
            rows.append(row)
            which = splits.get(rel) or splits.get(video.name)
            if which:
                assigned[which].append(row)
    if not rows:
        raise SuiteError("no video files in class sub-folders", source)
    manifest = _write(out, "manifest.jsonl", rows)
    if splits:
        for name, part in assigned.items():
            _write(out, f"{name}.jsonl", part)
    elif args.valid_fraction > 0:
        # whole groups (UCF101 gNN: clips cut from one video) go to one side, else near-duplicates leak
        groups = sorted({(r["label"], _group(r["id"])) for r in rows})
        random.Random(args.seed).shuffle(groups)
        held = set(groups[:max(1, round(len(groups) * args.valid_fraction))])
        _write(out, "train.jsonl", [r for r in rows if (r["label"], _group(r["id"])) not in held])
        _write(out, "valid.jsonl", [r for r in rows if (r["label"], _group(r["id"])) in held])
    counts = Counter(r["label"] for r in rows)
    print(f"{len(rows)} clips in {len(counts)} classes -> {manifest}")
    return manifest


def _group(clip_id: str) -> str:
    m = _UCF_GROUP.search(clip_id)
    return m.group(1) if m else clip_id


# ---- csv (Kinetics-style lists) -------------------------------------------------------------------------

def add_csv_args(p: argparse.ArgumentParser) -> None:
    p.description = ("CSV rows 'path,label[,start,end]' (header optional; paths relative to the CSV's folder, "
                     "start/end in seconds: training and evaluation sample only that span). Writes OUT/manifest.jsonl.")
    p.add_argument("--root", help="folder the CSV's paths are relative to (default: the CSV's folder)")
    p.add_argument("--skip-missing", action="store_true", help="leave out rows whose video is missing")
    _add_files_arg(p)


def run_csv(args: argparse.Namespace) -> Path:
    source, out = Path(args.source), Path(args.out)
    if not source.is_file():
        raise SuiteError("CSV file not found", source)
    root = Path(args.root) if args.root else source.parent
    out.mkdir(parents=True, exist_ok=True)
    rows, missing = [], 0
    with source.open(encoding="utf-8", newline="") as f:
        try:
            lines = list(csv.reader(f))
        except (csv.Error, UnicodeDecodeError) as err:
            raise SuiteError(f"not a readable CSV ({err})", source) from None
    for n, cols in enumerate(lines, 1):
        cols = [c.strip() for c in cols]
        if not cols or not any(cols):
            continue
        if n == 1 and cols[0].lower() in ("path", "video", "file") and len(cols) > 1 and cols[1].lower() == "label":
            continue  # header
        if len(cols) not in (2, 4) or not cols[0] or not cols[1]:
            raise SuiteError(f"line {n}: expected path,label[,start,end], got {len(cols)} column(s)", source)
        video = Path(cols[0]) if Path(cols[0]).is_absolute() else root / cols[0]
        if not video.is_file():
            if args.skip_missing:
                missing += 1
                continue
            raise SuiteError(f"line {n}: video not found: {cols[0]} (use --skip-missing to leave it out)", source)
        row = {"video": _entry(video, cols[0].lstrip("/"), out, args.files), "label": cols[1], "id": f"{cols[0]}#{n}"}
        if len(cols) == 4:
            try:
                start, end = float(cols[2]), float(cols[3])
            except ValueError:
                raise SuiteError(f"line {n}: start/end must be seconds, got {cols[2]!r}, {cols[3]!r}", source) from None
            if not 0 <= start < end:
                raise SuiteError(f"line {n}: need 0 <= start < end, got {start}, {end}", source)
            row.update(start=start, end=end)
        rows.append(row)
    manifest = _write(out, "manifest.jsonl", rows)
    note = f" ({missing} missing skipped)" if missing else ""
    print(f"{len(rows)} clips in {len({r['label'] for r in rows})} classes -> {manifest}{note}")
    return manifest


PREPARE_FORMATS = {"folders": (add_folders_args, run_folders), "csv": (add_csv_args, run_csv)}
