"""Training on a user's corpus of any size: budgets, the plateau, the verdict, the automatic split, --init."""
from __future__ import annotations

import json
import math
import random

import pytest
import torch
import yaml

import suite
from suite.cli import main
from suite.schedule import effective_batch_size, lr_factor, planned_steps
from suite.split import hold_out
from suite.manifest import Row
from suite.tasks.classify import ClassifyTask, binomial_tail
from suite.verdict import NOTHING_LEARNED, judge, loss_fell
from tests.toy_domain import ctc_recipe, make_clip_set, make_ctc_set


def write_config(path, task, **sections):
    path.write_text(yaml.safe_dump({"task": task, **sections}))
    return path


# --- schedules ----------------------------------------------------------------------------------------
def test_tiny_corpus_gets_smaller_batches_and_a_minimum_of_steps():
    assert effective_batch_size(1000, 16, 8, 2) == 16
    assert effective_batch_size(31, 16, 8, 2) == 3  # 31 files: 10 batches an epoch instead of 2
    assert effective_batch_size(5, 16, 8, 2) == 2  # never under min_batch_size
    assert planned_steps(steps_per_epoch=2, max_epochs=40, max_steps=-1, min_steps=300) == 300
    assert planned_steps(steps_per_epoch=500, max_epochs=40, max_steps=3000, min_steps=300) == 3000


def test_warmup_and_decay_are_fractions_of_the_budget():
    total, warm = 1000, 50
    assert lr_factor(0, total, warm, "cosine") == pytest.approx(1 / 50)
    assert lr_factor(49, total, warm, "cosine") == pytest.approx(1.0)
    assert lr_factor(999, total, warm, "cosine") == pytest.approx(0.05, abs=1e-3)
    # a time budget half spent decays the LR as far as half the steps would
    assert lr_factor(60, total, warm, "cosine", time_progress=0.5) == pytest.approx(0.525, abs=0.01)


def test_loss_fell():
    assert loss_fell([5.0, 4.0, 3.0, 2.0, 1.0] * 2 + [0.5] * 10)
    assert not loss_fell([2.3] * 50)


def test_binomial_tail_matches_the_sum_of_exact_probabilities():
    for n, p in ((1, 0.3), (10, 0.1), (30, 0.5), (17, 0.93)):
        for k in range(n + 2):
            exact = sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))
            assert binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-9, abs=1e-15)


def test_a_lucky_best_of_a_few_validation_clips_is_no_evidence_of_learning():
    """10 classes, 10 validation clips: 4 right is the best of many checks of a model at chance (the scratch
    10-clip matrix row: best validation 40%, test 9%); the verdict must say so and name the sample count."""
    task = ClassifyTask()
    assert not task.learned(0.6, 0.9, samples=10)
    assert task.learned(0.3, 0.9, samples=10)  # 7 of 10: about one chance in 100,000
    assert task.learned(0.6, 0.9, samples=30)  # 12 of 30 is evidence
    assert task.learned(0.0, 0.5, samples=4)  # too few to tell either way: the margin decides
    assert task.learned(0.6, 0.9)  # no count given: the margin alone, as before
    reason = judge(task, 0.6, 0.9, [1.0] * 10 + [0.1] * 10, samples=10)
    assert reason and "on 10 validation samples" in reason


# --- automatic validation split -----------------------------------------------------------------------
def test_hold_out_is_group_disjoint_seeded_and_keeps_training_data():
    rows = [Row(f"u{i}", f"/x/{i}.wav", "a", extra={"speaker": f"s{i % 7}"}) for i in range(70)]
    train, valid, field = hold_out(rows, 0.1, seed=3)
    assert field == "speaker"
    assert {r.extra["speaker"] for r in train}.isdisjoint({r.extra["speaker"] for r in valid})
    assert valid and len(train) > len(valid)
    again = hold_out(rows, 0.1, seed=3)[1]
    assert [r.id for r in again] == [r.id for r in valid]
    one_speaker = [Row(f"u{i}", f"/x/{i}.wav", "a", extra={"speaker": "s"}) for i in range(12)]
    train, valid, field = hold_out(one_speaker, 0.1, seed=0)
    assert field is None and len(valid) >= 1 and len(train) >= 10


def test_a_domain_with_a_partner_field_draws_training_partners_from_the_same_group(tmp_path):
    import dataclasses

    import numpy as np

    from suite.data import ManifestDataset
    from tests.toy_domain import CTC, ToyAugment, ToyFeatures, load_npy

    def load_pair(path, features, augment, rng, partner=None):
        drawn = partner()
        return torch.cat([load_npy(path, features, None, rng), load_npy(drawn[0], features, None, rng)])

    domain = dataclasses.replace(CTC, load=load_pair, partner_field="speaker")
    rows = []
    for i, speaker in enumerate(["s1", "s1", "s1", "s2", "s2", None, None]):
        np.save(tmp_path / f"{i}.npy", np.full((1, 2), float(i)))
        rows.append(Row(str(i), str(tmp_path / f"{i}.npy"), "a", extra={} if speaker is None else {"speaker": speaker}))
    ds = ManifestDataset(rows, domain, ToyFeatures(), ToyAugment())
    partners = {i: set() for i in range(len(rows))}
    for epoch in range(20):
        ds.epoch = epoch
        for i in range(len(rows)):
            partners[i].add(int(ds[i][1][1, 0]))
    assert partners[0] == {1, 2} and partners[3] == {4} and partners[4] == {3}
    assert 5 not in partners[5] and len(partners[5]) > 2  # no group: any other row
    assert ds.partners is not None and ManifestDataset(rows, domain, ToyFeatures(), None).partners is None


def test_training_without_valid_manifest_holds_out_part_of_train(tmp_path, capsys):
    manifest = make_ctc_set(tmp_path / "train", 40, seed=1)
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    for i, r in enumerate(rows):
        r["speaker"] = f"spk{i % 5}"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CTC", data={"train": str(manifest), "num_workers": 0},
                       model={"layers": 1, "hidden": 8}, train={"max_steps": 4, "batch_size": 8})
    code = main(["train", str(cfg), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code in (0, NOTHING_LEARNED) and "held out" in err and "by 'speaker'" in err
    valid = [json.loads(x) for x in (tmp_path / "run/split/valid.jsonl").read_text().splitlines()]
    train = [json.loads(x) for x in (tmp_path / "run/split/train.jsonl").read_text().splitlines()]
    assert len(valid) + len(train) == 40 and {r["speaker"] for r in valid}.isdisjoint({r["speaker"] for r in train})
    assert (tmp_path / "run/model.pt").is_file()
    assert "training ended by its step budget (train.max_steps) after 4 updates" in err
    assert torch.load(tmp_path / "run/model.pt", weights_only=True)["metrics"]["ended_by"] == "step budget"


def test_the_run_says_what_ended_it_and_which_budget_to_raise():
    from types import SimpleNamespace

    from suite.ending import how_training_ended

    def stopper(stopped=False, waited=0, left_plateau=True, plateau_seen=False):
        return SimpleNamespace(stopped=stopped, waited=waited, patience=5, left_plateau=left_plateau,
                               plateau_seen=plateau_seen)

    assert how_training_ended(900, 20000, 0.6, stopper(stopped=True, waited=9)) == (
        "early stop", "training ended by early stopping after 900 updates")
    kind, line = how_training_ended(4426, 20000, 1.0, stopper(waited=2))  # no plateau yet when the clock ran out
    assert kind == "time budget" and line.endswith("(the best validation 2 check(s) before the end, patience 5): "
                                                   "a larger train.max_minutes may help")
    # the rule met (a cool-down under way when the clock ran out): no hint
    kind, line = how_training_ended(4426, 20000, 1.0, stopper(waited=1, plateau_seen=True))
    assert kind == "time budget" and line == "training ended by its time budget (train.max_minutes) after 4426 updates"
    assert how_training_ended(4426, 20000, 1.0, stopper(left_plateau=False))[1].endswith("after 4426 updates")
    assert how_training_ended(100, 100, 0.2, None)[0] == "step budget"
    assert how_training_ended(100, -1, None, None)[0] == "epochs"


# --- the verdict ----------------------------------------------------------------------------------------
def test_shuffled_labels_end_with_the_verdict_and_its_exit_code(tmp_path, capsys):
    """Labels that have nothing to do with the clips: the run must say it learned nothing, not 'done'."""
    train = make_clip_set(tmp_path / "train", 60, seed=1)
    valid = make_clip_set(tmp_path / "valid", 30, seed=2)
    for manifest, seed in ((train, 1), (valid, 2)):
        rows = [json.loads(x) for x in manifest.read_text().splitlines()]
        labels = [r["label"] for r in rows]
        random.Random(seed).shuffle(labels)
        manifest.write_text("".join(json.dumps({**r, "label": lab}) + "\n" for r, lab in zip(rows, labels)))
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CLASSIFY",
                       data={"train": str(train), "valid": str(valid), "num_workers": 0},
                       model={"cnn_channels": 4, "spatial_grid": 2, "feature_dim": 16, "hidden": 16},
                       train={"max_steps": 40, "batch_size": 8, "early_stop_patience": None})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == NOTHING_LEARNED
    err = capsys.readouterr().err
    assert "verdict: NOTHING LEARNED" in err and "likely causes" in err
    bundle = torch.load(tmp_path / "run/model.pt", weights_only=True)
    assert bundle["metrics"]["verdict"]
    suite.load(str(tmp_path / "run/model.pt"))
    assert "learned nothing" in capsys.readouterr().err  # inference warns once


@pytest.mark.slow
def test_a_dozen_utterances_leave_the_ctc_plateau_with_the_default_schedule(tmp_path, capsys):
    """12 utterances used to mean two batches an epoch and an early stop on the blank plateau."""
    cfg = ctc_recipe(tmp_path, 12, 8, model={"layers": 1, "hidden": 32},
                     train={"max_steps": 400, "min_steps": 300, "early_stop_patience": 3, "optim": {"lr": 0.01}})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 0
    bundle = torch.load(tmp_path / "run/model.pt", weights_only=True)
    assert bundle["metrics"]["steps"] >= 300 and "verdict" not in bundle["metrics"]
    assert bundle["metrics"]["val/cer"] < 0.5


# --- fine-tuning from a bundle ------------------------------------------------------------------------
@pytest.mark.slow
def test_init_fine_tunes_a_bundle_and_maps_its_vocabulary(tmp_path, capsys):
    make_ctc_set(tmp_path / "a", 60, seed=1, alphabet="abcd")
    make_ctc_set(tmp_path / "av", 12, seed=2, alphabet="abcd")
    base = write_config(tmp_path / "base.yaml", "tests.toy_domain:CTC",
                        data={"train": str(tmp_path / "a/manifest.jsonl"), "valid": str(tmp_path / "av/manifest.jsonl"),
                              "num_workers": 0},
                        model={"layers": 1, "hidden": 16}, train={"max_steps": 150, "optim": {"lr": 0.01}})
    assert main(["train", str(base), "--out", str(tmp_path / "base")]) == 0
    old = torch.load(tmp_path / "base/model.pt", weights_only=True)
    # a new corpus with a new character 'e': the bundle's characters keep their rows, 'e' gets a fresh one
    make_ctc_set(tmp_path / "b", 20, seed=3, alphabet="abce")
    make_ctc_set(tmp_path / "bv", 8, seed=4, alphabet="abce")
    tune = write_config(tmp_path / "tune.yaml", "tests.toy_domain:CTC",
                        data={"train": str(tmp_path / "b/manifest.jsonl"), "valid": str(tmp_path / "bv/manifest.jsonl"),
                              "num_workers": 0},
                        model={"layers": 2, "hidden": 99},  # ignored: the architecture comes from the bundle
                        train={"max_steps": 1, "optim": {"lr": 0.0}})
    capsys.readouterr()
    code = main(["train", str(tune), "--out", str(tmp_path / "tuned"), "--init", str(tmp_path / "base/model.pt")])
    err = capsys.readouterr().err
    assert code in (0, NOTHING_LEARNED), err
    assert "1 output(s) the bundle does not know" in err and "'e'" in err
    new = torch.load(tmp_path / "tuned/model.pt", weights_only=True)
    assert new["targets"]["symbols"][: len(old["targets"]["symbols"])] == old["targets"]["symbols"]
    assert "e" in new["targets"]["symbols"] and new["config"]["model"]["hidden"] == 16
    # lr 0: every weight the bundle had is unchanged, including its output rows
    for k, v in old["state_dict"].items():
        if k.startswith("backbone.head."):
            torch.testing.assert_close(new["state_dict"][k][: v.shape[0]], v)
        else:
            torch.testing.assert_close(new["state_dict"][k], v)


def test_init_refuses_a_bundle_of_another_domain(tmp_path, capsys):
    make_ctc_set(tmp_path / "a", 8, seed=1)
    cfg = write_config(tmp_path / "c.yaml", "tests.toy_domain:CTC", data={"train": str(tmp_path / "a/manifest.jsonl")})
    assert main(["train", str(cfg), "--out", str(tmp_path / "r"), "--init", "handwriting-en"]) == 2
    assert "--init model is for 'handwriting'" in capsys.readouterr().err


def test_hold_out_of_labelled_rows_keeps_every_class_on_both_sides():
    rows = [Row(f"c{i}", f"/x/{i}.mp4", f"class{i % 8}") for i in range(80)]
    train, valid, field = hold_out(rows, 0.1, seed=0)
    assert field is None and len(valid) == 8
    assert {r.target for r in valid} == {r.target for r in train} == {f"class{k}" for k in range(8)}
