"""Non-finite losses, full disks and unwritable outputs."""
import errno
import json

import numpy as np
import pytest
import yaml

import suite
from suite.cli import main
from suite.errors import SuiteError
from tests.toy_domain import make_ctc_set


def recipe(tmp_path, **train):
    make_ctc_set(tmp_path / "train", 32, seed=1)
    make_ctc_set(tmp_path / "valid", 8, seed=2)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "task": "tests.toy_domain:CTC",
        "data": {"train": str(tmp_path / "train/manifest.jsonl"), "valid": str(tmp_path / "valid/manifest.jsonl"),
                 "num_workers": 0},
        "model": {"layers": 1, "hidden": 8},
        "train": {"max_epochs": 1, "batch_size": 4, "bucket": False, **train},
    }))
    return cfg


def poison(folder, names):
    for name in names:
        x = np.load(folder / name)
        x[0, 0] = np.nan
        np.save(folder / name, x)


def test_a_non_finite_batch_is_skipped_and_counted(tmp_path, capsys):
    cfg = recipe(tmp_path)
    poison(tmp_path / "train", ["utt0003.npy"])
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 0
    assert "skipped 1 batch(es) with a non-finite loss" in capsys.readouterr().err
    assert suite.load(str(tmp_path / "run/model.pt")).metrics["nonfinite_batches"] == 1


def test_too_many_non_finite_batches_in_a_row_stop_the_run_naming_samples(tmp_path, capsys):
    cfg = recipe(tmp_path, max_bad_batches=3)
    poison(tmp_path / "train", [f"utt{i:04d}.npy" for i in range(32)])
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "3 batches in a row gave a non-finite loss" in err and "utt00" in err and "Traceback" not in err


def test_full_disk_is_detected_before_training(tmp_path, capsys):
    cfg = recipe(tmp_path, min_free_mb=1e12)
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 2
    assert "MB free" in capsys.readouterr().err
    assert not (tmp_path / "run/checkpoints").exists()


def test_disk_full_mid_run_keeps_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    cfg = recipe(tmp_path, checkpoint_every_steps=2, max_epochs=2)
    import lightning as L

    real = L.Trainer.save_checkpoint
    calls = {"n": 0}

    def flaky(self, path, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            real(self, path, *a, **k)  # half of it reaches the disk, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *a, **k)

    monkeypatch.setattr(L.Trainer, "save_checkpoint", flaky)
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "last.ckpt" in err and "Traceback" not in err
    import torch

    good = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=False)
    assert good["global_step"] == 4  # the checkpoint before the failed one, intact
    assert not list((tmp_path / "run/checkpoints").glob("*.tmp"))


def test_unwritable_output_for_inference_results(tmp_path):
    from suite.io import atomic_write_text

    (tmp_path / "f").write_text("")
    with pytest.raises(SuiteError, match="cannot write here"):
        atomic_write_text(tmp_path / "f" / "out.json", json.dumps({}))
