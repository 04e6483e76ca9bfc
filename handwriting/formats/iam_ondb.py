"""IAM-OnDB stroke XML (``WhiteboardCaptureSession/StrokeSet/Stroke/Point x y time``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from suite.errors import SuiteError

from ..ink import Ink, check_ink, make_stroke
from .xml_safe import descendants, local, parse_xml


def read_iam_ondb(path: str | Path) -> list[Ink]:
    path = Path(path)
    root = parse_xml(path, "IAM-OnDB")
    sets = descendants(root, "StrokeSet")
    if not sets:
        raise SuiteError(f"not IAM-OnDB stroke XML (no <StrokeSet> under <{local(root.tag)}>)", path)
    strokes = []
    for s in descendants(sets[0], "Stroke"):
        pts = []
        for p in descendants(s, "Point"):
            try:
                # y grows downward on the whiteboard, as in the suite's Ink convention
                pts.append([float(p.get("x")), float(p.get("y")), float(p.get("time", "nan"))])
            except (TypeError, ValueError):
                raise SuiteError(f"malformed IAM-OnDB XML: stroke {len(strokes)} has a point without numeric x/y",
                                 path) from None
        if pts:
            strokes.append(np.asarray(pts))
    if strokes:
        # times are absolute clock seconds: make them relative to the first point of the file
        t0 = min((np.nanmin(s[:, 2]) if not np.isnan(s[:, 2]).all() else np.inf) for s in strokes)
        t0 = 0.0 if np.isinf(t0) else t0
        strokes = [make_stroke(s - [0.0, 0.0, t0], path) for s in strokes]
    lines = [tl.get("text") for tl in descendants(root, "TextLine") if tl.get("text") is not None]
    writer = None
    for form in descendants(root, "Form"):
        writer = form.get("writerID") or writer
    ink = Ink(strokes, text=lines[0] if len(lines) == 1 else None, writer=writer, id=path.stem)
    return [check_ink(ink, path)]
