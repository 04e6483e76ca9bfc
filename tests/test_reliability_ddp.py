"""Two processes with Lightning's DDP strategy (gloo on CPU) train like one process with the same global batch."""
import os
import subprocess
import sys

import pytest
import torch
import yaml

from suite.data import BucketBatchSampler
from tests.toy_domain import make_ctc_set


@pytest.mark.slow  # two trainings, one with two DDP processes
def test_two_process_ddp_matches_one_process(tmp_path):
    make_ctc_set(tmp_path / "train", 96, seed=1)
    make_ctc_set(tmp_path / "valid", 16, seed=2)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "task": "tests.toy_domain:CTC",
        "data": {"train": str(tmp_path / "train/manifest.jsonl"), "valid": str(tmp_path / "valid/manifest.jsonl"),
                 "num_workers": 0},
        "model": {"layers": 1, "hidden": 16, "dropout": 0.0},
        # 96 samples < 8 x 16: the small-corpus rule shrinks the batch; it applies to the global batch, so one
        # process (batch 16 -> 12) and two (8 each -> 6 each) still train on the same global batches
        "train": {"max_epochs": 2, "batch_size": 16, "deterministic": True, "accelerator": "cpu"},
    }))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = [sys.executable, "-m", "suite.cli", "train", str(cfg)]
    subprocess.run(run + ["--out", str(tmp_path / "one")], check=True, env=env, capture_output=True)
    ddp = subprocess.run(run + ["--out", str(tmp_path / "two"), "--set", "train.strategy=ddp",
                                "--set", "train.devices=2", "--set", "train.batch_size=8"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert ddp.returncode == 0, ddp.stderr[-2000:]
    one = torch.load(tmp_path / "one/checkpoints/last.ckpt", weights_only=False)
    two = torch.load(tmp_path / "two/checkpoints/last.ckpt", weights_only=False)
    assert one["global_step"] == two["global_step"] == 16  # 8 global batches of 12 an epoch
    for k, v in one["state_dict"].items():
        torch.testing.assert_close(two["state_dict"][k], v, atol=1e-5, rtol=1e-4)


def test_each_rank_gets_disjoint_samples():
    lengths = [n % 37 + 1 for n in range(203)]
    shares = [BucketBatchSampler(lengths, 8, seed=5, rank=r, world_size=3) for r in range(3)]
    seen = [[i for b in s for i in b] for s in shares]
    flat = [i for s in seen for i in s]
    assert len(flat) == len(set(flat))  # disjoint
    assert len({len(list(s)) for s in shares}) == 1  # same number of steps on every rank
    assert all(len(b) > 0 for s in shares for b in s)  # never an empty step (it would hang the all-reduce)
