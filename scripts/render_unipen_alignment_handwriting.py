"""Contact sheets to check UNIPEN alignment: 6 random labelled segments of every contributor, one PNG each.
    python scripts/render_unipen_alignment_handwriting.py ../shared/data/unipen /tmp/sheets
"""
import sys, glob, random, os
from handwriting.formats.unipen import parse_unipen, unipen_samples
from handwriting.render import render_inks
random.seed(0)
ROOT, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
for c in sorted(os.listdir(ROOT + '/data/8')):
    files = sorted(glob.glob(f'{ROOT}/data/8/{c}/**/*.dat', recursive=True))
    items=[]
    for p in random.sample(files, min(3, len(files))):
        doc=parse_unipen(p); inks,_,dec=unipen_samples(doc)
        for ink in random.sample(inks, min(2, len(inks))):
            items.append((ink, f"{os.path.basename(p)} [{dec.split(':')[0]}] {ink.text}"))
    render_inks(items, f'{OUT}/{c}.png')
