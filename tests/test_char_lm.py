"""Character and word n-gram LMs: proper distributions, ARPA that KenLM (flashlight) reads back with the same
scores, and a word LM that steers beam search over a word list."""
from __future__ import annotations

import math

import pytest
from flashlight.lib.text.decoder.kenlm import KenLM as kenlm  # flashlight-text is a declared dependency
from flashlight.lib.text.dictionary import create_word_dict

from suite.ngram_lm import EOS, UNK, CharNgramLM, NgramLM, build_char_lm, build_word_lm, char_tokens, word_tokens
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
    assert main(["lm-build", str(txt), "--unit", "word", "--out", str(tmp_path / "w.arpa")]) == 0
    out = capsys.readouterr().out
    assert "3-gram word LM from 5 lines" in out and "--lexicon" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"audio": "a.wav"}\n')
    with pytest.raises(SuiteError, match="no 'text' text"):
        build_char_lm([str(bad)], str(tmp_path / "x.arpa"))
    assert not (tmp_path / "x.arpa").exists()
    assert main(["lm-build", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "y.arpa")]) != 0
    assert "missing.txt: file not found" in capsys.readouterr().err


# ---------------------------------------------------------------- word LM
WORD_TEXTS = ["the cat sat on the mat", "the cat sat", "a cat sat on a hat", "the dog sat on the mat",
              "a hat on the cat", "the cat ate"]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_word_probabilities_sum_to_one(order):
    lm = NgramLM((word_tokens(t) for t in WORD_TEXTS), order)
    assert {"the", "cat", EOS} <= set(lm.vocab) and "<s>" not in lm.vocab
    outcomes = [*lm.vocab, UNK]
    for history in ([], ["<s>"], ["<s>", "the"], ["the", "cat"], ["cat", "sat"], ["zebra"], ["on", "zebra"],
                    ["dog", "ate"]):
        total = sum(math.exp(lm.logprob(history, w)) for w in outcomes)
        assert total == pytest.approx(1.0, abs=1e-9), history
    if order > 1:  # context matters: "sat" after "cat" far more likely than after "on"
        assert lm.logprob(["the", "cat"], "sat") > lm.logprob(["sat", "on"], "sat") + 1


def _arpa_sections(text: str) -> dict[int, list[list[str]]]:
    sections, n = {}, None
    for line in text.splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            n = int(line[1:line.index("-")])
            sections[n] = []
        elif n and line.strip() and not line.startswith("\\"):
            sections[n].append(line.split("\t"))
    return sections


def test_word_arpa_has_backoffs_and_kenlm_agrees(tmp_path):
    src = tmp_path / "train.jsonl"
    src.write_text("".join(f'{{"text": "{t}"}}\n' for t in WORD_TEXTS))
    arpa, words = tmp_path / "w.arpa", tmp_path / "words.txt"
    info = build_word_lm([str(src)], str(arpa), order=3, words_out=str(words))
    assert info["unit"] == "word" and info["words"] == 9
    assert words.read_text().split() == sorted({w for t in WORD_TEXTS for w in t.split()})
    sections = _arpa_sections(arpa.read_text())
    assert sorted(sections) == [1, 2, 3]
    uni = {row[1]: row for row in sections[1]}
    assert {"<s>", "</s>", UNK, "cat"} <= set(uni)
    # back-off weights: on the histories of higher orders (unigrams, bigrams), never on the top order
    assert len(uni["the"]) == 3 and len(uni["<s>"]) == 3
    assert any(len(r) == 3 and r[1] == "the cat" for r in sections[2])
    assert all(len(r) == 2 for r in sections[3])
    lm = NgramLM((word_tokens(t) for t in WORD_TEXTS), 3)
    vocab = [*lm.vocab, UNK, "zebra"]
    wdict = create_word_dict({w: [[w]] for w in vocab})
    ken = kenlm(str(arpa), wdict)
    state, history = ken.start(0), ["<s>"]
    for w in ["the", "cat", "sat", "on", "zebra", "mat", EOS]:
        state, score = ken.score(state, wdict.get_index(w)) if w != EOS else ken.finish(state)
        assert score == pytest.approx(lm.logprob(history, w) / math.log(10), abs=1e-4), w
        history.append(w)


def _emissions(frames: list[dict[str, float]], vocab: list[str]):
    """Log-probs [1, T, V+1] from per-frame {symbol: probability} (the rest spread evenly; "_" is blank)."""
    import torch

    out = torch.empty(1, len(frames), len(vocab) + 1)
    for t, probs in enumerate(frames):
        rest = (1.0 - sum(probs.values())) / (len(vocab) + 1 - len(probs))
        row = [probs.get("_", rest)] + [probs.get(c, rest) for c in vocab]
        out[0, t] = torch.tensor(row).log()
    return out, torch.tensor([len(frames)])


def test_word_lm_and_word_list_beat_greedy_in_beam_search(tmp_path):
    from suite.decoding import BeamDecoder, greedy_decode
    from suite.metrics import wer

    vocab = [" ", *"acdehmnost"]
    txt = tmp_path / "lines.txt"
    txt.write_text("\n".join(WORD_TEXTS) + "\n")
    arpa, words = tmp_path / "w.arpa", tmp_path / "words.txt"
    assert main(["lm-build", str(txt), "--unit", "word", "--out", str(arpa), "--words", str(words)]) == 0
    # "the cat sat": the acoustics lean to "hat" (h 0.46 vs c 0.44) and misspell "sat" as "set"
    spelled = [{"t": .9}, {"h": .9}, {"e": .9}, {" ": .9}, {"h": .46, "c": .44}, {"a": .9}, {"t": .9}, {" ": .9},
               {"s": .9}, {"e": .5, "a": .4}, {"t": .9}]
    frames = [f for s in spelled for f in (s, {"_": .9})]
    lp, n = _emissions(frames, vocab)
    greedy = greedy_decode(lp, n, vocab)[0].text
    assert greedy == "the hat set"
    list_only = BeamDecoder(vocab, beam_size=32, lexicon=str(words))(lp, n)[0].text
    with_lm = BeamDecoder(vocab, beam_size=32, lexicon=str(words), lm=str(arpa), lm_weight=1.0)(lp, n)[0].text
    assert list_only == "the hat sat"  # the word list repairs the spelling only
    assert with_lm == "the cat sat"  # the word LM knows cats sit
    ref = ["the cat sat"]
    assert wer(ref, [with_lm]) == 0 < wer(ref, [list_only]) < wer(ref, [greedy])


def test_word_list_search_for_a_model_without_word_separator(tmp_path):
    """A model trained on single words has no " " token: its lexicon words must end without one."""
    from suite.decoding import BeamDecoder

    vocab = list("abc")
    words = tmp_path / "words.txt"
    words.write_text("ab\ncab\n")
    frames = [f for s in ({"c": .9}, {"a": .5, "b": .4}, {"b": .9}) for f in (s, {"_": .9})]
    lp, n = _emissions(frames, vocab)
    assert BeamDecoder(vocab, beam_size=16, lexicon=str(words))(lp, n)[0].text == "cab"


def test_word_score_is_a_word_bonus_without_a_word_list():
    """Lexicon-free search: flashlight adds word_score only with a word list, so the suite passes it as the
    separator's score; a word bonus then keeps a doubtful separator that the acoustics alone would drop."""
    from suite.decoding import BeamDecoder

    vocab = [" ", *"ab"]
    frames = [{"a": .9}, {"_": .55, " ": .4}, {"b": .9}]
    lp, n = _emissions(frames, vocab)
    assert BeamDecoder(vocab, beam_size=8)(lp, n)[0].text == "ab"
    assert BeamDecoder(vocab, beam_size=8, word_score=1.0)(lp, n)[0].text == "a b"
    assert BeamDecoder(vocab, beam_size=8, word_score=-1.0)(lp, n)[0].text == "ab"
