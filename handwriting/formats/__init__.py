"""Stroke file readers. ``read_ink(path)`` picks the reader from the extension or, failing that, the content."""
from __future__ import annotations

from pathlib import Path

from suite.errors import SuiteError

from ..ink import Ink
from .iam_ondb import read_iam_ondb
from .inkml import read_inkml
from .json_ink import read_json
from .unipen import looks_like_unipen, read_unipen

READERS = {"json": read_json, "inkml": read_inkml, "iam-ondb": read_iam_ondb, "unipen": read_unipen}
MAX_INK_BYTES = 200 * 1024 * 1024


def detect_format(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise SuiteError("file not found" if not path.exists() else "not a regular file", path)
    size = path.stat().st_size
    if size > MAX_INK_BYTES:
        raise SuiteError(f"file too large for an ink file ({size // 2**20} MB)", path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".inkml":
        return "inkml"
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("latin-1")
    stripped = head.lstrip("\ufeff\xef\xbb\xbf \t\r\n")
    if stripped.startswith("<"):
        return "inkml" if "<ink" in head and "StrokeSet" not in head else "iam-ondb"
    if stripped.startswith("{"):
        return "json"
    if looks_like_unipen(head):
        return "unipen"
    raise SuiteError("unknown ink format (expected UNIPEN, InkML, IAM-OnDB XML or JSON ink)", path)


def read_ink(path: str | Path, fmt: str | None = None) -> list[Ink]:
    """All samples in a file (a UNIPEN file may hold several labelled segments)."""
    fmt = fmt or detect_format(path)
    return READERS[fmt](path)
