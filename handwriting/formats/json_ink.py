"""Simple JSON ink: {"strokes": [[[x, y, t], ...], ...], "text": ...}; y downward, t (seconds) optional."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from suite.errors import SuiteError

from ..ink import Ink, check_ink, make_stroke


def read_json(path: str | Path) -> list[Ink]:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
        obj = json.loads(raw)
    except json.JSONDecodeError as err:
        raise SuiteError(f"not valid JSON ink ({err.msg}, line {err.lineno})", path) from None
    except UnicodeDecodeError:
        raise SuiteError("not valid JSON ink (not UTF-8 text)", path) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("strokes"), list):
        raise SuiteError('not valid JSON ink (expected an object with a "strokes" list)', path)
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise SuiteError('"text" must be a string', path)
    # JSON true/false would pass as numbers in numpy: without them anywhere, numpy checks the points at once
    quick = "true" not in raw and "false" not in raw
    strokes = []
    for i, stroke in enumerate(obj["strokes"]):
        if quick and stroke and isinstance(stroke, list):
            try:
                arr = np.asarray(stroke)
            except ValueError:  # ragged: the checks below say how
                arr = None
            if arr is not None and arr.ndim == 2 and arr.dtype.kind in "iuf":
                strokes.append(make_stroke(arr, path))
                continue
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
