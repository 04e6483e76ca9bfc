"""`suite train` / `evaluate` / `suite.load` end to end on the toy domains (tests/toy_domain.py)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import suite
from suite.cli import main
from tests.toy_domain import ctc_recipe, make_clip_set, make_ctc_set


def write_config(path: Path, task: str, **sections) -> Path:
    path.write_text(yaml.safe_dump({"task": task, **sections}))
    return path


@pytest.fixture(scope="module")
def ctc_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("ctc")
    make_ctc_set(d / "train", 240, seed=1)
    make_ctc_set(d / "valid", 40, seed=2)
    cfg = write_config(d / "toy.yaml", "tests.toy_domain:CTC",
                       data={"train": str(d / "train/manifest.jsonl"), "valid": str(d / "valid/manifest.jsonl"),
                             "num_workers": 0},
                       model={"layers": 2, "hidden": 32, "dropout": 0.0},
                       train={"max_epochs": 14, "batch_size": 16, "checkpoint_every_steps": 50,
                              "optim": {"lr": 0.01, "warmup_steps": 20}})
    assert main(["train", str(cfg), "--out", str(d / "run")]) == 0
    return d


@pytest.mark.slow  # a training run
def test_tiny_ctc_task_is_learned(ctc_run, capsys):
    assert main(["evaluate", str(ctc_run / "run/model.pt"), "--manifest", str(ctc_run / "valid/manifest.jsonl"),
                 "--json", "--workers", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["samples"] == 40 and result["skipped"] == 0
    assert result["cer"] < 0.05


@pytest.mark.slow  # a training run
def test_run_folder_has_bundle_logs_and_checkpoints(ctc_run):
    run = ctc_run / "run"
    assert (run / "model.pt").is_file() and (run / "config.yaml").is_file()
    assert (run / "checkpoints/last.ckpt").is_file() and (run / "checkpoints/best.ckpt").is_file()
    assert (run / "logs/version_0/metrics.csv").is_file()
    assert list((run / "logs/version_0").glob("events.out.tfevents.*"))


@pytest.mark.slow  # a training run
def test_bundle_predicts_from_python(ctc_run):
    model = suite.load(str(ctc_run / "run/model.pt"))
    rows = [json.loads(x) for x in (ctc_run / "valid/manifest.jsonl").read_text().splitlines()][:4]
    files = [str(ctc_run / "valid" / r["audio"]) for r in rows]
    out = model.predict(files + [str(ctc_run / "missing.npy")])
    assert [r["file"] for r in out] == files + [str(ctc_run / "missing.npy")]
    hits = sum(r.get("text") == r_["text"].lower() for r, r_ in zip(out, rows))
    assert hits >= 3
    assert "not found" in out[-1]["error"]
    beam = suite.load(str(ctc_run / "run/model.pt"))
    beam.config.decode.decoder = "beam"
    assert [r["text"] for r in beam.predict(files)] == [r["text"] for r in out[:4]]


@pytest.mark.slow  # a training run
def test_resume_continues_the_step_count(ctc_run):
    run = ctc_run / "run"
    before = torch.load(run / "checkpoints/last.ckpt", weights_only=False)["global_step"]
    cfg = ctc_run / "toy.yaml"
    assert main(["train", str(cfg), "--out", str(run), "--resume", "--set", "train.max_epochs=15"]) == 0
    after = torch.load(run / "checkpoints/last.ckpt", weights_only=False)["global_step"]
    assert after == before + 15  # one more epoch of 240/16 batches


def test_corrupt_samples_are_skipped_and_counted(tmp_path, capsys):
    make_ctc_set(tmp_path / "train", 64, seed=3)
    make_ctc_set(tmp_path / "valid", 8, seed=4)
    (tmp_path / "train/utt0001.npy").write_bytes(b"garbage")
    (tmp_path / "train/utt0002.npy").unlink()
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CTC",
                       data={"train": str(tmp_path / "train/manifest.jsonl"),
                             "valid": str(tmp_path / "valid/manifest.jsonl"), "num_workers": 0},
                       model={"layers": 1, "hidden": 8}, train={"max_epochs": 1, "batch_size": 8})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "skipped 2 corrupt sample(s)" in err and "utt0001.npy" in err
    assert suite.load(str(tmp_path / "run/model.pt")).metrics["skipped"] == 2


@pytest.mark.slow  # a training run
@pytest.mark.parametrize("mixup", [0.0, 0.2])
def test_tiny_classification_task_is_learned(tmp_path, capsys, monkeypatch, mixup):
    from suite.tasks.classify import ClassifyTask

    mixed = []
    blend = ClassifyTask.mix
    monkeypatch.setattr(ClassifyTask, "mix", lambda self, *a: mixed.append(out := blend(self, *a)) or out)
    make_clip_set(tmp_path / "train", 90, seed=1)
    make_clip_set(tmp_path / "valid", 30, seed=2)
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CLASSIFY",
                       data={"train": str(tmp_path / "train/manifest.jsonl"),
                             "valid": str(tmp_path / "valid/manifest.jsonl"), "num_workers": 0},
                       model={"cnn_channels": 8, "spatial_grid": 2, "feature_dim": 32, "hidden": 32, "mixup": mixup},
                       train={"max_epochs": 12, "batch_size": 16, "optim": {"lr": 0.003, "warmup_steps": 10}})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    # training batches (only) went through the task's mix: blended into probability targets with mixup
    assert len(mixed) >= 12 * 5 and all((b.targets.dim() == 2) == bool(mixup) for b in mixed)
    png = tmp_path / "confusion.png"
    assert main(["evaluate", str(tmp_path / "run/model.pt"), "--manifest", str(tmp_path / "valid/manifest.jsonl"),
                 "--json", "--workers", "0", "--confusion", str(png)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accuracy"] >= 0.9 and result["top5"] == 1.0 and "mean_class_accuracy" in result
    assert png.stat().st_size > 1000
    pred = suite.load(str(tmp_path / "run/model.pt")).predict([str(tmp_path / "valid/clip0000.npy")])[0]
    assert pred["label"] == "right" and 0 < pred["confidence"] <= 1 and len(pred["top_k"]) == 3


def test_training_needs_manifests_and_a_writable_run(tmp_path, capsys):
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CTC")
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 2
    assert "data.train must name a manifest" in capsys.readouterr().err
    sets = ["--set", "data.train=t.jsonl", "--set", "data.valid=v.jsonl"]
    assert main(["train", str(cfg), "--out", str(tmp_path / "run"), "--resume", *sets]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    (tmp_path / "afile").write_text("")
    assert main(["train", str(cfg), "--out", str(tmp_path / "afile/run"), *sets]) == 2
    assert "cannot write here" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "nope.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_infeasible_ctc_labels_are_reported_by_id(tmp_path, capsys):
    m = make_ctc_set(tmp_path / "train", 32, seed=5)
    np.save(tmp_path / "train/short.npy", np.ones((3, 8), dtype=np.float32))
    np.save(tmp_path / "train/short2.npy", np.ones((3, 8), dtype=np.float32))
    with open(m, "a") as fh:
        fh.write(json.dumps({"id": "too-long-label", "audio": "short.npy", "text": "aaaa bbbb"}) + "\n")
        # a wrong length in the manifest: only the check during training can catch this one
        fh.write(json.dumps({"id": "caught-in-training", "audio": "short2.npy", "text": "aaaa bbbb",
                             "length": 100}) + "\n")
    make_ctc_set(tmp_path / "valid", 8, seed=6)
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CTC",
                       data={"train": str(m), "valid": str(tmp_path / "valid/manifest.jsonl"), "num_workers": 0},
                       model={"layers": 1, "hidden": 8}, train={"max_epochs": 1, "batch_size": 4})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    before, during = err.split("epoch 0", 1)[0], err
    assert "too-long-label" in before and "longer than the model's output" in before  # reported before training
    assert "caught-in-training" in during
    assert suite.load(str(tmp_path / "run/model.pt")).metrics["infeasible"] == 1  # the one found in training


def test_an_infeasible_sample_does_not_poison_the_batch_gradient():
    from suite.data import collate
    from suite.train import SuiteModule

    cfg = {"task": "tests.toy_domain:CTC", "model": {"layers": 1, "hidden": 8}}
    module = SuiteModule(cfg, {"symbols": list(" ab")})
    items = [("ok", torch.randn(20, 8), torch.tensor([2, 3, 2])), ("too-short", torch.randn(2, 8), torch.tensor([2, 2, 3]))]
    batch = collate(items, module.task.collate_targets)
    loss, _, _ = module._loss(batch, training=True)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in module.parameters() if p.grad is not None)
    assert module.infeasible == {"too-short"}


@pytest.mark.slow  # a training run
def test_frozen_cnn_feature_cache_trains_and_is_reused(tmp_path, capsys):
    make_clip_set(tmp_path / "train", 60, seed=1)
    make_clip_set(tmp_path / "valid", 15, seed=2)
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CLASSIFY",
                       data={"train": str(tmp_path / "train/manifest.jsonl"),
                             "valid": str(tmp_path / "valid/manifest.jsonl"), "num_workers": 0,
                             "feature_cache": str(tmp_path / "cache")},
                       model={"cnn_channels": 8, "spatial_grid": 2, "feature_dim": 32, "hidden": 32,
                              "freeze_cnn": True, "cache_features": True},
                       train={"max_epochs": 15, "batch_size": 16, "optim": {"lr": 0.01, "warmup_steps": 5}})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "60 computed, 0 reused" in err and "15 computed, 0 reused" in err
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 75
    # the bundle runs on clips; what it computes from a clip is what training saw from the cache
    model = suite.load(str(tmp_path / "run/model.pt"))
    clip = model.load_file(str(tmp_path / "valid/clip0000.npy"))
    from video.feature_cache import cache_features
    from suite.manifest import read_manifest

    rows = read_manifest(tmp_path / "valid/manifest.jsonl", "video", "label")[:1]
    views = torch.load(cache_features(model.model, model.domain, model.config.features, rows,
                                      tmp_path / "cache", model.device)[0].path)
    assert views.shape[0] == 1  # [views, T, D]: evaluation rows hold the one evaluation view
    cached = views[0]
    live_logits, _ = model.run([clip])
    with torch.no_grad():  # cached inputs are the frontend's output: training runs the model from them
        cached_logits, _ = model.model.from_cache(cached[None].to(model.device), torch.tensor([cached.shape[0]]))
    torch.testing.assert_close(live_logits, cached_logits, atol=1e-5, rtol=1e-4)
    capsys.readouterr()
    # one epoch: only the cache reuse matters here (so short a run may end with the verdict, exit 3)
    assert main(["train", str(cfg), "--out", str(tmp_path / "run2"), "--set", "train.max_epochs=1"]) in (0, 3)
    assert "0 computed, 60 reused" in capsys.readouterr().err


def test_ema_decay_warms_up_then_holds():
    from suite.ema import _ema

    avg, cur = torch.zeros(3), torch.ones(3)
    assert torch.allclose(_ema(0.999, avg, cur, torch.tensor(0)), torch.full((3,), 0.9))  # decay 0.1 at first
    assert torch.allclose(_ema(0.999, avg, cur, torch.tensor(10**6)), torch.full((3,), 0.001))


def test_ema_weights_are_validated_checkpointed_bundled_and_resumed(tmp_path, capsys):
    make_ctc_set(tmp_path / "train", 96, seed=5)
    make_ctc_set(tmp_path / "valid", 16, seed=6)
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CTC",
                       data={"train": str(tmp_path / "train/manifest.jsonl"),
                             "valid": str(tmp_path / "valid/manifest.jsonl"), "num_workers": 0},
                       model={"layers": 1, "hidden": 16, "dropout": 0.0},
                       train={"max_epochs": 3, "batch_size": 16, "ema_decay": 0.9, "early_stop_patience": None,
                              "min_batches_per_epoch": 1, "optim": {"lr": 0.01, "warmup_steps": 5}})
    run = tmp_path / "run"
    # 3 epochs: the EMA mechanics, not learning (a run this short may end with the verdict, exit 3)
    assert main(["train", str(cfg), "--out", str(run)]) in (0, 3)
    last = torch.load(run / "checkpoints/last.ckpt", weights_only=False)
    averaged, current = last["state_dict"], last["current_model_state"]
    assert float(last["averaging_state"]["n_averaged"]) == last["global_step"] == 18
    assert any(not torch.equal(averaged[k], current[k]) for k in averaged)
    best = torch.load(run / "checkpoints/best.ckpt", weights_only=False)["state_dict"]
    bundled = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(bundled[k], best["model." + k]) for k in bundled)  # the bundle holds averaged weights
    assert main(["train", str(cfg), "--out", str(run), "--resume", "--set", "train.max_epochs=4"]) in (0, 3)
    resumed = torch.load(run / "checkpoints/last.ckpt", weights_only=False)
    assert float(resumed["averaging_state"]["n_averaged"]) == resumed["global_step"] == 24
    capsys.readouterr()
    assert main(["train", str(cfg), "--out", str(run), "--set", "train.ema_decay=1.5"]) == 2
    assert "'train.ema_decay'" in capsys.readouterr().err


@pytest.mark.slow  # a training run
def test_bundle_reports_the_metrics_of_the_best_checkpoint(ctc_run):
    """model.pt holds best.ckpt's weights, so its metrics are that validation's, not the last epoch's."""
    ckpt = torch.load(ctc_run / "run/checkpoints/best.ckpt", weights_only=False)
    state = next(v for k, v in ckpt["callbacks"].items() if "AtomicCheckpoint" in k)
    metrics = suite.load(str(ctc_run / "run/model.pt")).metrics
    assert metrics["val/error"] == pytest.approx(state["best"])
    assert {k: metrics[k] for k in state["best_metrics"]} == pytest.approx(state["best_metrics"])


def test_checkpointer_keeps_the_best_validations_metrics(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from suite.train import AtomicCheckpoint
    saved = []
    cb = AtomicCheckpoint(tmp_path, None)
    monkeypatch.setattr(cb, "_save", lambda trainer, name: saved.append(name))
    # (error, loss): a tie in error is broken by the loss, so the 0.3 with loss 0.5 is kept, not the first 0.3
    for err, loss in ((0.5, 1.0), (0.3, 0.6), (0.3, 0.5), (0.3, 0.7), (0.4, 0.1)):
        trainer = SimpleNamespace(sanity_checking=False,
                                  callback_metrics={"val/error": torch.tensor(err), "val/loss": torch.tensor(loss),
                                                    "train/loss": torch.tensor(9.0)})
        cb.on_validation_end(trainer, None)
    assert cb.best_metrics == pytest.approx({"val/error": 0.3, "val/loss": 0.5})
    assert saved.count("best.ckpt") == 3
    restored = AtomicCheckpoint(tmp_path, None)
    restored.load_state_dict(cb.state_dict())
    assert restored.best == pytest.approx(0.3) and restored.best_metrics == cb.best_metrics
    assert restored.best_loss == pytest.approx(0.5)
    old = AtomicCheckpoint(tmp_path, None)
    old.load_state_dict({"best": 0.3, "best_metrics": {}})  # a checkpoint from before the tie-break resumes
    assert (old.best, old.best_loss) == (0.3, float("inf"))


def test_early_stopping_waits_while_equal_errors_come_with_lower_losses():
    """30 validation clips tie at 90% for many epochs while the loss still falls: that is progress, not a
    reason to stop (the run behind docs/own-data.md stopped at half its budget on such ties)."""
    from types import SimpleNamespace

    from suite.callbacks import PlateauAwareEarlyStopping

    stopper = PlateauAwareEarlyStopping(patience=2, fraction=0.0)
    module = SimpleNamespace(null_error=0.9, task=SimpleNamespace(learned=lambda err, null, samples=None: err < null),
                             budget_progress=lambda: 0.5)
    trainer = SimpleNamespace(sanity_checking=False, should_stop=False, global_step=100, is_global_zero=True)
    for loss in (0.50, 0.45, 0.44, 0.43, 0.42):  # the same error, a lower loss each time
        trainer.callback_metrics = {"val/error": torch.tensor(0.1), "val/loss": torch.tensor(loss)}
        stopper.on_validation_end(trainer, module)
    assert not trainer.should_stop and stopper.best_loss == pytest.approx(0.42)
    for loss in (0.43, 0.44):  # the same error, the loss rising: two checks without progress
        trainer.callback_metrics = {"val/error": torch.tensor(0.1), "val/loss": torch.tensor(loss)}
        stopper.on_validation_end(trainer, module)
    assert trainer.should_stop


def test_feature_cache_views_hold_the_evaluation_view_and_augmented_ones(tmp_path):
    """model.cache_views: an entry holds [views, T, D]; view 0 is the single view; training draws views
    at random, evaluation reads view 0; the views differ (augmented) and are reproducible."""
    import random

    from suite.config import build_config
    from suite.manifest import read_manifest
    from tests.toy_domain import CLASSIFY
    from video.feature_cache import cache_features, load_cached

    make_clip_set(tmp_path / "clips", 2, seed=1)
    cfg = build_config({"task": "tests.toy_domain:CLASSIFY", "model": {"cnn_channels": 8, "spatial_grid": 2,
                                                                      "feature_dim": 32, "freeze_cnn": True,
                                                                      "cache_features": True, "cache_views": 3}})
    assert cfg.model.cache_views == 3
    model = torch.nn.Module()  # cache_features runs the frontend only
    model.frontend = CLASSIFY.build_frontend(cfg.features, cfg.augment, cfg.model)[0]
    rows = read_manifest(tmp_path / "clips/manifest.jsonl", "video", "label")
    aug = CLASSIFY.augment_config(noise=0.5)
    one = cache_features(model, CLASSIFY, cfg.features, rows, tmp_path / "c1", torch.device("cpu"), quiet=True)
    three = cache_features(model, CLASSIFY, cfg.features, rows, tmp_path / "c3", torch.device("cpu"), quiet=True,
                           views=3, augment_cfg=aug)
    single, multi = torch.load(one[0].path), torch.load(three[0].path)
    assert single.shape[0] == 1 and multi.shape == (3, *single.shape[1:])
    torch.testing.assert_close(multi[0], single[0])
    assert not torch.allclose(multi[1], multi[0]) and not torch.allclose(multi[2], multi[1])
    again = cache_features(model, CLASSIFY, cfg.features, rows, tmp_path / "c3b", torch.device("cpu"), quiet=True,
                           views=3, augment_cfg=aug)
    torch.testing.assert_close(torch.load(again[0].path), multi)
    torch.testing.assert_close(load_cached(three[0].path, None, None), multi[0])
    drawn = {int(torch.stack([(load_cached(three[0].path, None, aug, rng) - v).abs().sum() for v in multi]).argmin())
             for rng in [random.Random(i) for i in range(20)]}
    assert drawn == {0, 1, 2}


def test_on_the_plateau_a_cooldown_anneals_before_the_run_stops():
    """train.cooldown: the early-stopping rule met, the LR falls linearly to zero over that share of the budget
    and only then does the run stop; better validations during the cool-down are still recorded."""
    from types import SimpleNamespace

    from suite.callbacks import PlateauAwareEarlyStopping
    from suite.lightning_module import SuiteModule

    clock = {"progress": 0.5}
    module = SimpleNamespace(null_error=0.9, task=SimpleNamespace(learned=lambda err, null, samples=None: err < null),
                             budget_progress=lambda: clock["progress"], time_progress=lambda: None,
                             cfg=SimpleNamespace(train=SimpleNamespace(optim=SimpleNamespace(schedule="cosine"))),
                             cooldown=None, _lr_now=1.0)
    for name in ("start_cooldown", "cooldown_done", "_lr_multiplier"):
        setattr(module, name, getattr(SuiteModule, name).__get__(module))
    total, warm = 1000, 0
    assert module._lr_multiplier(400, total, warm) == pytest.approx(0.05 + 0.475 * (1 + math.cos(0.4 * math.pi)))
    lr_at_plateau = module._lr_now
    stopper = PlateauAwareEarlyStopping(patience=2, fraction=0.0, cooldown=0.1)
    trainer = SimpleNamespace(sanity_checking=False, should_stop=False, global_step=400, is_global_zero=True)

    def validate(err):
        trainer.callback_metrics = {"val/error": torch.tensor(err), "val/loss": torch.tensor(1.0)}
        stopper.on_validation_end(trainer, module)

    for err in (0.3, 0.3, 0.3):  # a best, then two checks without progress: the rule is met
        validate(err)
    assert not trainer.should_stop and module.cooldown == (0.5, lr_at_plateau, 0.1)
    assert stopper.plateau_seen and not stopper.stopped  # what ends the run is the cool-down's end
    clock["progress"] = 0.55  # half-way through the cool-down: half the LR it started from
    assert module._lr_multiplier(450, total, warm) == pytest.approx(lr_at_plateau / 2)
    validate(0.25)
    assert not trainer.should_stop and stopper.best == pytest.approx(0.25)
    clock["progress"] = 0.6
    assert module._lr_multiplier(500, total, warm) == pytest.approx(0.0)
    validate(0.26)
    assert trainer.should_stop and stopper.stopped
    # 0 stops at once, as before; onecycle cannot anneal from where it is, so it stops at once too
    for cooldown, schedule in ((0.0, "cosine"), (0.1, "onecycle")):
        module.cooldown, trainer.should_stop = None, False
        module.cfg.train.optim.schedule = schedule
        stopper = PlateauAwareEarlyStopping(patience=2, fraction=0.0, cooldown=cooldown)
        for err in (0.3, 0.3, 0.3):
            validate(err)
        assert trainer.should_stop and module.cooldown is None


@pytest.mark.slow  # a training run
def test_after_a_cooldown_the_bundle_holds_the_annealed_end(tmp_path, capsys):
    """Once the cool-down has begun, model.pt gets the weights at its end (last.ckpt), whose LR fell to zero,
    not the best validation's; without one it keeps the best validation's."""
    import lightning as L

    from suite.train import NothingLearned
    from suite.train import train as train_run

    def train(*args, **kwargs):  # 40 updates may not leave the toy's plateau: the bundle is written either way
        try:
            return train_run(*args, **kwargs)
        except NothingLearned:
            return Path(args[2]) / "model.pt"

    class CooldownAtFirstValidation(L.Callback):
        def on_validation_end(self, trainer, pl_module):
            if pl_module.cooldown is None:
                pl_module.start_cooldown(0.5)

    cfg = ctc_recipe(tmp_path, 64, 16, model={"layers": 1, "hidden": 16},
                     train={"max_steps": 40, "batch_size": 8, "early_stop_patience": None,
                            "optim": {"lr": 0.01, "warmup_steps": 2}})
    bundle = train(str(cfg), [], str(tmp_path / "run"), callbacks=[CooldownAtFirstValidation()])
    assert "end of the cool-down" in capsys.readouterr().err
    last = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=False)
    assert last["cooldown"] is not None
    assert_holds(bundle, last["state_dict"])
    lrs = [float(r["lr-AdamW"]) for r in csv_rows(tmp_path / "run/logs/version_0/metrics.csv") if r.get("lr-AdamW")]
    assert lrs[-1] < 0.2 * max(lrs)  # the cool-down's linear fall, wired into the optimiser

    bundle = train(str(cfg), [], str(tmp_path / "plain"))
    assert_holds(bundle, torch.load(tmp_path / "plain/checkpoints/best.ckpt", weights_only=False)["state_dict"])


def assert_holds(bundle: Path, ckpt_state: dict) -> None:
    """The bundle's weights are exactly the checkpoint's model weights."""
    weights = torch.load(bundle, weights_only=True)["state_dict"]
    for k, v in ckpt_state.items():
        assert torch.equal(weights[k.removeprefix("model.")], v)


def csv_rows(path: Path) -> list[dict]:
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))
