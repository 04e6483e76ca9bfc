"""Simple JSON ink: {"strokes": [[[x, y, t], ...], ...], "text": ...}; y downward, t (seconds) optional."""
from __future__ import annotations

import json
from pathlib import Path

from suite.errors import SuiteError

from ..ink import Ink, check_ink, make_stroke


def read_json(path: str | Path) -> list[Ink]:
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SuiteError(f"not valid JSON ink ({err.msg}, line {err.lineno})", path) from None
    except UnicodeDecodeError:
        raise SuiteError("not valid JSON ink (not UTF-8 text)", path) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("strokes"), list):
        raise SuiteError('not valid JSON ink (expected an object with a "strokes" list)', path)
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise SuiteError('"text" must be a string', path)
    strokes = []
    for i, stroke in enumerate(obj["strokes"]):
        if not isinstance(stroke, list) or not all(isinstance(p, list) for p in stroke):
            raise SuiteError(f"stroke {i} is not a list of points", path)
        if any(not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p) for p in stroke):
            raise SuiteError(f"stroke {i} has a non-numeric coordinate", path)
        if any(len(p) != len(stroke[0]) for p in stroke):
            raise SuiteError(f"stroke {i} mixes points with and without time", path)
        strokes.append(make_stroke(stroke, path))
    writer = obj.get("writer")
    ink = Ink(strokes, text=text, writer=str(writer) if writer is not None else None,
              id=str(obj["id"]) if obj.get("id") is not None else path.stem)
    return [check_ink(ink, path)]
