"""`suite evaluate` averaging several views of each input (multi-clip testing), on a toy domain."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from suite.domain import Domain, StrictModel
from suite.errors import SuiteError
from suite.evaluate import evaluate
from suite.tasks.classify import TASK, LabelSet


class ToyFeatures(StrictModel):
    views: int = 1


class NoAugment(StrictModel):
    pass


def load_view(path, features, augment, rng, view: int = 0, views: int = 1):
    """Each file lists the class its views show: view v of k reads entry v * len // k."""
    shown = [int(c) for c in open(path).read().split()]
    if shown[view * len(shown) // views] < 0:
        raise SuiteError("this part of the file cannot be read", path)
    return torch.tensor([[float(shown[view * len(shown) // views])]])


def toy_domain(views) -> Domain:
    return Domain(name="toyviews", task="classify", input_key="x", target_key="label", features_config=ToyFeatures,
                  augment_config=NoAugment, load=load_view, build_frontend=None, evaluation_views=views)


class OneHot:
    """A predictor whose logits point at the class its input shows."""

    def __init__(self, domain: Domain, features: ToyFeatures):
        self.domain, self.task, self.targets, self.decoder = domain, TASK, LabelSet(["a", "b"]), None
        self.config = SimpleNamespace(features=features, data=SimpleNamespace(max_file_mb=None))
        self.views_seen: list[float] = []

    def run_padded(self, x, lengths):
        shown = x[:, 0, 0].long()
        return torch.nn.functional.one_hot(shown, 2).float() * 5.0, lengths


@pytest.fixture
def manifest(tmp_path):
    # first view shows b, the other two a: one view says b, three views (averaged) say a
    rows = []
    for i in range(4):
        (tmp_path / f"{i}.txt").write_text("1 0 0")
        rows.append({"x": f"{i}.txt", "label": "a"})
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(tmp_path / "m.jsonl")


def test_scores_of_the_views_are_averaged(manifest):
    predictor = OneHot(toy_domain(lambda f: f.views), ToyFeatures(views=1))
    one = evaluate(predictor, manifest, num_workers=0, quiet=True)
    three = evaluate(predictor, manifest, num_workers=0, quiet=True, views=3)
    assert one["accuracy"] == 0.0 and "views" not in one
    assert three["accuracy"] == 1.0 and three["views"] == 3


def test_the_models_own_setting_is_the_default(manifest):
    predictor = OneHot(toy_domain(lambda f: f.views), ToyFeatures(views=3))
    assert evaluate(predictor, manifest, num_workers=0, quiet=True)["accuracy"] == 1.0
    assert evaluate(predictor, manifest, num_workers=0, quiet=True, views=1)["accuracy"] == 0.0


def test_views_refused_where_the_domain_has_one(manifest):
    predictor = OneHot(toy_domain(None), ToyFeatures())
    with pytest.raises(SuiteError, match="one view of each input"):
        evaluate(predictor, manifest, num_workers=0, quiet=True, views=3)
    with pytest.raises(SuiteError, match="at least 1"):
        evaluate(OneHot(toy_domain(lambda f: 1), ToyFeatures()), manifest, num_workers=0, quiet=True, views=0)


def test_average_is_the_mean_probability():
    a, b = torch.tensor([[4.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    mean = (a.softmax(1) + b.softmax(1)) / 2
    assert torch.allclose(TASK.average_views([a, b]).exp(), mean)


def test_an_input_with_an_unreadable_view_is_skipped_whole(manifest, tmp_path):
    (tmp_path / "0.txt").write_text("1 -1 0")  # its second view cannot be read
    predictor = OneHot(toy_domain(lambda f: f.views), ToyFeatures())
    three = evaluate(predictor, manifest, num_workers=0, quiet=True, views=3)
    assert three["skipped"] == 1 and three["samples"] == 3 and three["accuracy"] == 1.0
    one = evaluate(predictor, manifest, num_workers=0, quiet=True, views=1)  # the first view reads
    assert one["skipped"] == 0 and one["samples"] == 4


def test_ids_name_the_row_of_each_scored_pair(tmp_path):
    """Batches come in length order, not manifest order: ``_ids`` follows the scores, skipped rows left out."""
    rows = []
    for i, (label, length) in enumerate([("a", 9), ("b", 1), ("b", 5), ("a", 3), ("b", 7)]):
        (tmp_path / f"{i}.txt").write_text("-1" if i == 2 else str("ab".index(label)))
        rows.append({"x": f"{i}.txt", "label": label, "length": length, "id": f"row{i}"})
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    class Pairs(SimpleNamespace):  # the classify task, keeping (reference, predicted) per sample
        def metrics(self, refs, hyps, targets):
            return {"_pairs": [(int(r), int(h.argmax())) for r, h in zip(refs, hyps)]}

    predictor = OneHot(toy_domain(None), ToyFeatures())
    predictor.task = Pairs(batch_references=TASK.batch_references, hypotheses=TASK.hypotheses,
                           collate_targets=TASK.collate_targets)
    result = evaluate(predictor, str(tmp_path / "m.jsonl"), batch_size=2, num_workers=0, quiet=True)
    assert result["_ids"] != sorted(result["_ids"])  # the length order, so the test can tell
    assert sorted(result["_ids"]) == ["row0", "row1", "row3", "row4"]
    label = {r["id"]: "ab".index(r["label"]) for r in rows}
    assert [label[i] for i in result["_ids"]] == [ref for ref, _ in result["_pairs"]]
