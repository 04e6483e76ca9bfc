"""UNIPEN reader: ``.PEN_DOWN``/``.PEN_UP`` blocks, ``.INCLUDE`` resolution, labelled ``.SEGMENT`` ranges.

Real UNIPEN contributions disagree on what a ``.SEGMENT`` component number counts. Some number only the
``.PEN_DOWN`` blocks, others number every block that holds points (pen-up movements included), and a few
fit neither. The numbering is therefore decided per file (:func:`choose_numbering`) and segments whose
range cannot be honoured are dropped with a reason. Files are latin-1, y grows upward (flipped here), and
some start or are sprinkled with dummy one-point strokes at (0, 0), which are removed from the ink.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from suite.errors import SuiteError

from ..ink import Ink

MAX_INCLUDE_DEPTH = 16
_LABEL = re.compile(r'"((?:[^"\\]|\\.)*)"')
_RANGE = re.compile(r"^(\d+)(?::(\d+))?(?:-(\d+)(?::(\d+))?)?$")


@dataclass
class Component:
    down: bool
    points: np.ndarray  # [N, 3] x, y (as in the file, y upward), t seconds
    writer: str | None


@dataclass
class Segment:
    level: str
    ranges: list[tuple[int, int | None, int, int | None]]  # (first comp, first point, last comp, last point)
    quality: str
    text: str | None
    spec: str


@dataclass
class UnipenDoc:
    path: Path
    components: list[Component] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    # segment markers some contributors leave inline in the ink stream as `.COMMENT .SEGMENT ...`:
    # (level, label, component position where the segment starts), in file order. Their ranges may not
    # match the .SEGMENT lines (they drift in some files), so they are matched by level and label.
    anchors: list[tuple[str, str | None, int]] = field(default_factory=list)
    anchor_of: dict[int, int] = field(default_factory=dict)  # id(segment) -> start position
    boxes: list[int] = field(default_factory=list)  # component positions of .START_BOX lines
    warnings: list[str] = field(default_factory=list)


@dataclass
class _State:
    coord: list[str] = field(default_factory=lambda: ["X", "Y"])
    pps: float = 100.0
    clock: float = 0.0
    writer: str | None = None


def _include_dirs(path: Path, extra: list[str] | None) -> list[Path]:
    dirs = [Path(d) for d in (extra or [])]
    dirs += [Path(d) for d in os.environ.get("UNIPEN_INCLUDE", "").split(os.pathsep) if d]
    # the usual layout: data/<category>/<contrib>/... with includes under <root>/include/
    for anc in [path.parent, *path.parent.parents]:
        dirs += [anc, anc / "include"]
    return dirs


def _resolve_include(name: str, path: Path, extra: list[str] | None) -> Path | None:
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise SuiteError(f".INCLUDE {name!r} must be a relative path inside the include folder", path)
    for d in _include_dirs(path, extra):
        cand = d / rel
        try:
            if cand.is_file():
                return cand
        except OSError:  # e.g. a name longer than the file system allows: no such file
            continue
    return None


def _parse_ranges(spec: str, path: Path) -> list[tuple[int, int | None, int, int | None]]:
    out = []
    for part in spec.replace(" ", "").split(","):
        m = _RANGE.match(part)
        if not m:
            raise SuiteError(f"bad .SEGMENT range {spec!r}", path)
        c0, p0, c1, p1 = m.groups()
        c1 = c1 if c1 is not None else c0
        if c1 == c0 and m.group(3) is None:
            p1 = p0
        out.append((int(c0), int(p0) if p0 else None, int(c1), int(p1) if p1 else None))
    return out


def _split_segment(line: str, lineno: int, path: Path) -> tuple[str, str, str | None, str | None]:
    """`.SEGMENT LEVEL RANGES [QUALITY] ["label"]` -> its four parts."""
    q = line.find('"')
    head = line if q < 0 else line[:q]
    label = None
    if q >= 0:
        m = _LABEL.match(line, q)
        if not m:
            raise SuiteError(f"line {lineno}: unterminated .SEGMENT label", path)
        label = m.group(1)
    tokens = head.split()[1:]
    if len(tokens) < 2:
        raise SuiteError(f"line {lineno}: malformed .SEGMENT line", path)
    level, rest = tokens[0], tokens[1:]
    spec = [t for t in rest if re.fullmatch(r"[\d:,\-]+", t)]
    other = [t for t in rest if t not in spec]
    if not spec:
        raise SuiteError(f"line {lineno}: .SEGMENT without a component range", path)
    return level, "".join(spec), (other[0] if other else None), label


def _unescape(label: str) -> str:
    return re.sub(r"\\(.)", r"\1", label)


def _read_file(path: Path, doc: UnipenDoc, state: _State, extra: list[str] | None, stack: tuple) -> None:
    if len(stack) > MAX_INCLUDE_DEPTH or path.resolve() in stack:
        raise SuiteError(".INCLUDE loop or nesting too deep", path)
    stack = stack + (path.resolve(),)
    try:
        lines = path.read_bytes().decode("latin-1").splitlines()
    except OSError as err:
        raise SuiteError(f"cannot read UNIPEN file ({err.strerror})", path) from None
    rows: list[list[float]] | None = None
    is_down = False

    def close():
        nonlocal rows
        if rows is not None:
            doc.components.append(Component(is_down, _to_points(rows, state, path), state.writer))
        rows = None

    for lineno, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("."):
            kw = s.split(None, 1)[0]
            rest = s[len(kw):].strip()
            if kw in (".PEN_DOWN", ".PEN_UP"):
                close()
                rows, is_down = [], kw == ".PEN_DOWN"
                continue
            close()
            if kw == ".INCLUDE":
                if not rest:
                    raise SuiteError(f"line {lineno}: .INCLUDE without a file name", path)
                target = _resolve_include(rest.split()[0], path, extra)
                if target is None:
                    if rest.split()[0].lower().endswith(".dat"):
                        raise SuiteError(f"line {lineno}: cannot find .INCLUDE file {rest.split()[0]!r} "
                                         "(set --include-dir or UNIPEN_INCLUDE)", path)
                    doc.warnings.append(f"missing documentation include {rest.split()[0]!r}")
                else:
                    _read_file(target, doc, state, extra, stack)
            elif kw == ".SEGMENT":
                level, spec, quality, label = _split_segment(s, lineno, path)
                doc.segments.append(Segment(level, _parse_ranges(spec, path), quality or "?",
                                            _unescape(label) if label is not None else None, spec.strip()))
            elif kw == ".COMMENT" and rest.startswith(".SEGMENT"):
                try:
                    level, spec, _, label = _split_segment(rest, lineno, path)
                except SuiteError:
                    continue  # a comment is free text; only well-formed markers are anchors
                doc.anchors.append((level, _unescape(label) if label else label, len(doc.components)))
            elif kw == ".START_BOX":
                doc.boxes.append(len(doc.components))
            elif kw == ".COORD" and rest:
                state.coord = rest.upper().split()
            elif kw == ".POINTS_PER_SECOND" and rest:
                try:
                    state.pps = float(rest.split()[0]) or state.pps
                except ValueError:
                    raise SuiteError(f"line {lineno}: bad .POINTS_PER_SECOND {rest!r}", path) from None
            elif kw == ".DT" and rest:
                try:
                    state.clock += float(rest.split()[0]) / 1000.0  # pause before the next block, in ms
                except ValueError:
                    pass
            elif kw == ".WRITER_ID":
                state.writer = rest.split()[0] if rest else None
        elif rows is not None:
            try:
                rows.append([float(v) for v in s.split()])
            except ValueError:
                raise SuiteError(f"line {lineno}: bad coordinate line {s[:40]!r}", path) from None
    close()


def _to_points(rows: list[list[float]], state: _State, path: Path) -> np.ndarray:
    if not rows:
        return np.zeros((0, 3))
    width = min(len(r) for r in rows)
    if width < 2:
        raise SuiteError("coordinate line with fewer than two numbers", path)
    arr = np.asarray([r[:width] for r in rows], dtype=np.float64)
    names = state.coord if len(state.coord) >= 2 else ["X", "Y"]
    xi = names.index("X") if "X" in names else 0
    yi = names.index("Y") if "Y" in names else 1
    n = len(arr)
    if "T" in names and names.index("T") < width:
        t = arr[:, names.index("T")] / 1000.0  # UNIPEN T channel is in milliseconds
    else:
        t = state.clock + np.arange(n) / state.pps
    state.clock = (t[-1] if np.isfinite(t[-1]) else state.clock) + 1.0 / state.pps
    return np.stack([arr[:, xi], arr[:, yi], t], axis=1)


def parse_unipen(path: str | Path, include_dirs: list[str] | None = None) -> UnipenDoc:
    path = Path(path)
    if not path.is_file():
        raise SuiteError("file not found", path)
    doc = UnipenDoc(path)
    _read_file(path, doc, _State(), include_dirs, ())
    return doc


def numbering_index(doc: UnipenDoc, scheme: str) -> list[int]:
    """Component list positions addressed by segment numbers 0, 1, 2, ... under a numbering scheme."""
    if scheme in ("pen-down", "anchored"):
        return [i for i, c in enumerate(doc.components) if c.down]
    return [i for i, c in enumerate(doc.components) if len(c.points) or c.down]


def choose_numbering(doc: UnipenDoc) -> tuple[str, str]:
    """Decide what the file's .SEGMENT numbers count: "pen-down" blocks or "all" blocks with points.

    Evidence, strongest first: a number beyond the pen-down count can only mean "all"; segment starts
    falling on pen-down blocks under "all" numbering (they do when that is the convention, and only about
    half of them do by chance otherwise).
    """
    comps = doc.components
    if doc.segments and sum(_anchor(doc, seg) is not None for seg in doc.segments) >= 0.9 * len(doc.segments):
        return "anchored", "the ink stream marks where each segment starts (.COMMENT .SEGMENT lines)"
    if not any((not c.down) and len(c.points) for c in comps) or not doc.segments:
        return "pen-down", "no pen-up block holds points, both numberings agree"
    down_idx, all_idx = numbering_index(doc, "pen-down"), numbering_index(doc, "all")
    top = max(r[2] for s in doc.segments for r in s.ranges)
    starts = [r[0] for s in doc.segments for r in s.ranges]
    on_down = sum(1 for k in starts if k < len(all_idx) and comps[all_idx[k]].down) / len(starts)
    if top >= len(down_idx) and top < len(all_idx):
        return "all", f"segment number {top} exceeds the {len(down_idx)} pen-down blocks"
    if on_down >= 0.9 and len(starts) >= 2:
        return "all", f"{on_down:.0%} of segment starts fall on pen-down blocks when pen-up blocks are counted"
    return "pen-down", f"only {on_down:.0%} of segment starts fall on pen-down blocks when pen-up blocks are counted"


def _match_anchors(doc: UnipenDoc) -> None:
    """Pair .SEGMENT lines with inline markers of the same level and label, in order."""
    doc.anchor_of = {}
    pos = 0
    for seg in doc.segments:
        for k in range(pos, len(doc.anchors)):
            level, label, at = doc.anchors[k]
            if level == seg.level and label == seg.text:
                doc.anchor_of[id(seg)] = at
                pos = k + 1
                break


def _anchor(doc: UnipenDoc, seg: Segment) -> int | None:
    if doc.anchors and not doc.anchor_of:
        _match_anchors(doc)
    return doc.anchor_of.get(id(seg))


def _anchored_components(doc: UnipenDoc, seg: Segment) -> list[Component] | None:
    """Components from a segment's inline marker to the next marker of the same level or .START_BOX."""
    start = _anchor(doc, seg)
    if start is None:
        return None
    ends = [p for lvl, _, p in doc.anchors if lvl == seg.level and p > start]
    ends += [p for p in doc.boxes if p > start] + [len(doc.components)]
    return doc.components[start:min(ends)]


def _is_dummy(points: np.ndarray) -> bool:
    return len(points) == 1 and points[0, 0] == 0 and points[0, 1] == 0


def _drop_outlier_dots(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Remove one-point strokes lying far outside the ink of the longer strokes (stray pen taps)."""
    big = [s for s in strokes if len(s) > 1]
    if not big:
        return strokes
    pts = np.concatenate(big)[:, :2]
    lo, hi = pts.min(0), pts.max(0)
    margin = max(hi[1] - lo[1], 1.0)
    return [s for s in strokes
            if len(s) > 1 or ((s[0, :2] >= lo - margin).all() and (s[0, :2] <= hi + margin).all())]


def segment_ink(doc: UnipenDoc, seg: Segment, scheme: str) -> tuple[list[np.ndarray] | None, str]:
    """Pen-down strokes of a segment (y flipped to grow downward), or None and the reason it was dropped."""
    strokes = []
    if scheme == "anchored":
        comps = _anchored_components(doc, seg)
        if comps is None:
            return None, "no inline marker for this segment"
        strokes = [c.points * [1.0, -1.0, 1.0] for c in comps if c.down and len(c.points) and not _is_dummy(c.points)]
        strokes = _drop_outlier_dots(strokes)
        return (strokes, "") if strokes else (None, "no pen-down ink in range")
    index = numbering_index(doc, scheme)
    for c0, p0, c1, p1 in seg.ranges:
        if c1 >= len(index) or c0 > c1:
            return None, f"range {seg.spec} beyond the {len(index)} components ({scheme} numbering)"
        for k in range(c0, c1 + 1):
            comp = doc.components[index[k]]
            pts = comp.points
            if k == c1 and p1 is not None:
                pts = pts[: p1 + 1]
            if k == c0 and p0 is not None:
                pts = pts[p0:]
            if comp.down and len(pts) and not _is_dummy(pts):
                strokes.append(pts * [1.0, -1.0, 1.0])
    strokes = _drop_outlier_dots(strokes)
    if not strokes:
        return None, "no pen-down ink in range"
    if sum(len(s) == 1 for s in strokes) > 0.5 * len(strokes):
        # real writing has a few dots (i, j, punctuation), never mostly dots: the numbering does not fit
        return None, f"range {seg.spec} holds mostly one-point strokes ({scheme} numbering does not fit)"
    return strokes, ""


def segment_writer(doc: UnipenDoc, seg: Segment, scheme: str) -> str | None:
    if scheme == "anchored":
        comps = _anchored_components(doc, seg)
        return comps[0].writer if comps else None
    index = numbering_index(doc, scheme)
    k = seg.ranges[0][0]
    return doc.components[index[k]].writer if k < len(index) else None


def unipen_samples(doc: UnipenDoc) -> tuple[list[Ink], list[tuple[str, str]], str]:
    """Labelled segments as inks. Returns (inks, dropped [(segment spec, reason)], numbering decision)."""
    scheme, why = choose_numbering(doc)
    inks, dropped = [], []
    for i, seg in enumerate(doc.segments):
        if seg.text is None or not seg.text.strip():
            dropped.append((seg.spec, "no label"))
            continue
        if seg.quality.upper() == "BAD":
            dropped.append((seg.spec, "labelled BAD by the contributor"))
            continue
        strokes, reason = segment_ink(doc, seg, scheme)
        if strokes is None:
            dropped.append((seg.spec, reason))
            continue
        inks.append(Ink(strokes, text=seg.text, writer=segment_writer(doc, seg, scheme),
                        id=f"{doc.path.stem}-{i}", meta={"segment": seg.spec, "level": seg.level}))
    return inks, dropped, f"{scheme}: {why}"


def read_unipen(path: str | Path, include_dirs: list[str] | None = None) -> list[Ink]:
    """One ink per labelled segment; a file without segments is one unlabelled ink."""
    doc = parse_unipen(path, include_dirs)
    if doc.segments:
        inks, dropped, _ = unipen_samples(doc)
        if inks:
            return inks
        raise SuiteError(f"no usable .SEGMENT ({dropped[0][1]})" if dropped else "no usable .SEGMENT", path)
    strokes = [c.points * [1.0, -1.0, 1.0] for c in doc.components if c.down and len(c.points)
               and not _is_dummy(c.points)]
    if not strokes:
        raise SuiteError("no pen-down strokes", path)
    writer = next((c.writer for c in doc.components if c.writer), None)
    return [Ink(_drop_outlier_dots(strokes), writer=writer, id=Path(path).stem)]


def looks_like_unipen(head: str) -> bool:
    return bool(re.search(r"^\.(VERSION|INCLUDE|PEN_DOWN|SEGMENT|COORD|PEN_UP)\b", head, re.M))


__all__ = ["read_unipen", "parse_unipen", "unipen_samples", "choose_numbering", "looks_like_unipen"]
