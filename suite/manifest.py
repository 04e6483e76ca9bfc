"""JSONL manifests: one sample per line, input path relative to the manifest's folder."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import SuiteError


@dataclass
class Row:
    id: str
    path: str  # absolute input path
    target: Any = None  # text or label
    length: int | None = None
    extra: dict = field(default_factory=dict)


def resolve_path(entry: str, base: Path, allow_outside: bool, source: str, line: int) -> str:
    p = Path(entry)
    if p.is_absolute() or ".." in p.parts:
        if not allow_outside:
            raise SuiteError(
                f"line {line}: path {entry!r} leaves the manifest's folder "
                "(use relative paths inside it, or allow it with data.allow_outside_paths / --allow-outside-paths)",
                source,
            )
    return str(p if p.is_absolute() else (base / p))


def read_manifest(path: str | Path, input_key: str, target_key: str | None, *, allow_outside: bool = False,
                  require_target: bool = True) -> list[Row]:
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
        entry = obj.get(input_key)
        if not isinstance(entry, str) or not entry:
            raise SuiteError(f"line {n}: missing '{input_key}' path", path)
        target = obj.get(target_key) if target_key else None
        if require_target and target_key and target is None:
            raise SuiteError(f"line {n}: missing '{target_key}'", path)
        if target is not None and not isinstance(target, (str, int)):
            raise SuiteError(f"line {n}: '{target_key}' must be a string", path)
        length = obj.get("length")
        if length is not None and (not isinstance(length, (int, float)) or length < 0):
            raise SuiteError(f"line {n}: 'length' must be a non-negative number", path)
        sid = str(obj.get("id") or entry)
        if sid in seen:
            sid = f"{sid}#{n}"
        seen.add(sid)
        extra = {k: v for k, v in obj.items() if k not in (input_key, target_key, "id", "length")}
        rows.append(Row(sid, resolve_path(entry, base, allow_outside, str(path), n), target,
                        int(length) if length is not None else None, extra))
    if not rows:
        raise SuiteError("manifest has no samples", path)
    return rows


def write_manifest(path: str | Path, records: Iterable[dict]) -> Path:
    """Write records as JSONL atomically (paths should already be relative to the manifest's folder)."""
    from .io import atomic_write_text

    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return atomic_write_text(path, text)


def relative_to(path: str | Path, folder: str | Path) -> str:
    return os.path.relpath(Path(path).resolve(), Path(folder).resolve())


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
