"""Benchmark 9, recurrent cells: the peephole LSTM (`model.rnn: lstm_peephole`) against nn.LSTM and nn.GRU.

Speed: forward+backward (training) and forward alone (inference) of one bidirectional layer as
RecurrentStack runs it on CPU (each direction its own module on the padded batch, the backward direction
on each sequence reversed within its length), at a CTC-encoder size. The three cells run in turn in every
round and each keeps its best round, so the ratios come from one run on the same machine load.

Accuracy: interval reproduction (Gers, Schraudolph & Schmidhuber 2002, "Learning precise timing with LSTM
recurrent networks"): two input spikes I steps apart (I in 10..40); the model must name the step I after
the second spike (a softmax over the steps that follow it). Exact timing needs the cell to count steps,
which is what peepholes were introduced for. Same hidden size, data stream, initial seed, optimizer and
number of updates for every cell; accuracy is on 2000 held-out sequences. nn.LSTM runs a second time with
3x the updates, about the CPU time the peephole LSTM takes for its share.
"""
from __future__ import annotations

import gc
import statistics
import time

import torch
from torch import nn

from suite.models.ctc_encoder import reverse_padded
from suite.models.peephole import PeepholeLSTM

from .common import clock_name, row, timed

CELLS = {"nn.LSTM": nn.LSTM, "nn.GRU": nn.GRU, "PeepholeLSTM": PeepholeLSTM}
LSTM_3X = "nn.LSTM, 3x updates"


class BiLayer(nn.Module):
    """One RecurrentStack layer on its CPU (padded) path."""

    def __init__(self, cell, in_dim: int, hidden: int):
        super().__init__()
        self.fwd = cell(in_dim, hidden, batch_first=True)
        self.bwd = cell(in_dim, hidden, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        rev = reverse_padded(x, lengths)
        out = torch.cat([self.fwd(x)[0], reverse_padded(self.bwd(rev)[0], lengths)], 2)
        return out * (torch.arange(x.shape[1])[None, :] < lengths[:, None])[:, :, None]


def speed(quick: bool) -> tuple[list[dict], dict]:
    B, T, F, H = 16, 200, 40, 128
    gen = torch.Generator().manual_seed(0)
    lengths = torch.linspace(T * 0.6, T, B).long()  # a bucketed batch: 120-200 frames
    x = torch.randn(B, T, F, generator=gen) * (torch.arange(T)[None, :] < lengths[:, None])[:, :, None]
    torch.manual_seed(0)
    layers = {name: BiLayer(cell, F, H) for name, cell in CELLS.items()}

    def train_step(m):
        m(x, lengths).pow(2).mean().backward()
        m.zero_grad(set_to_none=True)

    def infer(m):
        with torch.no_grad():
            m(x, lengths)

    rounds = 2 if quick else 6
    times = {(name, kind): [] for name in layers for kind in ("train", "infer")}
    for r in range(rounds + 2):  # the first two rounds warm up (TorchScript profiles its first calls)
        for name, m in layers.items():
            for kind, fn in (("train", train_step), ("infer", infer)):
                gc.collect()
                t = timed(lambda: fn(m))
                if r >= 2:
                    times[(name, kind)].append(t)
    best = {k: min(v) for k, v in times.items()}
    what = f"1 bidirectional layer {F}->2x{H}, batch {B} x {T} frames (120-200 valid), padded path"
    rows = []
    for kind, label in (("train", "forward+backward"), ("infer", "forward, no grad")):
        for name in ("PeepholeLSTM", "nn.GRU"):
            rows.append(row(f"{label}: {what}", name, 1 / best[(name, kind)], "nn.LSTM", 1 / best[("nn.LSTM", kind)],
                            "batches/s", note="informative: relative cost of the cell"))
    details = {"shape": {"batch": B, "frames": T, "features": F, "hidden": H, "bidirectional": True},
               "ms_per_batch": {f"{name} {kind}": round(1000 * t, 2) for (name, kind), t in best.items()},
               "params": {name: sum(p.numel() for p in m.parameters()) for name, m in layers.items()}}
    return rows, details


def interval_batch(n: int, gen: torch.Generator, T: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Spikes at t0 and t0 + I -> (inputs [n, T, 1], step of the second spike, target step t0 + 2I)."""
    t0 = torch.randint(1, 11, (n,), generator=gen)
    gap = torch.randint(10, 41, (n,), generator=gen)
    x = torch.zeros(n, T, 1)
    rows = torch.arange(n)
    x[rows, t0, 0] = 1.0
    x[rows, t0 + gap, 0] = 1.0
    return x, t0 + gap, t0 + 2 * gap


class Timer(nn.Module):
    """cell -> one logit per step; steps up to the second spike are not candidates."""

    def __init__(self, cell, hidden: int):
        super().__init__()
        self.rnn = cell(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        logits = self.out(self.rnn(x)[0]).squeeze(-1)
        return logits.masked_fill(torch.arange(x.shape[1])[None, :] <= second[:, None], float("-inf"))


def train_interval(cell, seed: int, steps: int, hidden: int = 32, T: int = 96) -> dict:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = Timer(cell, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    t = time.process_time()
    for _ in range(steps):
        x, second, target = interval_batch(64, gen, T)
        loss = nn.functional.cross_entropy(model(x, second), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    seconds = time.process_time() - t
    x, second, target = interval_batch(2000, torch.Generator().manual_seed(10_000), T)
    with torch.no_grad():
        err = (model(x, second).argmax(1) - target).abs().float()
    return {"exact": float((err == 0).float().mean()), "within_1": float((err <= 1).float().mean()),
            "mean_abs_error_steps": float(err.mean()), "train_cpu_s": round(seconds, 1),
            "params": sum(p.numel() for p in model.parameters())}


def accuracy(quick: bool) -> tuple[list[dict], dict]:
    steps, seeds = (100, [0]) if quick else (600, [0, 1, 2])
    runs = {name: [train_interval(cell, s, steps) for s in seeds] for name, cell in CELLS.items()}
    # nn.LSTM's steps are ~2.5x cheaper on CPU: does it catch up when given about the same CPU time?
    runs[LSTM_3X] = [train_interval(nn.LSTM, s, 3 * steps) for s in seeds]
    table = {}
    for name, rs in runs.items():
        table[name] = {"exact_mean": statistics.mean(r["exact"] for r in rs),
                       "within_1_mean": statistics.mean(r["within_1"] for r in rs),
                       "mean_abs_error_steps": statistics.mean(r["mean_abs_error_steps"] for r in rs),
                       "exact_per_seed": [round(r["exact"], 3) for r in rs],
                       "train_cpu_s_per_run": statistics.mean(r["train_cpu_s"] for r in rs),
                       "params": rs[0]["params"]}
    what = f"interval reproduction, exact step (hidden 32, {steps} updates of 64, {len(seeds)} seed(s))"
    rows = [row(what, a, 100 * table[a]["exact_mean"], b, 100 * table[b]["exact_mean"], "% exact",
                note="per seed: " + " / ".join(f"{v:.2f}" for v in table[a]["exact_per_seed"])
                + f" vs {' / '.join(f'{v:.2f}' for v in table[b]['exact_per_seed'])}")
            for a, b in (("PeepholeLSTM", "nn.LSTM"), ("nn.GRU", "nn.LSTM"), ("PeepholeLSTM", LSTM_3X))]
    for r in rows:
        if not r["b"]:
            r["ratio"] = None  # nn.LSTM at 0 % (a short quick run): no ratio
    return rows, {"task": "interval reproduction: spikes at t0 and t0+I (I in 10..40, t0 in 1..10), "
                          "answer t0+2I among the steps after the second spike; 96 steps",
                  "updates": steps, "batch": 64, "hidden": 32, "optimizer": "Adam lr 5e-3, grad clip 1",
                  "seeds": seeds, "cells": table}


def run(quick: bool) -> dict:
    speed_rows, speed_details = speed(quick)
    acc_rows, acc_details = accuracy(quick)
    return {"title": "Recurrent cells (peephole LSTM vs nn.LSTM, nn.GRU)", "device": "cpu",
            "rows": speed_rows + acc_rows, "details": {"speed": speed_details, "accuracy": acc_details},
            "clock": clock_name()}
