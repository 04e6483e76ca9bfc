"""`suite prepare unipen|inkml|iam-ondb SOURCE --out DIR`: one JSON ink per labelled segment/line plus
manifest.jsonl (with "writer"), and optionally writer-disjoint train/valid manifests."""
from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from suite.errors import SuiteError
from suite.io import atomic_write_text
from suite.manifest import write_manifest

from .config import HandwritingFeatures
from .features import ink_features
from .formats.iam_ondb import read_iam_ondb
from .formats.inkml import read_inkml
from .formats.unipen import parse_unipen, unipen_samples
from .ink import Ink, write_ink_json
from .text import normalize


def _common_args(p) -> None:
    p.add_argument("--valid-writers", type=float, default=0.0, metavar="FRACTION",
                   help="also write writer-disjoint train.jsonl/valid.jsonl with about this fraction of samples "
                        "(whole writers) in valid, drawn from every contributor/collection alike")
    p.add_argument("--seed", type=int, default=0, help="seed of the writer split (default 0)")
    p.add_argument("--min-chars", type=int, default=1, help="skip samples whose text is shorter (default 1)")


def _unipen_args(p) -> None:
    _common_args(p)
    p.add_argument("--level", default=None, help="only .SEGMENT lines of this level, e.g. TEXT or WORD (default: all)")
    p.add_argument("--include-dir", action="append", default=[],
                   help="folder to search for .INCLUDE files (default: beside the data and <root>/include)")


def _split_writers(records: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Whole writers to valid, about ``fraction`` of the samples of each contributor (collection).

    Stratified so that one large collection with many writers cannot fill the validation set by the
    luck of the shuffle; a writer goes to valid only if that brings its collection closer to the target.
    """
    by_writer = defaultdict(list)
    for r in records:
        by_writer[r["writer"]].append(r)
    by_group = defaultdict(list)
    for w, rs in sorted(by_writer.items()):
        group = Counter(r.get("contributor", "") for r in rs).most_common(1)[0][0]
        by_group[group].append(w)
    rng = random.Random(seed)
    valid_w = set()
    for group in sorted(by_group):
        writers = by_group[group]
        rng.shuffle(writers)
        target = fraction * sum(len(by_writer[w]) for w in writers)
        n = 0
        for w in writers:
            if abs(n + len(by_writer[w]) - target) < abs(n - target):
                valid_w.add(w)
                n += len(by_writer[w])
    # collections too small to give a writer each: top up across them towards the overall target
    target, n = fraction * len(records), sum(len(by_writer[w]) for w in valid_w)
    rest = [w for w in sorted(by_writer) if w not in valid_w]
    rng.shuffle(rest)
    for w in rest:
        if abs(n + len(by_writer[w]) - target) < abs(n - target):
            valid_w.add(w)
            n += len(by_writer[w])
    return [r for r in records if r["writer"] not in valid_w], [r for r in records if r["writer"] in valid_w]


def _write_outputs(out: Path, records: list[dict], report: dict, args) -> Path:
    if not records:
        raise SuiteError("no labelled samples found", args.source)
    manifest = write_manifest(out / "manifest.jsonl", records)
    if args.valid_writers > 0:
        if not 0 < args.valid_writers < 1:
            raise SuiteError("--valid-writers must be a fraction between 0 and 1")
        train, valid = _split_writers(records, args.valid_writers, args.seed)
        write_manifest(out / "train.jsonl", train)
        write_manifest(out / "valid.jsonl", valid)
        report["train"] = {"samples": len(train), "writers": len({r["writer"] for r in train})}
        report["valid"] = {"samples": len(valid), "writers": len({r["writer"] for r in valid})}
    report["samples"] = len(records)
    report["writers"] = len({r["writer"] for r in records})
    atomic_write_text(out / "prepare_report.json", json.dumps(report, indent=1) + "\n")
    print(f"{len(records)} samples from {report['writers']} writers -> {manifest}")
    if "valid" in report:
        print(f"writer-disjoint split: train {report['train']['samples']} samples / {report['train']['writers']} "
              f"writers, valid {report['valid']['samples']} / {report['valid']['writers']}")
    return manifest


def _record(ink: Ink, out: Path, rel: str, writer: str, min_chars: int) -> dict | None:
    text = normalize(ink.text or "")
    if len(text) < min_chars:
        return None
    ink.text = text
    ink.writer = writer
    write_ink_json(ink, out / rel)
    length = len(ink_features(ink, HandwritingFeatures()))  # default features: a bucketing length estimate
    return {"ink": rel, "text": text, "writer": writer, "id": Path(rel).stem, "length": length}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def run_unipen(args) -> Path:
    source, out = Path(args.source), Path(args.out)
    if not source.is_dir():
        raise SuiteError("UNIPEN source must be a folder (the release root or its data/ folder)", source)
    data_root = source / "data" if (source / "data").is_dir() else source
    include_root = source / "include"
    files = sorted(p for p in data_root.rglob("*") if p.is_file() and p.suffix.lower() in (".dat", ".pen", "")
                   and include_root not in p.parents)
    records, per_contrib = [], defaultdict(Counter)
    dropped_examples = []
    for path in files:
        with open(path, "rb") as fh:
            if b".SEGMENT" not in fh.read():
                continue
        rel_file = path.relative_to(data_root)
        contrib = rel_file.parts[1] if len(rel_file.parts) > 2 and rel_file.parts[0].isdigit() else rel_file.parts[0]
        doc = parse_unipen(path, args.include_dir)
        segs_before = len(doc.segments)
        if args.level:
            doc.segments = [s for s in doc.segments if s.level == args.level]
        inks, dropped, decision = unipen_samples(doc)
        stats = per_contrib[contrib]
        stats["files"] += 1
        stats["segments"] += len(doc.segments)
        stats["numbering " + decision.split(":")[0]] += 1
        stats["other-level segments skipped"] += segs_before - len(doc.segments)
        for spec, reason in dropped:
            stats["dropped: " + reason.split(" (")[0]] += 1
            if len(dropped_examples) < 50:
                dropped_examples.append(f"{rel_file} {spec}: {reason}")
        for i, ink in enumerate(inks):
            writer = f"{ink.writer or path.stem}"
            rel = f"ink/{_safe_name(str(rel_file.with_suffix('')))}-{i:03d}.json"
            rec = _record(ink, out, rel, writer, args.min_chars)
            if rec is None:
                stats["dropped: text too short"] += 1
                continue
            rec["contributor"] = contrib
            records.append(rec)
            stats["aligned"] += 1
    report = {"format": "unipen", "source": str(source), "files": sum(s["files"] for s in per_contrib.values()),
              "aligned": sum(s["aligned"] for s in per_contrib.values()),
              "dropped": sum(v for s in per_contrib.values() for k, v in s.items() if k.startswith("dropped")),
              "per_contributor": {k: dict(v) for k, v in sorted(per_contrib.items())},
              "dropped_examples": dropped_examples}
    print(f"UNIPEN: {report['aligned']} segments aligned, {report['dropped']} dropped "
          f"(details in {out / 'prepare_report.json'})")
    return _write_outputs(out, records, report, args)


def _xml_run(reader, pattern: str, fmt: str):
    def run(args) -> Path:
        source, out = Path(args.source), Path(args.out)
        if not source.exists():
            raise SuiteError("source not found", source)
        files = [source] if source.is_file() else sorted(source.rglob(pattern))
        texts = _iam_ascii_texts(source) if fmt == "iam-ondb" and source.is_dir() else {}
        records, errors = [], []
        for path in files:
            try:
                inks = reader(path)
            except SuiteError as err:
                errors.append(str(err))
                continue
            for i, ink in enumerate(inks):
                ink.text = ink.text if ink.text is not None else texts.get(path.stem)
                if ink.text is None:
                    continue
                writer = ink.writer or _iam_form(path.stem) if fmt == "iam-ondb" else (ink.writer or path.stem)
                rel = f"ink/{_safe_name(path.stem)}-{i:03d}.json"
                rec = _record(ink, out, rel, writer, args.min_chars)
                if rec:
                    records.append(rec)
        for e in errors[:5]:
            print(f"skipped {e}")
        report = {"format": fmt, "source": str(source), "files": len(files), "unreadable": len(errors)}
        return _write_outputs(out, records, report, args)

    return run


def _iam_form(stem: str) -> str:
    """IAM-OnDB line files are <form>-<line>; without writer info the form stands in for the writer."""
    return stem.rsplit("-", 1)[0]


def _iam_ascii_texts(source: Path) -> dict[str, str]:
    """Line transcriptions from IAM-OnDB ascii/*.txt files (the lines after 'CSR:'), keyed by line file stem."""
    texts = {}
    for txt in source.rglob("*.txt"):
        lines = txt.read_text(encoding="latin-1").splitlines()
        if "CSR:" not in [ln.strip() for ln in lines]:
            continue
        body = [ln.strip() for ln in lines[[ln.strip() for ln in lines].index("CSR:") + 1:] if ln.strip()]
        for n, line in enumerate(body, 1):
            texts[f"{txt.stem}-{n:02d}"] = line
    return texts


FORMATS = {
    "unipen": (_unipen_args, run_unipen),
    "inkml": (_common_args, _xml_run(read_inkml, "*.inkml", "inkml")),
    "iam-ondb": (_common_args, _xml_run(read_iam_ondb, "*.xml", "iam-ondb")),
}
