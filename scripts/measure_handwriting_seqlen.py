"""Sequence length per character for several feature settings (docs/handwriting.md table).
    python scripts/measure_handwriting_seqlen.py data/unipen/valid.jsonl
"""
import json, random, time, numpy as np
from handwriting.formats import read_ink
from handwriting.features import ink_features
from handwriting.config import HandwritingFeatures as F
import sys, os
man=sys.argv[1]; base=os.path.dirname(os.path.abspath(man))
rows=[json.loads(l) for l in open(man)]
random.seed(0); rows=random.sample(rows, 300)
cfgs={'points 0.05':F(spacing=0.05),'points 0.15':F(spacing=0.15),'points 0.25':F(spacing=0.25),
      'bezier (0.05 resampling, tol 0.04)':F(kind='bezier',spacing=0.05),'bezier (0.1, tol 0.06)':F(kind='bezier',spacing=0.1,bezier_tolerance=0.06)}
res={k:[] for k in cfgs}; tm={k:0.0 for k in cfgs}; chars=0
for r in rows:
    ink=read_ink(os.path.join(base, r['ink']))[0]; chars+=len(r['text'])
    for k,c in cfgs.items():
        t=time.perf_counter(); res[k].append(len(ink_features(ink,c))); tm[k]+=time.perf_counter()-t
base=sum(res['points 0.05'])
for k in cfgs:
    print(f"{k:36s} median {np.median(res[k]):6.0f} steps/sample  {sum(res[k])/chars:5.1f} steps/char  x{base/sum(res[k]):4.1f} shorter  {1000*tm[k]/len(rows):5.1f} ms/sample")
