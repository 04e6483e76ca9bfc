"""Character n-gram LM: a proper distribution, ARPA that KenLM (flashlight) reads back with the same scores."""
from __future__ import annotations

import math

import pytest

from suite.char_lm import EOS, UNK, CharNgramLM, build_char_lm, char_tokens
from suite.cli import main
from suite.errors import SuiteError

TEXTS = ["the cat sat on the mat", "a cat and a hat", "that hat is the best", "the | pipe", "cats sat"]


@pytest.mark.parametrize("order", [1, 2, 4])
def test_probabilities_sum_to_one(order):
    lm = CharNgramLM((char_tokens(t) for t in TEXTS), order)
    outcomes = [*lm.vocab, UNK]
    for history in ([], ["<s>"], list("the|c"), list("zzz"), ["<s>", "a", "|"], list("hat|i")):
        total = sum(math.exp(lm.logprob(history, w)) for w in outcomes)
        assert total == pytest.approx(1.0, abs=1e-9), history
    assert EOS in lm.vocab and "<pipe>" in lm.vocab and " " not in lm.vocab


def test_arpa_scores_match_in_kenlm(tmp_path):
    kenlm = pytest.importorskip("flashlight.lib.text.decoder.kenlm").KenLM
    from flashlight.lib.text.dictionary import create_word_dict

    src = tmp_path / "train.jsonl"
    src.write_text("".join(f'{{"text": "{t}"}}\n' for t in TEXTS))
    arpa = tmp_path / "lm.arpa"
    info = build_char_lm([str(src)], str(arpa), order=3)
    assert info["sentences"] == len(TEXTS) and arpa.read_text().startswith("\\data\\")
    lm = CharNgramLM((char_tokens(t) for t in TEXTS), 3)
    tokens = ["|", *"abcdefghijklmnopqrstuvwxyz", UNK]
    words = create_word_dict({t: [[t]] for t in tokens})
    ken = kenlm(str(arpa), words)
    state, history = ken.start(0), ["<s>"]
    for tok in char_tokens("the hat q"):
        state, score = ken.score(state, words.get_index(tok))
        assert score == pytest.approx(lm.logprob(history, tok) / math.log(10), abs=1e-4)
        history.append(tok)


def test_cli_builds_and_rejects_bad_input(tmp_path, capsys):
    txt = tmp_path / "lines.txt"
    txt.write_text("\n".join(TEXTS) + "\n")
    assert main(["lm-build", str(txt), "--out", str(tmp_path / "c.arpa"), "--order", "4"]) == 0
    assert "4-gram character LM from 5 lines" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"audio": "a.wav"}\n')
    with pytest.raises(SuiteError, match="no 'text' text"):
        build_char_lm([str(bad)], str(tmp_path / "x.arpa"))
    assert not (tmp_path / "x.arpa").exists()
    assert main(["lm-build", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "y.arpa")]) != 0
    assert "missing.txt: file not found" in capsys.readouterr().err
