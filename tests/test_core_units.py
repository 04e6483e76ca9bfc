"""Config, manifests, batching, decoding, metrics and bundles."""
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from suite.bundle import FORMAT, load_bundle, save_bundle
from suite.config import apply_overrides, build_config, load_config
from suite.data import BucketBatchSampler, collate, cost_bounded, padding_efficiency
from suite.decoding import BeamDecoder, greedy_decode, word_times
from suite.errors import SuiteError
from suite.io import atomic_write_text
from suite.manifest import read_manifest
from suite.metrics import cer, wer

TOY = "tests.toy_domain:CTC"


# --- config -----------------------------------------------------------------------------------------
def test_config_defaults_and_overrides(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(f"task: {TOY}\nmodel: {{layers: 2}}\n")
    cfg = load_config(p, ["model.hidden=64", "train.optim.lr=0.01", "data.train=x.jsonl"])
    assert (cfg.model.layers, cfg.model.hidden, cfg.train.optim.lr, cfg.data.train) == (2, 64, 0.01, "x.jsonl")
    assert cfg.train.grad_clip  # clipping is on by default


@pytest.mark.parametrize("raw,needle", [
    ({"task": TOY, "model": {"layerz": 2}}, "unknown key 'model.layerz'"),
    ({"task": TOY, "train": {"optim": {"lr": "fast"}}}, "'train.optim.lr'"),
    ({"task": TOY, "features": {"nope": 1}}, "unknown key 'features.nope'"),
    ({"task": TOY, "model": {"subsample": 3}}, "'model.subsample'"),
    ({"task": "no-such-domain"}, "unknown task 'no-such-domain'"),
    ({"model": {}}, "missing key 'task'"),
])
def test_config_errors_name_the_key(raw, needle):
    with pytest.raises(SuiteError, match=needle.replace("(", r"\(")):
        build_config(raw, source="c.yaml")


def test_config_file_errors(tmp_path):
    with pytest.raises(SuiteError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: [unclosed\n")
    with pytest.raises(SuiteError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(SuiteError, match="key=value"):
        apply_overrides({}, ["novalue"])


CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_configs_are_found():
    assert len(CONFIGS) >= 6, CONFIGS


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_validates(path):
    # no skip: every domain a shipped config names is part of this project and must be installed
    cfg = load_config(path)
    assert cfg.task == yaml.safe_load(path.read_text())["task"]


# --- manifests --------------------------------------------------------------------------------------
def test_manifest_resolves_relative_paths_and_accepts_outside_ones(tmp_path):
    m = tmp_path / "sub" / "m.jsonl"
    m.parent.mkdir()
    m.write_text(json.dumps({"audio": "a.wav", "text": "hi", "length": 3}) + "\n\n")
    rows = read_manifest(m, "audio", "text")
    assert rows[0].path == str(tmp_path / "sub" / "a.wav") and rows[0].length == 3
    # `..` and absolute paths are normal (NeMo/ESPnet manifests hold absolute paths); allow_outside is still accepted
    m.write_text(json.dumps({"audio": "../other.wav", "text": "x"}) + "\n"
                 + json.dumps({"audio": "/data/corpus/b.wav", "text": "y"}) + "\n")
    for kwargs in ({}, {"allow_outside": False}, {"allow_outside": True}):
        rows = read_manifest(m, "audio", "text", **kwargs)
        assert [r.path for r in rows] == [str(tmp_path / "sub" / ".." / "other.wav"), "/data/corpus/b.wav"]


def test_manifest_reads_nemo_rows(tmp_path):
    m = tmp_path / "nemo.jsonl"
    m.write_text(json.dumps({"audio_filepath": "/corpus/a.wav", "text": "hello", "duration": 1.25}) + "\n"
                 + json.dumps({"audio_filepath": "b.wav", "audio": "c.wav", "text": "x"}) + "\n")
    a, b = read_manifest(m, "audio", "text")
    assert (a.path, a.target, a.id, a.extra) == ("/corpus/a.wav", "hello", "/corpus/a.wav", {"duration": 1.25})
    assert b.path == str(tmp_path / "c.wav") and b.extra == {"audio_filepath": "b.wav"}  # the domain's key wins
    m.write_text(json.dumps({"ink": "a.json", "text": "x"}) + "\n")
    with pytest.raises(SuiteError, match="missing 'audio' or 'audio_filepath' path"):
        read_manifest(m, "audio", "text")
    # inputs-only reading (target_key=None) needs no target
    m.write_text(json.dumps({"audio": "a.wav"}) + "\n")
    assert read_manifest(m, "audio", None)[0].target is None


@pytest.mark.parametrize("line,needle", [
    ("{not json", "line 1: not valid JSON"),
    ('{"text": "x"}', "missing 'audio'"),
    ('{"audio": "a.wav"}', "missing 'text'"),
    ("[1, 2]", "expected a JSON object"),
])
def test_manifest_errors(tmp_path, line, needle):
    m = tmp_path / "m.jsonl"
    m.write_text(line + "\n")
    with pytest.raises(SuiteError, match=needle) as err:
        read_manifest(m, "audio", "text")
    assert str(m) in str(err.value)


# --- batching ---------------------------------------------------------------------------------------
def test_bucketing_reduces_padding_and_covers_every_sample():
    rng = np.random.default_rng(0)
    lengths = rng.integers(50, 600, size=500).tolist()
    bucketed = BucketBatchSampler(lengths, 16, bucket=True, seed=1).batches()
    random_ = BucketBatchSampler(lengths, 16, bucket=False, seed=1).batches()
    assert sorted(i for b in bucketed for i in b) == list(range(500))
    assert padding_efficiency(lengths, bucketed) > 0.9 > padding_efficiency(lengths, random_)


def test_distributed_batches_are_disjoint_and_epochs_differ():
    lengths = list(range(1, 101))
    ranks = [BucketBatchSampler(lengths, 8, seed=3, rank=r, world_size=2) for r in range(2)]
    seen = [set(i for b in s for i in b) for s in ranks]
    assert not seen[0] & seen[1] and len(list(ranks[0])) == len(list(ranks[1])) == len(ranks[0])
    assert seen[0] | seen[1] == set(range(100))
    # the two ranks' shares of each step are one batch of the single-process run with twice the batch size
    single = BucketBatchSampler(lengths, 16, seed=3).batches()
    assert [sorted(a + b) for a, b in zip(*(s.batches() for s in ranks))] == [sorted(b) for b in single]
    s = ranks[0]
    first = s.batches()
    s.set_epoch(1)
    assert s.batches() != first


def test_cost_bounded_batches_shrink_for_long_samples():
    """A batch's size x its largest cost stays within the bound (a padded batch's memory), except that a batch
    always holds at least ``least`` samples."""
    assert cost_bounded(range(6), 4, [10, 10, 10, 100, 100, 10], 200) == [[0, 1, 2], [3, 4], [5]]
    assert cost_bounded(range(6), 4, [1] * 6, 200) == [[0, 1, 2, 3], [4, 5]]  # cheap: the count decides
    assert cost_bounded(range(3), 4, [500, 500, 1], 200) == [[0], [1], [2]]  # above the bound alone: one each
    assert cost_bounded(range(3), 4, [500, 500, 1], 200, least=2) == [[0, 1], [2]]


@pytest.mark.parametrize("world", [1, 2])
def test_sampler_with_costs_covers_every_sample_within_the_bound(world):
    rng = np.random.default_rng(1)
    lengths = rng.integers(20, 400, size=300).tolist()
    costs = [n * n // 10 for n in lengths]  # grows with length, like frames x characters
    ranks = [BucketBatchSampler(lengths, 16, seed=2, rank=r, world_size=world, costs=costs, max_cost=40_000)
             for r in range(world)]
    steps = [s.global_batches() for s in ranks]
    assert all(st == steps[0] for st in steps)  # every rank plans the same global batches
    assert sorted(i for b in steps[0] for i in b) == list(range(300))
    sizes = {len(b) for b in steps[0]}
    assert max(sizes) == 16 * world and min(sizes) < 16 * world  # long samples: smaller batches
    for b in steps[0]:
        assert len(b) * max(costs[i] for i in b) <= 40_000 * world or len(b) == world
    assert all(len(s) == len(list(s)) == len(steps[0]) for s in ranks)
    if world > 1:
        shares = [set(i for b in s for i in b) for s in ranks]
        assert not shares[0] & shares[1]


def test_collate_pads_and_counts_skipped():
    items = [("a", torch.ones(3, 2), torch.tensor([1, 2])), ("b", "b.wav: corrupt"),
             ("c", torch.ones(5, 2), torch.tensor([3]))]
    from suite.tasks.ctc import TASK

    b = collate(items, TASK.collate_targets)
    assert b.inputs.shape == (2, 5, 2) and b.lengths.tolist() == [3, 5]
    assert b.targets.tolist() == [1, 2, 3] and b.target_lengths.tolist() == [2, 1]
    assert b.skipped == [("b", "b.wav: corrupt")] and b.inputs[0, 3:].abs().sum() == 0


# --- decoding ---------------------------------------------------------------------------------------
VOCAB = list(" abc")


def peaked(path, V=5, low=-12.0):
    lp = torch.full((1, len(path), V), low)
    for t, s in enumerate(path):
        lp[0, t, s] = 0.0
    return lp.log_softmax(-1), torch.tensor([len(path)])


def test_greedy_collapses_repeats_and_blanks():
    lp, n = peaked([2, 2, 0, 2, 3, 1, 0, 4, 4])
    h = greedy_decode(lp, n, VOCAB)[0]
    assert h.text == "aab c" and h.frames == [0, 3, 4, 5, 7]


def test_greedy_respects_lengths_in_a_batch():
    lp1, _ = peaked([2, 0, 3, 0, 4, 4])
    lp = torch.cat([lp1, lp1])
    hs = greedy_decode(lp, torch.tensor([6, 3]), VOCAB)
    assert [h.text for h in hs] == ["abc", "ab"]


@pytest.mark.parametrize("path", [[2, 0, 3, 3, 1, 4], [0, 0, 4, 1, 1, 2, 0, 2], [3, 3, 3]])
def test_beam_and_greedy_agree_on_peaked_posteriors(path):
    lp, n = peaked(path)
    g = greedy_decode(lp, n, VOCAB)[0]
    b = BeamDecoder(VOCAB, beam_size=8)(lp, n)[0]
    assert b.text == g.text
    assert b.frames == g.frames


def test_beam_with_word_list_snaps_to_known_words(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("cab\nbad\n")
    # "cac" is closest to "cab" on the best path; a near-tie makes the lexicon decide
    lp = torch.full((1, 5, 5), -3.0)
    for t, (s, alt) in enumerate([(4, None), (0, None), (2, None), (0, None), (4, 3)]):
        lp[0, t, s] = 0.0
        if alt:
            lp[0, t, alt] = -0.2
    lp = lp.log_softmax(-1)
    n = torch.tensor([5])
    assert greedy_decode(lp, n, VOCAB)[0].text == "cac"
    assert BeamDecoder(VOCAB, beam_size=16, lexicon=str(words))(lp, n)[0].text == "cab"


def test_beam_with_word_list_keeps_the_last_word(tmp_path):
    # lexicon words are spelled ending with the separator, which a model never emits after the last word:
    # a sequence ending on a character (here in a padded batch) used to lose its last word ("ba c" -> "ba")
    words = tmp_path / "words.txt"
    words.write_text("ab\nc\nba\n")
    paths = [[2, 3, 0, 1, 4, 4, 0], [3, 0, 2, 1, 1, 4]]
    lp = torch.full((2, 7, 5), -12.0)
    for b, path in enumerate(paths):
        for t, k in enumerate(path):
            lp[b, t, k] = 0.0
    n = torch.tensor([len(p) for p in paths])
    lp = lp.log_softmax(-1)
    assert [h.text for h in greedy_decode(lp, n, VOCAB)] == ["ab c", "ba c"]
    hyps = BeamDecoder(VOCAB, beam_size=16, lexicon=str(words))(lp, n)
    assert [h.text for h in hyps] == ["ab c", "ba c"]
    assert max(hyps[1].frames) < 6  # the added separator frame is not a character's frame


def test_beam_errors_name_missing_files(tmp_path):
    with pytest.raises(SuiteError, match="not found"):
        BeamDecoder(VOCAB, lm=str(tmp_path / "lm.bin"))
    with pytest.raises(SuiteError, match="ctcdecode"):
        BeamDecoder(VOCAB, backend="ctcdecode")


def test_word_times_from_alignment():
    lp, n = peaked([2, 3, 0, 1, 1, 0, 4, 0])
    h = greedy_decode(lp, n, VOCAB)[0]
    assert word_times(h, VOCAB, 0.1) == [{"word": "ab", "start": 0.0, "end": 0.2},
                                        {"word": "c", "start": 0.6, "end": 0.7}]


# --- metrics ----------------------------------------------------------------------------------------
def test_wer_cer_standard_definitions():
    assert wer(["a b c d"], ["a x c"]) == pytest.approx(2 / 4)
    assert cer(["abcd"], ["abd"]) == pytest.approx(1 / 4)
    assert wer(["a b", "c"], ["a b", "d e"]) == pytest.approx(2 / 3)  # corpus level: edits / ref words


def test_classification_metrics():
    logits = torch.tensor([[3.0, 1, 0], [0, 2, 3], [1, 0, 2], [0, 5, 1]])
    y = torch.tensor([0, 1, 2, 1])
    from suite.tasks.classify import TASK, LabelSet, confused

    m = TASK.metrics(y.tolist(), list(logits), LabelSet(["a", "b", "c"]))
    assert m["accuracy"] == 0.75 and m["error"] == 0.25
    assert m["_confusion"].tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert m["mean_class_accuracy"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert m["_per_class"] == {"a": 1.0, "b": 0.5, "c": 1.0}
    assert confused(m["_confusion"], ["a", "b", "c"]) == {"b": {"c": 1}}  # the one error: a "b" read as "c"
    two = TASK.metrics([0, 1, 1], [torch.tensor([3.0, 1, 0]), torch.tensor([0, 2, 3.0]), torch.tensor([1, 3, 2.0])],
                       LabelSet(["a", "b", "c"]))
    assert two["accuracy"] == pytest.approx(2 / 3) and two["top5"] == 1.0
    assert two["_per_class"] == {"a": 1.0, "b": 0.5}  # classes absent from the manifest are not reported


# --- bundles ----------------------------------------------------------------------------------------
def test_bundle_round_trip(tmp_path):
    state = {"w": torch.randn(3, 2)}
    p = save_bundle(tmp_path / "m.pt", domain="x", config={"task": "x"}, state_dict=state,
                    targets={"symbols": ["a"]})
    b = load_bundle(p)
    assert b["format"] == FORMAT and b["targets"] == {"symbols": ["a"]} and torch.equal(b["state_dict"]["w"], state["w"])
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_newer_bundle_is_refused(tmp_path):
    p = tmp_path / "m.pt"
    torch.save({"format": FORMAT + 1, "state_dict": {}, "suite_version": "9.0"}, p)
    with pytest.raises(SuiteError, match="newer"):
        load_bundle(p)


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/suite-pwned",))


def test_bundle_with_code_is_refused(tmp_path):
    p = tmp_path / "evil.pt"
    torch.save({"format": 1, "state_dict": {}, "x": Evil()}, p)
    with pytest.raises(SuiteError, match="refused"):
        load_bundle(p)
    assert not os.path.exists("/tmp/suite-pwned")
    (tmp_path / "junk.pt").write_bytes(b"not a bundle")
    with pytest.raises(SuiteError, match="not a readable"):
        load_bundle(tmp_path / "junk.pt")


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    p = tmp_path / "out.txt"
    atomic_write_text(p, "old")
    from suite.io import atomic_path

    with pytest.raises(RuntimeError):
        with atomic_path(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert p.read_text() == "old" and len(os.listdir(tmp_path)) == 1


def test_label_smoothing_is_the_runs_own_and_training_only():
    from types import SimpleNamespace

    from suite.tasks import get_task

    shared = get_task("classify")
    smoothed = shared.for_model(shared.model_config(label_smoothing=0.1))
    assert smoothed is not shared and shared.label_smoothing == 0.0  # the shared task is left as it was
    assert shared.for_model(shared.model_config()) is shared
    logits, batch = torch.tensor([[4.0, 0.0, 0.0]]), SimpleNamespace(targets=torch.tensor([0]))
    plain = shared.loss(logits, None, batch)[0]
    assert smoothed.loss(logits, None, batch)[0] > plain + 0.1
    # validation loss: plain cross-entropy, comparable across recipes
    torch.testing.assert_close(smoothed.loss(logits, None, batch, training=False)[0], plain)


def test_mixup_blends_inputs_and_targets_by_one_weight():
    from suite.data import Batch
    from suite.tasks import get_task
    from suite.tasks.classify import LabelSet

    shared = get_task("classify")
    labels = LabelSet(["a", "b", "c", "d"])
    value = torch.tensor([0.0, 60.0, 120.0, 240.0])  # sample i: every pixel value[i], label i
    frames = value.to(torch.uint8)[:, None, None].expand(4, 2, 3).clone()
    batch = Batch(frames, torch.tensor([2, 1, 2, 1]), torch.arange(4), None, ["w", "x", "y", "z"])
    assert shared.mix(batch, labels) is batch  # off by default
    mixer = shared.for_model(shared.model_config(mixup=0.4))
    assert mixer is not shared and shared.mixup == 0.0  # the shared task is left as it was
    torch.manual_seed(3)
    mixed = mixer.mix(batch, labels)
    assert mixed.inputs.dtype == torch.uint8 and torch.equal(batch.inputs, frames)  # the batch is untouched
    torch.testing.assert_close(mixed.targets.sum(1), torch.ones(4))
    # each input is its targets' blend of the sources (to the uint8 step), one weight for the whole batch
    torch.testing.assert_close(mixed.inputs[:, 0, 0].float(), (mixed.targets @ value).round(), atol=1, rtol=0)
    own = {round(float(mixed.targets[i, i]), 6) for i in range(4) if mixed.targets[i, i] < 1}
    assert len(own) == 1 and 0 < own.pop() < 1
    partner = mixed.targets.clone().fill_diagonal_(0).argmax(1)
    assert torch.equal(mixed.lengths, torch.maximum(batch.lengths, batch.lengths[partner]))
    assert torch.isfinite(mixer.loss(torch.zeros(4, 4), None, mixed)[0])  # the loss takes probability targets
