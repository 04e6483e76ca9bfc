"""W3C InkML reader: traceFormat channels (X, Y, optional T/F), traces with difference encodings,
traceGroups and ``annotation type="truth"`` labels."""
from __future__ import annotations

import math
import re
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np

from suite.errors import SuiteError

from ..ink import Ink, check_ink, make_stroke
from .xml_safe import children, descendants, local, parse_xml

_VALUE = re.compile(r"""\s*([!'"]?)\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[TF?*])""")
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _id(elem: Element) -> str | None:
    return elem.get(_XML_ID) or elem.get("id")


class _Channels:
    def __init__(self, names: list[str], flip: set[str], scale: dict[str, float]):
        self.names, self.flip, self.scale = names, flip, scale


def _trace_format(fmt: Element) -> _Channels:
    names, flip, scale = [], set(), {}
    for ch in descendants(fmt, "channel"):
        name = (ch.get("name") or "").upper()
        names.append(name)
        if ch.get("orientation") == "-ve":
            flip.add(name)
        if name == "T" and (ch.get("units") or "").lower() == "ms":
            scale["T"] = 1e-3
    return _Channels(names or ["X", "Y"], flip, scale)


def _formats(root: Element) -> tuple[_Channels, dict[str, _Channels]]:
    """Default channel layout and a map from traceFormat/context ids to layouts."""
    by_id: dict[str, _Channels] = {}
    default = None
    for fmt in descendants(root, "traceFormat"):
        chans = _trace_format(fmt)
        if _id(fmt):
            by_id[_id(fmt)] = chans
        default = default or chans
    for ctx in descendants(root, "context"):
        fmts = children(ctx, "traceFormat")
        ref = (ctx.get("traceFormatRef") or "").lstrip("#")
        chans = _trace_format(fmts[0]) if fmts else by_id.get(ref)
        if chans and _id(ctx):
            by_id[_id(ctx)] = chans
    return default or _Channels(["X", "Y"], set(), {}), by_id


def _parse_trace(text: str, chans: _Channels, path: Path, n: int) -> np.ndarray:
    """Decode one trace's text: explicit values, ' (first difference) and " (second difference)."""
    width = len(chans.names)
    rows, prev, velocity = [], [0.0] * width, [0.0] * width
    mode = ["!"] * width
    for point_text in text.strip().split(","):
        if not point_text.strip():
            continue
        values, pos = [], 0
        while pos < len(point_text) and len(values) < width:
            m = _VALUE.match(point_text, pos)
            if not m:
                break
            values.append(m.groups())
            pos = m.end()
        if len(values) < 2 or point_text[pos:].strip():
            raise SuiteError(f"malformed InkML: trace {n} has a bad point {point_text.strip()[:40]!r}", path)
        row = []
        for i, (qual, raw) in enumerate(values):
            if raw in ("T", "F"):
                v = 1.0 if raw == "T" else 0.0
            elif raw in ("?", "*"):
                v = math.nan if raw == "?" else prev[i]
            else:
                v = float(raw)
            if qual:
                mode[i] = qual
            if not rows or mode[i] == "!":
                val = v
                velocity[i] = 0.0
            elif mode[i] == "'":
                velocity[i] = v
                val = prev[i] + v
            else:  # second difference: the change of the first difference
                velocity[i] += v
                val = prev[i] + velocity[i]
            row.append(val)
        row += [math.nan] * (width - len(row))
        prev = row
        rows.append(row)
    if not rows:
        raise SuiteError(f"malformed InkML: trace {n} has no points", path)
    arr = np.asarray(rows, dtype=np.float64)
    cols = {name: arr[:, i] for i, name in enumerate(chans.names)}
    if "X" not in cols or "Y" not in cols:
        raise SuiteError("InkML traceFormat has no X and Y channels", path)
    x = -cols["X"] if "X" in chans.flip else cols["X"]
    y = -cols["Y"] if "Y" in chans.flip else cols["Y"]
    t = cols.get("T", np.full(len(arr), math.nan)) * chans.scale.get("T", 1.0)
    return make_stroke(np.stack([x, y, t], axis=1), path)


def _truth(elem: Element) -> str | None:
    for ann in children(elem, "annotation"):
        if ann.get("type") == "truth":
            return (ann.text or "").strip()
    return None


def _group_traces(group: Element, traces: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Strokes of a traceGroup/traceView: its own traces and those referenced by traceDataRef."""
    out = []
    for node in group.iter():
        tag = local(node.tag)
        if tag == "trace":
            key = _id(node) or f"@{id(node)}"
            if key in traces:
                out.append(traces[key])
        elif tag == "traceView":
            ref = (node.get("traceDataRef") or "").lstrip("#")
            if ref in traces:
                out.append(traces[ref])
    return out


def read_inkml(path: str | Path) -> list[Ink]:
    path = Path(path)
    root = parse_xml(path, "InkML")
    if local(root.tag) != "ink":
        raise SuiteError(f"not InkML (root element is <{local(root.tag)}>, expected <ink>)", path)
    default, by_id = _formats(root)
    traces: dict[str, np.ndarray] = {}
    strokes: list[np.ndarray] = []  # every trace in document order (ids may repeat in the wild)
    for n, tr in enumerate(descendants(root, "trace")):
        ref = (tr.get("contextRef") or tr.get("traceFormatRef") or "").lstrip("#")
        stroke = _parse_trace(tr.text or "", by_id.get(ref, default), path, n)
        traces[_id(tr) or f"@{id(tr)}"] = stroke
        strokes.append(stroke)
    if not strokes:
        raise SuiteError("InkML file has no traces", path)
    text = _truth(root)
    groups = [g for g in descendants(root, "traceGroup") if _truth(g) is not None]
    # keep only the outermost labelled groups (a line's group may hold labelled word groups)
    inner = {id(d) for g in groups for d in g.iter() if d is not g}
    groups = [g for g in groups if id(g) not in inner]
    if text is None and groups:
        inks = []
        for i, g in enumerate(groups):
            strokes = _group_traces(g, traces)
            if strokes:
                inks.append(Ink(strokes, text=_truth(g), id=f"{path.stem}-{i}"))
        if inks:
            return inks
    return [check_ink(Ink(strokes, text=text, id=path.stem), path)]
