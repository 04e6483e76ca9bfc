"""Cut small real UNIPEN excerpts for the tests (tests/fixtures/handwriting/unipen, CC BY 4.0).

Each excerpt keeps a data file's first .SEGMENT lines and its ink file up to the last component those
segments use, so the per-file numbering decision sees the same evidence as on the full file.
    python scripts/make_handwriting_fixtures.py ../shared/data/unipen
"""
from __future__ import annotations

import sys
from pathlib import Path

from handwriting.formats.unipen import choose_numbering, numbering_index, parse_unipen

# (data file relative to data/, number of segments to keep)
PICKS = [("8/apa/apa00/app0020.dat", 1), ("8/cec/Hamilton_B.dat", 2), ("8/hpp/hpp3/hpb3-wf0.dat", 3),
         ("8/lex/lex0/squim1.dat", 2), ("8/hpb/hpb4/hpb41rjb.dat", 2), ("8/aga/jamesmor.dat", 1)]
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "handwriting" / "unipen"


def cut(root: Path, rel: str, keep: int) -> None:
    data = root / "data" / rel
    lines = data.read_text(encoding="latin-1").splitlines()
    head = [ln for ln in lines if not ln.startswith(".SEGMENT")]
    segs = [ln for ln in lines if ln.startswith(".SEGMENT")][:keep]
    doc = parse_unipen(data)
    doc.segments = doc.segments[:keep]
    scheme, _ = choose_numbering(doc)
    if scheme == "anchored":
        last_comp = len(doc.components)  # anchored files are cut after the next marker below
    else:
        index = numbering_index(doc, scheme)
        last_comp = index[max(r[2] for s in doc.segments for r in s.ranges)] + 1
    (OUT / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
    (OUT / "data" / rel).write_text("\n".join(head + segs) + "\n", encoding="latin-1")
    for ln in head:
        if not ln.startswith(".INCLUDE"):
            continue
        inc = ln.split()[1]
        src = root / "include" / inc
        if not src.exists():
            continue
        dst = OUT / "include" / inc
        dst.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="latin-1").splitlines()
        if "/data/" in inc:
            text = _truncate(text, last_comp, segs if scheme == "anchored" else None)
        else:
            text = [t for t in text if not t.startswith(".COMMENT")][:60]  # documentation: headers only
        dst.write_text("\n".join(text) + "\n", encoding="latin-1")


def _truncate(text: list[str], n_comps: int, anchored_segs) -> list[str]:
    out, comps, texts_seen = [], 0, 0
    for ln in text:
        if anchored_segs is not None and ln.startswith(".COMMENT .SEGMENT TEXT"):
            texts_seen += 1
            if texts_seen > 4:  # the kept segments and their neighbours
                break
        if ln.startswith((".PEN_DOWN", ".PEN_UP")):
            if anchored_segs is None and comps >= n_comps:
                break
            comps += 1
        out.append(ln)
    return out


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/unipen")
    for rel, keep in PICKS:
        cut(root, rel, keep)
    print(f"wrote {OUT}")
