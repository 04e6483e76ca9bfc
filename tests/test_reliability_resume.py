"""A run killed with SIGKILL and resumed ends with the same weights as an uninterrupted run."""
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

from suite.bundle import load_bundle
from tests.toy_domain import make_ctc_set

pytestmark = pytest.mark.slow  # whole training runs killed and resumed: minutes


def suite_cmd(*args):
    return [sys.executable, "-m", "suite.cli", *args]


def last_step(ckpt):
    try:
        return torch.load(ckpt, map_location="cpu", weights_only=False)["global_step"]
    except Exception:  # noqa: BLE001 - being written or not there yet
        return -1


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    make_ctc_set(d / "train", 160, seed=1)
    make_ctc_set(d / "valid", 16, seed=2)
    cfg = d / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "task": "tests.toy_domain:CTC",
        "data": {"train": str(d / "train/manifest.jsonl"), "valid": str(d / "valid/manifest.jsonl"), "num_workers": 0},
        "model": {"layers": 2, "hidden": 16, "dropout": 0.2},  # dropout: the RNG must be restored too
        "augment": {"noise": 0.1},
        "train": {"max_epochs": 3, "batch_size": 16, "deterministic": True, "checkpoint_every_steps": 3,
                  "early_stop_patience": None},
    }))
    return d, cfg


def test_sigkill_then_resume_matches_uninterrupted_run(recipe):
    d, cfg = recipe
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(suite_cmd("train", str(cfg), "--out", str(d / "a")), check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_after = random.Random(7).randint(12, 20)  # mid-epoch 2 (10 batches per epoch)
    proc = subprocess.Popen(suite_cmd("train", str(cfg), "--out", str(d / "b")), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while last_step(d / "b/checkpoints/last.ckpt") < kill_after and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = last_step(d / "b/checkpoints/last.ckpt")
    assert 0 < killed_at < 30 and not (d / "b/model.pt").exists()
    subprocess.run(suite_cmd("train", str(cfg), "--out", str(d / "b"), "--resume"), check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    a = load_bundle(d / "a/model.pt")["state_dict"]
    b = load_bundle(d / "b/model.pt")["state_dict"]
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=f"{k} differs (killed at step {killed_at})")


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(recipe):
    d, cfg = recipe
    proc = subprocess.Popen(suite_cmd("train", str(cfg), "--out", str(d / "t"), "--set", "train.max_epochs=50",
                                      "--set", "train.checkpoint_every_steps=1000"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list((d / "t/logs").glob("*/metrics.csv")) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err
    assert "interrupted" in err and "--resume" in err
    assert last_step(d / "t/checkpoints/last.ckpt") > 0
