"""`suite prepare` formats for speech: librispeech, fsdd (optionally connected digits), pairs, an4.

Each writes OUT/manifest.jsonl (and train/valid/test.jsonl when it splits). Audio already inside OUT is
referenced by a path relative to OUT; audio elsewhere is symlinked under OUT/audio (default), copied there,
or referenced by its absolute path (``--files absolute``).
"""
from __future__ import annotations

import argparse
import random
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from suite.errors import SuiteError
from suite.io import atomic_write_text
from suite.manifest import write_manifest, place_file

from .audio import AUDIO_EXTENSIONS, read_audio, write_audio
from .text import DIGIT_WORDS, normalize

FSDD_NAME = re.compile(r"^(\d)_([^_]+)_(\d+)$")


# ---------------------------------------------------------------- shared helpers
def _add_file_mode(p: argparse.ArgumentParser) -> None:
    p.add_argument("--files", choices=["link", "copy", "absolute"], default="link",
                   help="how the manifest refers to audio outside OUT: symlink it under OUT/audio (default), "
                        "copy it there, or write absolute paths")


def _add_split(p: argparse.ArgumentParser) -> None:
    p.add_argument("--valid-fraction", type=float, default=0.0, help="random share of rows for valid.jsonl")
    p.add_argument("--test-fraction", type=float, default=0.0, help="random share of rows for test.jsonl")
    p.add_argument("--seed", type=int, default=0)


def _source_dir(args) -> Path:
    src = Path(args.source)
    if not src.is_dir():
        raise SuiteError("source folder not found", src)
    return src


def _out_dir(args) -> Path:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SuiteError(f"cannot create output folder ({err.strerror})", out) from None
    return out


def place(src: Path, rel, out: Path, mode: str) -> str:
    """Manifest entry for ``src`` (see suite.manifest.place_file); outside files go to OUT/audio/rel."""
    return place_file(src, rel, out, "audio", mode)


def _write_splits(out: Path, rows: list[dict], valid_fraction: float, test_fraction: float, seed: int) -> Path:
    if not rows:
        raise SuiteError("no usable recordings found")
    if valid_fraction < 0 or test_fraction < 0 or valid_fraction + test_fraction >= 1:
        raise SuiteError("--valid-fraction and --test-fraction must be >= 0 and sum to less than 1")
    manifest = write_manifest(out / "manifest.jsonl", rows)
    if valid_fraction or test_fraction:
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)
        n_valid, n_test = round(len(rows) * valid_fraction), round(len(rows) * test_fraction)
        parts = {"valid": order[:n_valid], "test": order[n_valid:n_valid + n_test], "train": order[n_valid + n_test:]}
        for name, idx in parts.items():
            if idx:
                write_manifest(out / f"{name}.jsonl", [rows[i] for i in sorted(idx)])
    return manifest


# ---------------------------------------------------------------- librispeech
def librispeech_args(p: argparse.ArgumentParser) -> None:
    _add_file_mode(p)
    _add_split(p)


def librispeech_run(args) -> Path:
    """Every `*.trans.txt` line "UTTID TEXT" names UTTID.flac (or another audio extension) beside it."""
    src, out = _source_dir(args), _out_dir(args)
    rows, missing = [], 0
    for trans in sorted(src.rglob("*.trans.txt")):
        for n, line in enumerate(trans.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            parts = line.strip().split(maxsplit=1)
            if not parts:
                continue
            uid, text = parts[0], (parts[1] if len(parts) > 1 else "")
            audio = next((trans.parent / f"{uid}{ext}" for ext in AUDIO_EXTENSIONS
                          if (trans.parent / f"{uid}{ext}").is_file()), None)
            if audio is None or not normalize(text):
                missing += 1
                continue
            entry = place(audio, audio.relative_to(src), out, args.files)
            rows.append({"id": uid, "audio": entry, "text": normalize(text), "speaker": uid.split("-")[0]})
    if not rows:
        raise SuiteError("no '*.trans.txt' transcript with matching audio found", src)
    if missing:
        print(f"skipped {missing} transcript lines without audio or text")
    return _write_splits(out, rows, args.valid_fraction, args.test_fraction, args.seed)


# ---------------------------------------------------------------- pairs
def pairs_args(p: argparse.ArgumentParser) -> None:
    _add_file_mode(p)
    _add_split(p)


def pairs_run(args) -> Path:
    """Each audio file with a same-named `.txt` beside it (a.wav + a.txt) becomes one row."""
    src, out = _source_dir(args), _out_dir(args)
    rows, lonely = [], 0
    for audio in sorted(p for p in src.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()):
        txt = audio.with_suffix(".txt")
        if not txt.is_file():
            lonely += 1
            continue
        try:
            text = normalize(txt.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise SuiteError("transcript is not UTF-8 text", txt) from None
        if not text:
            lonely += 1
            continue
        rel = audio.relative_to(src)
        rows.append({"id": rel.with_suffix("").as_posix(), "audio": place(audio, rel, out, args.files), "text": text})
    if not rows:
        raise SuiteError("no audio file with a same-named .txt transcript found", src)
    if lonely:
        print(f"skipped {lonely} audio files without a (non-empty) transcript")
    return _write_splits(out, rows, args.valid_fraction, args.test_fraction, args.seed)


# ---------------------------------------------------------------- fsdd
def fsdd_args(p: argparse.ArgumentParser) -> None:
    _add_file_mode(p)
    p.add_argument("--connected", action="store_true",
                   help="build connected-digit utterances (3-7 recordings of one speaker joined by random pauses)")
    p.add_argument("--test-speakers", default="",
                   help="comma-separated speakers kept out of training (speaker-disjoint test set); "
                        "default: FSDD's conventional split by recording index (0-4 test)")
    p.add_argument("--speakers", default="", help="comma-separated speakers to use (default: all)")
    p.add_argument("--per-speaker", type=int, default=400, help="connected: training utterances per speaker")
    p.add_argument("--eval-per-speaker", type=int, default=60, help="connected: valid/test utterances per speaker")
    p.add_argument("--min-digits", type=int, default=3)
    p.add_argument("--max-digits", type=int, default=7)
    p.add_argument("--pause", type=float, nargs=2, default=(0.05, 0.4), metavar=("MIN", "MAX"),
                   help="pause between digits in seconds")
    p.add_argument("--edge", type=float, nargs=2, default=(0.05, 0.3), metavar=("MIN", "MAX"),
                   help="silence before and after the utterance in seconds")
    p.add_argument("--seed", type=int, default=0)


def _fsdd_recordings(src: Path) -> dict[str, list[tuple[int, int, Path]]]:
    """speaker -> [(digit, index, path)] for files named {digit}_{speaker}_{index}.wav."""
    found = defaultdict(list)
    for f in sorted(src.rglob("*.wav")):
        m = FSDD_NAME.match(f.stem)
        if m:
            found[m.group(2)].append((int(m.group(1)), int(m.group(3)), f))
    if not found:
        raise SuiteError("no FSDD recordings ({digit}_{speaker}_{index}.wav) found", src)
    return found


def _split_recordings(found, test_speakers: list[str]) -> dict[str, dict[str, list]]:
    """split -> speaker -> recordings. Speaker-disjoint test if speakers are named, else by index."""
    unknown = [s for s in test_speakers if s not in found]
    if unknown:
        raise SuiteError(f"--test-speakers: no recordings of {', '.join(unknown)} (have: {', '.join(sorted(found))})")
    splits: dict[str, dict[str, list]] = {"train": defaultdict(list), "valid": defaultdict(list), "test": defaultdict(list)}
    for spk, recs in found.items():
        for digit, index, path in recs:
            if test_speakers:
                name = "test" if spk in test_speakers else ("valid" if index < 5 else "train")
            else:
                name = "test" if index < 5 else ("valid" if index < 10 else "train")
            splits[name][spk].append((digit, index, path))
    if not any(splits["train"].values()):
        raise SuiteError("no training recordings left after holding out the test speakers")
    return splits


def _noise_floor(wave: np.ndarray, frame: int = 80) -> float:
    """RMS of the quietest tenth of the frames: the recording's background level."""
    n = len(wave) // frame
    if n < 4:
        return 1e-4
    rms = np.sqrt(np.mean(wave[: n * frame].reshape(n, frame) ** 2, axis=1))
    return float(max(np.percentile(rms, 10), 1e-5))


def build_connected(recs: list[tuple[int, int, Path]], n_digits: int, sr: int, pause, edge,
                    rng: random.Random, cache: dict) -> tuple[np.ndarray, str]:
    """Join ``n_digits`` random recordings of one speaker with pauses filled by that speaker's room noise."""
    noise = np.random.default_rng(rng.getrandbits(63))
    picks = [rng.choice(recs) for _ in range(n_digits)]
    pieces, floors = [], []
    for _, _, path in picks:
        if path not in cache:
            cache[path] = read_audio(path, sr)
        pieces.append(cache[path])
        floors.append(_noise_floor(cache[path]))
    level = float(np.median(floors))

    def gap(lo_hi) -> np.ndarray:
        return (noise.standard_normal(int(rng.uniform(*lo_hi) * sr)) * level).astype(np.float32)

    parts = [gap(edge)]
    for i, piece in enumerate(pieces):
        parts.append(piece)
        parts.append(gap(pause) if i < len(pieces) - 1 else gap(edge))
    return np.concatenate(parts), " ".join(DIGIT_WORDS[d] for d, _, _ in picks)


def fsdd_run(args) -> Path:
    src, out = _source_dir(args), _out_dir(args)
    if not 1 <= args.min_digits <= args.max_digits:
        raise SuiteError("--min-digits must be at least 1 and not above --max-digits")
    test_speakers = [s.strip() for s in args.test_speakers.split(",") if s.strip()]
    found = _fsdd_recordings(src)
    wanted = [s.strip() for s in args.speakers.split(",") if s.strip()]
    if wanted:
        missing = [s for s in wanted if s not in found]
        if missing:
            raise SuiteError(f"--speakers: no recordings of {', '.join(missing)} (have: {', '.join(sorted(found))})")
        found = {s: found[s] for s in wanted}
    splits = _split_recordings(found, test_speakers)
    rng = random.Random(args.seed)
    all_rows = []
    for split, by_speaker in splits.items():
        rows = []
        for spk in sorted(by_speaker):
            recs = by_speaker[spk]
            if not args.connected:
                for digit, index, path in recs:
                    rel = Path(path.name)
                    rows.append({"id": path.stem, "audio": place(path, rel, out, args.files),
                                 "text": DIGIT_WORDS[digit], "speaker": spk})
                continue
            sr = int(round(_rate_of(recs[0][2])))
            count = args.per_speaker if split == "train" else args.eval_per_speaker
            cache: dict = {}
            folder = out / "audio" / split
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(count):
                wave, text = build_connected(recs, rng.randint(args.min_digits, args.max_digits), sr,
                                             args.pause, args.edge, rng, cache)
                name = f"{spk}_{n:04d}.wav"
                write_audio(folder / name, wave, sr)
                rows.append({"id": f"{split}/{spk}_{n:04d}", "audio": f"audio/{split}/{name}", "text": text,
                             "speaker": spk, "length": len(wave)})
        if rows:
            write_manifest(out / f"{split}.jsonl", rows)
        all_rows += [dict(r, split=split) for r in rows]
    manifest = write_manifest(out / "manifest.jsonl", all_rows)
    counts = ", ".join(f"{s}: {sum(r['split'] == s for r in all_rows)}" for s in splits)
    print(f"wrote {len(all_rows)} rows ({counts}) to {out}")
    return manifest


def _rate_of(path: Path) -> float:
    import soundfile as sf

    try:
        return sf.info(str(path)).samplerate
    except Exception:
        raise SuiteError("not a readable audio file", path) from None


# ---------------------------------------------------------------- an4
AN4_FILES = ("etc/an4_train.transcription", "etc/an4_test.transcription", "wav")
AN4_LINE = re.compile(r"^(?P<text>.*?)\s*\((?P<id>[^()\s]+)\)\s*$")  # "<s> H I N I C H </s> (cen1-fash-b)"


def an4_args(p: argparse.ArgumentParser) -> None:
    _add_file_mode(p)
    p.add_argument("--valid-speakers", type=float, default=0.1, metavar="N",
                   help="training speakers held out for valid.jsonl: a fraction below 1 (default 0.1) or a count")
    p.add_argument("--seed", type=int, default=0, help="seed of the valid speakers' choice")


def _an4_root(src: Path) -> Path:
    """The folder holding etc/ and wav/ (SOURCE itself or its an4/ subfolder)."""
    if not (src / "etc").is_dir() and (src / "an4" / "etc").is_dir():
        src = src / "an4"
    for name in AN4_FILES:
        if not (src / name).exists():
            raise SuiteError("not an AN4 folder (missing this file)", src / name)
    return src


def _an4_transcripts(path: Path) -> list[tuple[str, str]]:
    """(utterance id, normalised text) per line; <s>/</s> markers and the trailing (id) removed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise SuiteError("transcription is not UTF-8 text", path) from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = AN4_LINE.match(line.strip())
        if not m:
            raise SuiteError(f"line {n}: expected 'TEXT (UTTERANCE-ID)'", path)
        out.append((m["id"], normalize(m["text"])))
    return out


def _an4_audio(root: Path) -> dict[str, Path]:
    """Lower-cased file stem -> audio file under wav/ (WAV or NIST SPHERE, which soundfile reads)."""
    found, raw = {}, 0
    for f in sorted((root / "wav").rglob("*")):
        suffix = f.suffix.lower()
        if suffix in (*AUDIO_EXTENSIONS, ".sph", ".nist") and f.is_file():
            found[f.stem.lower()] = f
        raw += suffix == ".raw"
    if not found:
        hint = (" (headerless .raw audio: convert it first, e.g. "
                "sox -t raw -r 16000 -e signed -b 16 -B -c 1 X.raw X.wav)") if raw else ""
        raise SuiteError(f"no audio files under wav/{hint}", root / "wav")
    return found


def _an4_lookup(audio: dict[str, Path], uid: str) -> Path | None:
    # some copies of the test transcription write "(fcaw-AN406-FCAW-B)" for an406-fcaw-b
    low = uid.lower()
    return audio.get(low) or audio.get(low.split("-", 1)[-1])


def pick_speakers(speakers: list[str], n: int, rng: random.Random) -> set[str]:
    """``n`` random speakers, spread over the groups named by their first letter (f/m in AN4)
    in proportion to the groups' sizes (largest remainder)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for s in sorted(speakers):
        groups[s[:1]].append(s)
    quota = {g: n * len(v) / len(speakers) for g, v in groups.items()}
    take = {g: int(q) for g, q in quota.items()}
    for g in sorted(quota, key=lambda g: (take[g] - quota[g], g))[: n - sum(take.values())]:
        take[g] += 1
    chosen = set()
    for g in sorted(groups):
        members = groups[g][:]
        rng.shuffle(members)
        chosen |= set(members[: take[g]])
    return chosen


def _valid_count(value: float, n_speakers: int) -> int:
    if value < 0 or (value >= 1 and value != int(value)):
        raise SuiteError(f"--valid-speakers must be a fraction below 1 or a whole count, got {value:g}")
    n = round(value * n_speakers) if value < 1 else int(value)
    n = max(n, 1) if value > 0 else 0
    if n >= n_speakers:
        raise SuiteError(f"--valid-speakers {value:g} leaves no training speaker (AN4 training has {n_speakers})")
    return n


def an4_run(args) -> Path:
    """CMU AN4 (wav/an4_clstk, wav/an4test_clstk, etc/an4_{train,test}.transcription) into train.jsonl,
    valid.jsonl (whole training speakers held out, seeded), test.jsonl, manifest.jsonl (all, with "split")
    and words.txt (the words of train.jsonl, for --lexicon). ``length`` is in samples at the file's own
    rate (16 kHz in AN4), like the other speech manifests."""
    import soundfile as sf

    src, out = _source_dir(args), _out_dir(args)
    root = _an4_root(src)
    audio = _an4_audio(root)
    rows: dict[str, list[dict]] = {}
    missing = 0
    for part in ("train", "test"):
        rows[part] = []
        for uid, text in _an4_transcripts(root / f"etc/an4_{part}.transcription"):
            path = _an4_lookup(audio, uid)
            if path is None or not text:
                missing += 1
                continue
            try:
                frames = sf.info(str(path)).frames
            except Exception:
                raise SuiteError("not a readable audio file", path) from None
            entry = place(path, path.relative_to(root / "wav"), out, args.files)
            rows[part].append({"id": path.stem, "audio": entry, "text": text, "speaker": path.parent.name,
                               "length": int(frames)})
        if not rows[part]:
            raise SuiteError(f"no utterance of an4_{part}.transcription has its audio under wav/", root)
    speakers = sorted({r["speaker"] for r in rows["train"]})
    held = pick_speakers(speakers, _valid_count(args.valid_speakers, len(speakers)), random.Random(args.seed))
    splits = {"train": [r for r in rows["train"] if r["speaker"] not in held],
              "valid": [r for r in rows["train"] if r["speaker"] in held], "test": rows["test"]}
    for name, part in splits.items():
        if part:
            write_manifest(out / f"{name}.jsonl", part)
        elif (out / f"{name}.jsonl").exists():
            (out / f"{name}.jsonl").unlink()  # a stale split of an earlier run would be misleading
    words = sorted({w for r in splits["train"] for w in r["text"].split()})
    atomic_write_text(out / "words.txt", "".join(w + "\n" for w in words))
    manifest = write_manifest(out / "manifest.jsonl", [dict(r, split=n) for n, part in splits.items() for r in part])
    counts = ", ".join(f"{n}: {len(p)} utterances of {len({r['speaker'] for r in p})} speakers"
                       for n, p in splits.items())
    print(f"{counts}; {len(words)} training words -> {out / 'words.txt'}")
    if missing:
        print(f"skipped {missing} transcript lines without audio or text")
    return manifest


FORMATS = {
    "librispeech": (librispeech_args, librispeech_run),
    "fsdd": (fsdd_args, fsdd_run),
    "pairs": (pairs_args, pairs_run),
    "an4": (an4_args, an4_run),
}

__all__ = ["FORMATS", "build_connected", "place"]
