"""JSONL manifests: one sample per line. Relative input paths resolve against the manifest's folder;
absolute paths (as NeMo and ESPnet manifests write them) are taken as they are."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import SuiteError

# other tools' names for a domain's input key: NeMo writes {"audio_filepath", "text", "duration"}
INPUT_ALIASES = {"audio": ("audio_filepath",)}


@dataclass
class Row:
    id: str
    path: str  # absolute input path
    target: Any = None  # text or label
    length: int | None = None
    extra: dict = field(default_factory=dict)


def resolve_path(entry: str, base: Path) -> str:
    """An absolute path as it is; a relative one (``..`` included) against the manifest's folder."""
    p = Path(entry)
    return str(p if p.is_absolute() else base / p)


def _plain_target(target: Any) -> bool:
    """Text, a label, a number, or (regression targets) a list of numbers / lists of numbers."""
    if isinstance(target, bool):
        return False
    if isinstance(target, (str, int, float)):
        return True
    return isinstance(target, list) and bool(target) and all(
        _plain_target(t) and not isinstance(t, str) for t in target)


def read_manifest(path: str | Path, input_key: str, target_key: str | None, *,
                  allow_outside: bool = True) -> list[Row]:
    """Rows of a manifest. ``target_key=None`` reads inputs only. ``allow_outside`` is accepted for older
    callers and has no effect: paths outside the manifest's folder are normal (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise SuiteError("manifest not found", path)
    base = path.resolve().parent
    rows: list[Row] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8", errors="strict") as fh:
        try:
            lines = fh.readlines()
        except UnicodeDecodeError:
            raise SuiteError("manifest is not UTF-8 text", path) from None
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise SuiteError(f"line {n}: not valid JSON ({err.msg})", path) from None
        if not isinstance(obj, dict):
            raise SuiteError(f"line {n}: expected a JSON object", path)
        key = input_key
        if key not in obj:
            key = next((k for k in INPUT_ALIASES.get(input_key, ()) if k in obj), input_key)
        entry = obj.get(key)
        if not isinstance(entry, str) or not entry:
            also = "".join(f" or '{k}'" for k in INPUT_ALIASES.get(input_key, ()))
            raise SuiteError(f"line {n}: missing '{input_key}'{also} path", path)
        target = obj.get(target_key) if target_key else None
        if target_key and target is None:
            raise SuiteError(f"line {n}: missing '{target_key}'", path)
        if target is not None and not _plain_target(target):
            raise SuiteError(f"line {n}: '{target_key}' must be a string, a number or a list of numbers", path)
        length = obj.get("length")
        if length is not None and (not isinstance(length, (int, float)) or length < 0):
            raise SuiteError(f"line {n}: 'length' must be a non-negative number", path)
        sid = str(obj.get("id") or entry)
        if sid in seen:
            sid = f"{sid}#{n}"
        seen.add(sid)
        extra = {k: v for k, v in obj.items() if k not in (key, target_key, "id", "length")}  # e.g. NeMo's duration
        rows.append(Row(sid, resolve_path(entry, base), target,
                        int(length) if length is not None else None, extra))
    if not rows:
        raise SuiteError("manifest has no samples", path)
    return rows


def write_manifest(path: str | Path, records: Iterable[dict]) -> Path:
    """Write records as JSONL atomically (relative paths are relative to the manifest's folder)."""
    from .io import atomic_write_text

    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return atomic_write_text(path, text)


def place_file(src: str | Path, rel: str | Path, out: str | Path, subdir: str, mode: str = "link") -> str:
    """Manifest entry for ``src`` when preparing a dataset into ``out``: relative if already inside ``out``,
    else symlinked (``link``) or copied (``copy``) to ``out/subdir/rel``, or left ``absolute``."""
    import shutil

    src, out = Path(src).resolve(), Path(out)
    try:
        return src.relative_to(out.resolve()).as_posix()
    except ValueError:
        pass
    if mode == "absolute":
        return str(src)
    dest = out / subdir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or dest.exists():
        dest.unlink()
    if mode == "copy":
        shutil.copy2(src, dest)
    else:
        os.symlink(src, dest)
    return dest.relative_to(out).as_posix()
