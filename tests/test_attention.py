"""Attention encoder-decoder (suite.models.attention_decoder, task `attention`, `objective: attention`)."""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
import torch
import yaml

from suite.cli import main
from suite.config import build_config
from suite.errors import SuiteError
from suite.models.attention_decoder import AttentionEncoderDecoder
from suite.tasks.attention import TASK, AttentionDecodeConfig, AttentionDecoder
from suite.tasks.ctc import Vocabulary

SYMBOLS = list("abcdef")


def tiny_net(ctc: bool = False, **kw) -> AttentionEncoderDecoder:
    torch.manual_seed(0)
    net = AttentionEncoderDecoder(len(SYMBOLS) + 1, len(SYMBOLS), layers=1, hidden=32, decoder_hidden=48,
                                  embed=16, attention_dim=32, dropout=0.0, ctc=ctc, **kw)
    net.ctc_weight, net.label_smoothing = (0.3 if ctc else 0.0), 0.0
    return net


def one_hot(ids: list[int], frames: int = 1) -> torch.Tensor:
    """A symbol sequence as one-hot input frames (``frames`` per symbol)."""
    return torch.nn.functional.one_hot(torch.tensor(ids), len(SYMBOLS) + 1).float().repeat_interleave(frames, 0)


def batch_of(seqs: list[list[int]], targets: list[list[int]], frames: int = 1):
    x = torch.nn.utils.rnn.pad_sequence([one_hot(s, frames) for s in seqs], batch_first=True)
    lengths = torch.tensor([frames * len(s) for s in seqs])
    flat = torch.tensor([t for tgt in targets for t in tgt])
    return x, lengths, SimpleNamespace(targets=flat, target_lengths=torch.tensor([len(t) for t in targets]),
                                       ids=[str(i) for i in range(len(seqs))])


@pytest.mark.parametrize("attention", ["location", "content"])
def test_padding_does_not_change_a_sequence(attention):
    """A sequence alone and inside a longer padded batch: same encoder states, teacher-forced logits, decode."""
    net = tiny_net(ctc=True, location_channels=10 if attention == "location" else 0).eval()
    short, long = [1, 2, 3, 4], [5, 6, 1, 2, 3, 4, 5, 6, 1, 2]
    x1, l1, _ = batch_of([short], [short])
    xb, lb, _ = batch_of([short, long], [short, long])
    out1, _ = net(x1, l1)
    outb, _ = net(xb, lb)
    assert torch.allclose(out1.enc[0], outb.enc[0, :4], atol=1e-6)
    y = torch.tensor([[3, 1, 2]])
    tf1 = net.teacher_forced(out1, y, torch.tensor([3]))
    tfb = net.teacher_forced(outb, torch.cat([y, torch.tensor([[4, 4, 4]])]), torch.tensor([3, 3]))
    assert torch.allclose(tf1[0], tfb[0], atol=1e-5)
    g1, gb = net.greedy(out1, [8]), net.greedy(outb, [8, 8])
    assert g1[0].tokens == gb[0].tokens and g1[0].frames == gb[0].frames
    assert net.beam(out1, 0, 3, 8)[0].tokens == net.beam(outb, 0, 3, 8)[0].tokens


def test_padded_weights_are_exactly_zero():
    net = tiny_net().eval()
    xb, lb, _ = batch_of([[1, 2], [1, 2, 3, 4, 5]], [[1], [1]])
    out, _ = net(xb, lb)
    keys, mask, state, ctx, prev = net.start(out.enc, out.lengths)
    _, _, _, w = net.step(torch.tensor([net.sos, net.sos]), keys, out.enc, mask, state, ctx, prev)
    assert float(w[0, 2:].abs().sum()) == 0.0 and torch.allclose(w.sum(1), torch.ones(2))


@pytest.fixture(scope="module")
def reverser():
    """A tiny model trained to reverse random symbol strings: the loss falls and decoding reads the answers.
    Two input frames per symbol, so that CTC can align every target (a repeated symbol needs a blank between)."""
    torch.manual_seed(0)
    net = tiny_net(ctc=True)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(1)
    losses = []
    t0 = time.perf_counter()
    for step in range(600):
        n = torch.randint(3, 7, (16,), generator=gen).tolist()
        seqs = [torch.randint(1, len(SYMBOLS) + 1, (k,), generator=gen).tolist() for k in n]
        x, lengths, b = batch_of(seqs, [s[::-1] for s in seqs], frames=2)
        out, olen = net(x, lengths)
        loss, _ = TASK.loss(out, olen, b)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return net.eval(), losses, time.perf_counter() - t0


@pytest.mark.slow  # ~30 s: 300 training steps
def test_loss_falls_and_decoders_reproduce_targets(reverser):
    net, losses, seconds = reverser
    assert sum(losses[-20:]) / 20 < 0.25 * sum(losses[:20]) / 20, (losses[:3], losses[-3:])
    gen = torch.Generator().manual_seed(99)  # unseen strings
    seqs = [torch.randint(1, len(SYMBOLS) + 1, (k,), generator=gen).tolist() for k in (3, 4, 5, 6, 4, 5, 6, 3)]
    x, lengths, _ = batch_of(seqs, seqs, frames=2)
    out, olen = net(x, lengths)
    vocab = Vocabulary(SYMBOLS)
    refs = ["".join(SYMBOLS[i - 1] for i in s[::-1]) for s in seqs]
    greedy = AttentionDecoder(vocab, AttentionDecodeConfig(decoder="greedy"))(out, olen)
    beam = AttentionDecoder(vocab, AttentionDecodeConfig(decoder="beam", beam_size=4))(out, olen)
    joint = AttentionDecoder(vocab, AttentionDecodeConfig(decoder="beam", beam_size=4, ctc_weight=0.3))(out, olen)
    for name, hyps in (("greedy", greedy), ("beam", beam), ("joint", joint)):
        assert sum(h.text == r for h, r in zip(hyps, refs)) >= 7, (name, [h.text for h in hyps], refs)
    # the attention peak of each output moves backwards over the input: the model reads in reverse
    assert greedy[3].frames == sorted(greedy[3].frames, reverse=True)


def beam_one_matches_greedy(model):
    gen = torch.Generator().manual_seed(5)
    seqs = [torch.randint(1, len(SYMBOLS) + 1, (k,), generator=gen).tolist() for k in (2, 5, 7, 3)]
    x, lengths, _ = batch_of(seqs, seqs)
    out, _ = model(x, lengths)
    greedy = model.greedy(out, [9] * len(seqs))
    for b, g in enumerate(greedy):
        beam = model.beam(out, b, 1, 9)[0]
        assert beam.tokens == g.tokens and beam.frames == g.frames
        assert beam.score == pytest.approx(g.score / (len(g.tokens) + 1), abs=1e-5)


def test_beam_width_one_is_greedy():
    beam_one_matches_greedy(tiny_net(ctc=False).eval())  # untrained: close scores, long outputs


@pytest.mark.slow
def test_beam_width_one_is_greedy_trained(reverser):
    beam_one_matches_greedy(reverser[0])


def test_bad_objective_is_one_line_error_naming_the_key():
    with pytest.raises(SuiteError, match=r"^recipe\.yaml: bad value for 'objective': unknown task 'atention'"):
        build_config({"task": "handwriting", "objective": "atention"}, source="recipe.yaml")
    with pytest.raises(SuiteError, match=r"'objective': task 'classify' cannot stand in for handwriting's 'ctc'"):
        build_config({"task": "handwriting", "objective": "classify"}, source="recipe.yaml")
    # the attention task's own keys are validated as usual once it is chosen
    with pytest.raises(SuiteError, match="unknown key 'model.decoder_hiden'"):
        build_config({"task": "handwriting", "objective": "attention", "model": {"decoder_hiden": 3}})
    cfg = build_config({"task": "handwriting", "objective": "attention", "model": {"ctc_weight": 0.3}})
    assert cfg.objective == "attention" and cfg.model.ctc_weight == 0.3 and cfg.decode.length_norm == 1.0
    assert "objective" not in build_config({"task": "handwriting"}).model_dump()  # old configs unchanged


def test_bad_objective_on_the_command_line(tmp_path, capsys):
    cfg = tmp_path / "r.yaml"
    cfg.write_text("task: handwriting\nobjective: nope\n")
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'objective'" in err and "Traceback" not in err


@pytest.mark.slow  # ~40 s: trains a tiny recognizer through the CLI
def test_train_bundle_round_trip(tmp_path, capsys):
    """`suite train` with `objective: attention` on synthetic ink, then evaluate/read/suite.load from the bundle."""
    from suite import load
    from tests.handwriting_toy import make_corpus

    train = make_corpus(tmp_path / "train", 160, seed=1)
    valid = make_corpus(tmp_path / "valid", 16, seed=2)
    cfg = tmp_path / "toy.yaml"
    cfg.write_text(yaml.safe_dump({
        "task": "handwriting", "objective": "attention",
        "data": {"num_workers": 0}, "features": {"spacing": 0.2}, "augment": {"prob": 0.0},
        "model": {"subsample": 2, "layers": 1, "hidden": 64, "dropout": 0.0, "decoder_hidden": 64,
                  "ctc_weight": 0.3, "label_smoothing": 0.0},
        "train": {"max_epochs": 30, "batch_size": 16, "early_stop_patience": None, "checkpoint_every_steps": None,
                  "optim": {"lr": 0.01, "warmup_steps": 10, "weight_decay": 0.0, "schedule": "constant"}},
        "decode": {"decoder": "beam", "beam_size": 3},
    }))
    assert main(["train", str(cfg), "--out", str(tmp_path / "run"), "--set", f"data.train={train}",
                 "--set", f"data.valid={valid}"]) == 0
    bundle = tmp_path / "run" / "model.pt"
    capsys.readouterr()
    assert main(["evaluate", str(bundle), "--manifest", str(valid), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["samples"] == 16 and result["cer"] <= 0.3, result
    p = load(str(bundle))
    assert p.task.name == "attention" and p.config.decode.decoder == "beam"
    files = [str(tmp_path / "valid" / "ink" / f"{i:04d}.json") for i in range(4)]
    out = p.predict(files)
    refs = [json.loads(open(f).read())["text"] for f in files]
    assert sum(o["text"] == r for o, r in zip(out, refs)) >= 2, (out, refs)
    assert all(0 <= o["confidence"] <= 1 for o in out)
    assert main(["read", "--model", str(bundle), files[0], "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["text"] == out[0]["text"]


def test_checkpointed_teacher_forcing_gives_the_same_gradients(monkeypatch):
    """Long batches recompute decoder steps in the backward pass (memory); the gradients must not change."""
    import suite.models.attention_decoder as mod

    net = tiny_net(ctc=True).train()
    x, lengths, b = batch_of([[1, 2, 3, 4, 5], [2, 3]], [[5, 4, 3], [3, 2]])
    grads = []
    for limit in (1e12, 0):
        monkeypatch.setattr(mod, "CHECKPOINT_ELEMENTS", limit)
        net.zero_grad()
        torch.manual_seed(3)
        out, olen = net(x, lengths)
        TASK.loss(out, olen, b)[0].backward()
        grads.append([p.grad.clone() for p in net.parameters()])
    for g0, g1 in zip(*grads):
        assert torch.allclose(g0, g1, atol=1e-6)


def test_samples_too_long_for_attention_training_are_left_out(capsys):
    """Teacher forcing holds a characters x frames attention matrix per sample: outliers (a paragraph-long
    'line') are reported by id and left out before training instead of stalling the machine."""
    from suite.tasks.attention import MAX_ATTENTION_CELLS
    from suite.train import drop_untrainable

    vocab = Vocabulary(SYMBOLS)
    rows = [SimpleNamespace(id="short", target="abc"), SimpleNamespace(id="paragraph", target="abcdef" * 100)]

    class Model:
        def output_lengths(self, n):
            return n

    frames = MAX_ATTENTION_CELLS // 500  # 600 characters over this many frames: above the cap, 3 far below
    kept, lengths = drop_untrainable(TASK, Model(), vocab, rows, [frames, frames], "train.jsonl")
    assert [r.id for r in kept] == ["short"] and lengths == [frames]
    err = capsys.readouterr().err
    assert "train.jsonl: 1 sample(s) are too long for attention training" in err and "paragraph" in err
    assert TASK.trainable(vocab, rows, [None, None]) == [True, True]  # no length known: kept


def test_training_batches_are_bounded_by_attention_cells(tmp_path, monkeypatch):
    """`suite train` with `objective: attention` gives the sampler each row's characters x encoder frames, so
    batches of long lines are smaller: no batch holds more cells (size x its largest sample's) than the bound."""
    import suite.train as st
    from suite.tasks.attention import AttentionTask
    from tests.handwriting_toy import make_corpus

    train = make_corpus(tmp_path / "train", 64, seed=1)
    cfg = tmp_path / "toy.yaml"
    cfg.write_text(yaml.safe_dump({
        "task": "handwriting", "objective": "attention", "data": {"num_workers": 0, "train": str(train)},
        "features": {"spacing": 0.2}, "model": {"subsample": 2, "layers": 1, "hidden": 32, "decoder_hidden": 32},
        "train": {"batch_size": 16, "min_batches_per_epoch": 1}}))
    seen = {}

    class Stop(Exception):
        pass

    real = st.make_loaders

    def spy(*args, **kwargs):
        seen["costs"] = kwargs["train_costs"]
        seen["batches"] = real(*args, **kwargs)[0].batch_sampler.global_batches()
        raise Stop

    caps, sizes = [10**12], {}
    while len(caps) <= 2:
        monkeypatch.setattr(AttentionTask, "max_batch_cost", caps[-1])
        monkeypatch.setattr(st, "make_loaders", spy)
        with pytest.raises(Stop):
            st.train(str(cfg), [], str(tmp_path / f"run{len(caps)}"))
        costs, batches = seen["costs"], seen["batches"]
        assert len(costs) >= 50 and all(c > 0 for c in costs)  # held-out rows are not among them
        for b in batches:
            assert len(b) == 1 or len(b) * max(costs[i] for i in b) <= caps[-1]
        longest = max(range(len(costs)), key=costs.__getitem__)
        sizes[caps[-1]] = (len(batches), next(len(b) for b in batches if longest in b))
        caps.append(4 * costs[longest])  # next round: the longest line fits a batch of 4
    assert sizes[caps[0]][0] == 4 and sizes[caps[1]][1] <= 4 and sizes[caps[1]][0] > 4  # 55 rows in 16s: 4 batches


def test_attention_cells_script_lists_the_longest_samples(tmp_path):
    """scripts/attention_cells.py (docs/attention.md "Memory") prints the cells `suite train` bounds batches by."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.handwriting_toy import make_corpus

    manifest = make_corpus(tmp_path / "c", 12, seed=3)
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "scripts" / "attention_cells.py"), str(manifest), "--top", "3",
                          "--config", str(root / "configs" / "handwriting-cpu.yaml")],
                         capture_output=True, text=True, check=True, cwd=root).stdout.splitlines()
    assert out[0] == "bound: 1,500,000 cells per batch" and len(out) == 4
    chars = [int(line.split("\t")[1].split()[0]) for line in out[1:]]
    assert chars == sorted(chars, reverse=True) and all("encoder frames = " in line for line in out[1:])
