"""augment.word_order: words found from the ink's gaps, re-ordered with their transcript, ambiguous lines kept."""
import json
import random

import numpy as np
import pytest

from handwriting.config import HandwritingAugment, HandwritingFeatures
from handwriting.domain import DOMAIN
from handwriting.loading import load_sample
from handwriting.word_order import shuffle_words, word_groups
from suite.data import ManifestDataset
from suite.manifest import Row


def letter(x0: float, t0: float) -> np.ndarray:
    """A zigzag 0.5 line heights wide, 1 high, drawn in 0.1 s."""
    x = x0 + np.linspace(0.0, 0.5, 9)
    y = np.where(np.arange(9) % 2 == 0, 0.5, -0.5)
    return np.stack([x, y, t0 + np.linspace(0.0, 0.1, 9)], axis=1)


def line(words: list[str], letter_gap: float = 0.1, word_gap: float = 0.8, dot_word: int | None = 0):
    """Strokes of a line, a letter a stroke; optionally a dot over ``dot_word`` written after everything else."""
    strokes, starts, x, t = [], [], 0.0, 0.0
    for w in words:
        starts.append(x)
        for _ in w:
            strokes.append(letter(x, t))
            x, t = x + 0.5 + letter_gap, t + 0.2
        x += word_gap - letter_gap
    if dot_word is not None:
        strokes.append(np.array([[starts[dot_word] + 0.2, -0.9, t], [starts[dot_word] + 0.22, -0.9, t + 0.02]]))
    return strokes


def test_word_groups_follow_the_gaps_and_keep_delayed_strokes_with_their_word():
    strokes = line(["ab", "cde", "f"])
    assert word_groups(strokes, ["ab", "cde", "f"]) == [[0, 1, 6], [2, 3, 4], [5]]


@pytest.mark.parametrize("words, kwargs", [
    (["ab", "cde", "f"], {"word_gap": 0.1}),  # word gaps no wider than letter gaps
    (["abcde", "f"], {}),  # the transcript has fewer words than the ink shows: two equal candidate gaps
    (["ab", "cd", "e", "f"], {}),  # more words than gaps
])
def test_ambiguous_lines_are_not_split(words, kwargs):
    ink_words = ["ab", "cde", "f"]
    assert word_groups(line(ink_words, **kwargs), words) is None


def test_a_line_of_dots_is_not_split():
    dots = [np.array([[x, 0.0, x]]) for x in (0.0, 1.0, 2.0)]
    assert word_groups(dots, ["a", "b", "c"]) is None


def test_a_word_much_narrower_than_its_letters_is_refused():
    # the gaps say three words, but "abcdefgh" would be one letter wide
    assert word_groups(line(["a", "bcdefgh", "i"], dot_word=None), ["abcdefgh", "i", "jklmnop"]) is None


def test_shuffle_moves_each_word_with_its_text_and_keeps_pen_order_and_time():
    words = ["ab", "cde", "f", "ghij"]
    strokes = line(words, dot_word=1)
    seen = set()
    for seed in range(12):
        out, text = shuffle_words(strokes, " ".join(words), random.Random(seed))
        new = text.split()
        assert sorted(new) == sorted(words) and new != words
        seen.add(text)
        groups = word_groups(out, new)
        assert groups is not None
        for w, g in zip(new, groups):
            orig = word_groups(strokes, words)[words.index(w)]
            assert len(g) == len(orig)
            shift = out[g[0]][0, 0] - strokes[orig[0]][0, 0]
            for i, j in zip(g, orig):  # the same strokes, moved sideways only
                np.testing.assert_allclose(out[i][:, :2], strokes[j][:, :2] + [shift, 0.0])
        starts = [s[0, 2] for s in out]
        assert starts == sorted(starts)  # pen order is time order, word after word
        lefts = [min(out[i][:, 0].min() for i in g) for g in groups]
        assert lefts == sorted(lefts) and lefts[0] == pytest.approx(0.0)
    assert len(seen) > 3


def test_untimed_ink_and_unsplittable_lines():
    strokes = [np.concatenate([s[:, :2], np.full((len(s), 1), np.nan)], axis=1) for s in line(["ab", "cd"])]
    out, text = shuffle_words(strokes, "ab cd", random.Random(0))
    assert text == "cd ab" and np.isnan(np.concatenate(out)[:, 2]).all()
    same = line(["ab", "cd"], word_gap=0.1)
    out, text = shuffle_words(same, "ab cd", random.Random(0))
    assert text == "ab cd" and out is same


def test_right_to_left_lines_are_left_as_written():
    strokes = line(["אב", "גדה", "ו"])
    out, text = shuffle_words(strokes, "אב גדה ו", random.Random(0))
    assert text == "אב גדה ו" and out is strokes


def write_line(path, words):
    strokes = [s.tolist() for s in line(words)]
    path.write_text(json.dumps({"strokes": strokes, "text": " ".join(words)}))
    return str(path)


def test_training_loads_return_the_reordered_transcript(tmp_path):
    path = write_line(tmp_path / "a.json", ["ab", "cde", "f"])
    feats = HandwritingFeatures()
    on, off = HandwritingAugment(word_order=1.0), HandwritingAugment()
    x, text = load_sample(path, feats, on, random.Random(0), text="ab cde f")
    assert text != "ab cde f" and sorted(text.split()) == ["ab", "cde", "f"] and x.shape[1] == 4
    assert load_sample(path, feats, off, random.Random(0), text="ab cde f")[1] == "ab cde f"
    assert load_sample(path, feats, None, random.Random(0), text="ab cde f")[1] == "ab cde f"
    clean = load_sample(path, feats, None, random.Random(0))  # evaluation: features only
    assert clean.shape[1] == 4 and 0 < clean.shape[0] <= x.shape[0]

    # the core hands the row's text to the domain's load and encodes what comes back
    ds = ManifestDataset([Row("a", path, "ab cde f")], DOMAIN, feats, on, encode_target=lambda t: t)
    texts = set()
    for epoch in range(6):
        ds.epoch = epoch
        _, _, target = ds[0]
        texts.add(target)
    assert len(texts) > 1 and all(sorted(t.split()) == ["ab", "cde", "f"] for t in texts)


def test_splice_joins_first_words_of_one_line_to_last_words_of_another():
    from handwriting.splice import splice_lines
    from handwriting.word_order import split_line

    first = split_line(line(["ab", "cde", "f"], dot_word=1), "ab cde f")
    second = split_line(line(["gh", "ij", "klm"], word_gap=1.2), "gh ij klm")
    seen = set()
    for seed in range(20):
        out, text = splice_lines(first, second, random.Random(seed))
        words = text.split()
        head = [w for w in words if w in ("ab", "cde", "f")]
        tail = words[len(head):]
        assert head == ["ab", "cde", "f"][:len(head)] and 1 <= len(head) <= 2
        assert tail == ["gh", "ij", "klm"][3 - len(tail):] and 1 <= len(tail) <= 2
        seen.add(text)
        groups = word_groups(out, words)
        assert groups is not None  # the joined ink shows its words where the text says
        starts = [s[0, 2] for s in out if len(s) > 2]
        assert starts == sorted(starts)  # the second line's words come later in time
        gap = min(out[k][:, 0].min() for k in groups[len(head)]) - max(out[k][:, 0].max() for k in groups[len(head) - 1])
        assert gap == pytest.approx(0.8)  # the first line's own word gap
    assert len(seen) == 4
    assert split_line(line(["ab", "cd"], word_gap=0.1), "ab cd") is None
    assert split_line(line(["אב", "גד"]), "אב גד") is None


def test_training_splices_lines_of_the_same_writer_only(tmp_path):
    feats, on = HandwritingFeatures(), HandwritingAugment(splice=1.0)
    rows = [Row("a", write_line(tmp_path / "a.json", ["ab", "cde", "f"]), "ab cde f", extra={"writer": "w1"}),
            Row("b", write_line(tmp_path / "b.json", ["gh", "ij"]), "gh ij", extra={"writer": "w1"}),
            Row("c", write_line(tmp_path / "c.json", ["xy", "zz"]), "xy zz", extra={"writer": "w2"})]
    ds = ManifestDataset(rows, DOMAIN, feats, on, encode_target=lambda t: t)
    texts = set()
    for epoch in range(8):
        ds.epoch = epoch
        texts.add(ds[0][2])
        assert ds[2][2] == "xy zz"  # w2 has no other line
    assert texts and all(t.split()[-1] in ("ij",) or t.split()[-2:] == ["gh", "ij"] for t in texts)
    assert not any("xy" in t or "zz" in t for t in texts)
    # evaluation (no augment) never joins lines
    ds_eval = ManifestDataset(rows, DOMAIN, feats, None, encode_target=lambda t: t)
    assert ds_eval.partners is None and ds_eval[0][2] == "ab cde f"


def test_word_gaps_scale_the_gaps_between_words_only():
    from handwriting.word_gaps import scale_word_gaps
    from handwriting.word_order import split_line

    words = ["ab", "cde", "f"]
    split = split_line(line(words, dot_word=1), "ab cde f")
    for factor, gap in [(0.25, 0.2), (2.0, 1.6)]:  # the line's word gaps are 0.8, its letter gaps 0.1
        out = scale_word_gaps(split, factor)
        groups = [g for _, _, g in split.spans]
        assert groups == [[0, 1], [2, 3, 4, 6], [5]]  # the dot over "cde" moves with it
        spans = [(min(out[i][:, 0].min() for i in g), max(out[i][:, 0].max() for i in g)) for g in groups]
        assert [b[0] - a[1] for a, b in zip(spans, spans[1:])] == pytest.approx([gap, gap])
        for g in groups:  # each word moved as a whole, sideways only
            shift = out[g[0]][0, 0] - split.strokes[g[0]][0, 0]
            for i in g:
                np.testing.assert_allclose(out[i], split.strokes[i] + [shift, 0.0, 0.0])


def test_word_gaps_in_training_and_their_config_check(tmp_path):
    from pydantic import ValidationError

    path = write_line(tmp_path / "a.json", ["ab", "cde", "f"])
    feats, plain = HandwritingFeatures(), HandwritingAugment(prob=0.0, jitter=0.0, point_dropout=0.0)
    narrow = plain.model_copy(update={"word_gaps": (0.2, 0.2)})
    x0, t0 = load_sample(path, feats, plain, random.Random(0), text="ab cde f")
    x1, t1 = load_sample(path, feats, narrow, random.Random(0), text="ab cde f")
    assert t0 == t1 == "ab cde f"
    pen_up_jumps = lambda x: sorted(x[x[:, 3] == 1, 0].tolist())[-2:]  # the two widest moves: the word gaps
    assert all(n < w for n, w in zip(pen_up_jumps(x1), pen_up_jumps(x0)))
    with pytest.raises(ValidationError, match="word_gaps"):
        HandwritingAugment(word_gaps=(1.2, 0.8))
