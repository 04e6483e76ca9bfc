"""Benchmark 3, padding waste: real / padded frames per epoch with the suite's length bucketing
(suite.data.BucketBatchSampler) vs random batching, the wall time of a training epoch both ways, and the
CPU packed-vs-padded LSTM choice of the BiLSTM-CTC encoder (its ``pack`` option)."""
from __future__ import annotations

import random

import torch
from torch.nn import functional as F

from suite.data import BucketBatchSampler, collate, padding_efficiency
from suite.models.ctc_encoder import CTCEncoder

from .common import clock_name, compare, device, row, sync, timed
from .synthetic import speech_like_lengths

TARGET = 0.90
VOCAB = 29  # 28 characters + blank


def epoch_efficiency(lengths: list[int], batch: int, bucket: bool) -> float:
    sampler = BucketBatchSampler(lengths, batch, shuffle=True, bucket=bucket, seed=0)
    return padding_efficiency(lengths, sampler.batches())


def make_encoder(pack: str, dev: torch.device, dim: int = 40, layers: int = 3, hidden: int = 128,
                 subsample: int = 1) -> CTCEncoder:
    torch.manual_seed(0)
    return CTCEncoder(dim, VOCAB, subsample=subsample, subsample_channels=128, layers=layers, hidden=hidden,
                      dropout=0.0, pack=pack).to(dev).train()


def train_step(model: CTCEncoder, opt: torch.optim.Optimizer, x: torch.Tensor, lengths: torch.Tensor,
               dev: torch.device) -> None:
    """Forward, CTC loss on a fixed dummy label, backward, optimiser step."""
    out, out_lengths = model(x, lengths)
    tl = torch.clamp(out_lengths // 4, min=1)
    targets = torch.randint(1, VOCAB, (int(tl.sum()),), generator=torch.Generator().manual_seed(0)).to(dev)
    loss = F.ctc_loss(out.transpose(0, 1), targets, out_lengths, tl, zero_infinity=True)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def epoch_seconds(model, opt, feats: list[torch.Tensor], batches: list[list[int]], dev) -> float:
    def epoch():
        for b in batches:
            batch = collate([(str(i), feats[i], None) for i in b])
            train_step(model, opt, batch.inputs.to(dev), batch.lengths.to(dev), dev)
        sync(dev)

    return timed(epoch, dev)


def run(quick: bool) -> dict:
    dev = device()
    rows, details = [], {}

    # 1. frames per epoch: a corpus of 5000 speech-like utterances (10 ms frames), no compute needed
    lengths = speech_like_lengths(5000, seed=0)
    for batch in (16, 32):
        b, r = epoch_efficiency(lengths, batch, True), epoch_efficiency(lengths, batch, False)
        rows.append(row(f"real/padded frames per epoch, batch {batch}, 5000 utterances 1-15 s", "bucketed", b,
                        "random", r, "efficiency", ratio=b, target=TARGET, target_text=f"bucketed >= {TARGET}",
                        note=f"random batching wastes {1 - r:.0%} of frames, bucketing {1 - b:.0%}"))

    # 2. wall time of a training epoch both ways (speech-cpu sized encoder, lengths halved to keep it short)
    n = 96 if quick else 256
    small = [max(20, x // 2) for x in speech_like_lengths(n, seed=1)]
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(t, 40, generator=gen) for t in small]
    model = make_encoder("auto", dev, subsample=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sb = BucketBatchSampler(small, 16, shuffle=True, bucket=True, seed=0).batches()
    sr = BucketBatchSampler(small, 16, shuffle=True, bucket=False, seed=0).batches()
    epoch_seconds(model, opt, feats, sb[:2], dev)  # warm-up
    tb, tr = [], []
    for _ in range(1 if quick else 2):
        tb.append(epoch_seconds(model, opt, feats, sb, dev))
        tr.append(epoch_seconds(model, opt, feats, sr, dev))
    eb, er = padding_efficiency(small, sb), padding_efficiency(small, sr)
    details["epoch"] = {"utterances": n, "bucketed_s": tb, "random_s": tr, "bucketed_eff": eb, "random_eff": er}
    rows.append(row(f"training epoch time, {n} utterances, batch 16, conv/2 + 3x128 BiLSTM",
                    "random", min(tr), "bucketed", min(tb), "s/epoch",
                    note=f"bucketing is {min(tr) / min(tb):.2f}x faster (efficiency {eb:.2f} vs {er:.2f})"))

    # 3. packed vs padded LSTM: training step, batch 32, lengths 200-600, 3x128 (no subsampling)
    rng = random.Random(0)
    lens = [rng.randint(200, 600) for _ in range(32)]
    batch = collate([(str(i), torch.randn(t, 40, generator=gen), None) for i, t in enumerate(lens)])
    x, ln = batch.inputs.to(dev), batch.lengths.to(dev)
    models = {p: make_encoder(p, dev) for p in ("padded", "packed")}
    models["packed"].load_state_dict(models["padded"].state_dict())
    with torch.no_grad():
        a, b = (m.eval()(x, ln)[0] for m in models.values())
        mask = (torch.arange(a.shape[1], device=dev)[None] < ln[:, None])
        diff = float((a - b).abs()[mask].max())
    opts = {p: torch.optim.SGD(m.train().parameters(), lr=1e-4) for p, m in models.items()}
    chosen = "packed" if models["padded"].rnn.use_packing(dev) else "padded"
    other = "padded" if chosen == "packed" else "packed"
    for m in models.values():  # warm up on a short batch: a packed step at full size takes ~20 s on CPU
        train_step(m, opts["padded"] if m is models["padded"] else opts["packed"], x[:4, :100],
                   ln[:4].clamp(max=100), dev)
    # one round: the gap (~7x on CPU) dwarfs run-to-run noise, and a packed step is slow
    t_chosen, t_other = compare(lambda: train_step(models[chosen], opts[chosen], x, ln, dev),
                                lambda: train_step(models[other], opts[other], x, ln, dev),
                                rounds=1, dev=dev, warmup=0)
    details["pack"] = {"auto_choice": chosen, "max_abs_diff_of_outputs": diff}
    rows.append(row("LSTM training step, batch 32, lengths 200-600, 3x128 BiLSTM",
                    f"{chosen} (auto on {dev.type})", 1 / t_chosen, other, 1 / t_other, "steps/s", target=1.0,
                    target_text="auto's choice >= the other",
                    note=f"same outputs on valid frames (max |diff| {diff:.1e})"))
    return {"title": "Padding waste (bucketing vs random) and packed vs padded LSTM", "device": str(dev),
            "rows": rows, "details": details, "clock": clock_name(dev)}
