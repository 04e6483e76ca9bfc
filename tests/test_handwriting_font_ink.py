"""augment.font_ink: a line's transcript written in a single-stroke font replaces its ink, text unchanged."""
import random

import numpy as np
import pytest
from pydantic import ValidationError

from handwriting.config import HandwritingAugment, HandwritingFeatures
from handwriting.features import ink_features_and_text, normalize_ink
from handwriting.font_ink import FONTS, font_line
from handwriting.ink import make_stroke
from handwriting.word_order import split_line


def test_every_font_writes_the_line_left_to_right_one_letter_after_another():
    text = "Allen, 4210 Greensburg Road"
    for font in FONTS:
        strokes = font_line(text, random.Random(0), fonts=(font,))
        assert strokes is not None, font
        assert all(s.ndim == 2 and s.shape[1] == 2 and len(s) >= 1 for s in strokes)
        starts = [s[:, 0].min() for s in strokes]
        width = max(s[:, 0].max() for s in strokes) - min(starts)
        height = max(s[:, 1].max() for s in strokes) - min(s[:, 1].min() for s in strokes)
        assert width > 8 * height, font  # 27 characters on one line, not stacked
        assert starts[-1] > starts[0] + 0.8 * width, font


def test_script_letters_join_into_fewer_strokes_than_print():
    text = "minimum"
    rng = random.Random(3)
    script = np.mean([len(font_line(text, rng, fonts=("scripts",))) for _ in range(10)])
    assert script < len(text)  # joined letters: one pen-down for several of them
    assert len(font_line(text, rng, fonts=("futural",))) >= len(text) - 1


def test_lines_a_font_cannot_write_are_refused():
    assert font_line("prix 5 €", random.Random(0)) is None
    assert font_line("   ", random.Random(0)) is None


def test_each_drawing_differs():
    a, b = (np.concatenate(font_line("the same words", random.Random(seed), fonts=("cursive",))) for seed in (1, 2))
    assert a.shape != b.shape or not np.allclose(a, b)


def test_font_lines_show_their_words_apart_for_word_order():
    text = "insurance company states that one of"
    found = sum(split_line(normalize_ink([make_stroke(s) for s in font_line(text, random.Random(k))]), text)
                is not None for k in range(20))
    assert found >= 15


def test_training_features_come_from_the_font_and_keep_the_transcript():
    cfg = HandwritingFeatures()
    real = [np.stack([np.linspace(0, 3, 40), np.sin(np.linspace(0, 20, 40)), np.full(40, np.nan)], 1)]
    plain = HandwritingAugment(prob=0.0, jitter=0.0, point_dropout=0.0)  # deterministic
    base, text = ink_features_and_text(real, "hello", cfg, plain, random.Random(0))
    feats, text2 = ink_features_and_text(real, "hello", cfg, plain.model_copy(update={"font_ink": 1.0}),
                                         random.Random(0))
    assert text == text2 == "hello"
    assert feats.shape[1] == base.shape[1] and not (feats.shape == base.shape and np.allclose(feats, base))
    # a character no font has: the real ink is kept
    kept, _ = ink_features_and_text(real, "h€llo", cfg, plain.model_copy(update={"font_ink": 1.0}), random.Random(0))
    assert np.allclose(kept, ink_features_and_text(real, "h€llo", cfg, plain, random.Random(0))[0])


def test_font_ink_is_a_probability():
    with pytest.raises(ValidationError, match="font_ink"):
        HandwritingAugment(font_ink=1.5)
