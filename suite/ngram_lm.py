"""Character and word n-gram language models (interpolated Kneser-Ney) written as ARPA files.

Flashlight's beam search (through KenLM) reads ARPA files. KenLM's `lmplz` builds them but is not
installable from the package registry, so this module estimates the small models beam search needs:

- character LMs for lexicon-free search, which scores every emitted character with an LM over the model's
  own tokens. Tokens follow `suite.decoding.BeamDecoder`: a space is the word separator ``|``, a literal
  ``|`` is ``<pipe>``;
- word LMs for search over a word list (``--lexicon``), which scores every finished word.

Sentences are wrapped in ``<s>`` ... ``</s>``.
"""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from .errors import SuiteError
from .io import atomic_write_text

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


def char_tokens(text: str) -> list[str]:
    """LM tokens of one line of text (runs of spaces are one word separator)."""
    return ["|" if c == " " else ("<pipe>" if c == "|" else c) for c in " ".join(text.split())]


def word_tokens(text: str) -> list[str]:
    """LM tokens of one line of text for a word LM: its words."""
    return text.split()


UNITS = {"char": char_tokens, "word": word_tokens}
DEFAULT_ORDER = {"char": 6, "word": 3}


def _discount(counts: Counter) -> float:
    """Ney's absolute discount D = n1 / (n1 + 2 n2), kept inside (0.05, 0.95)."""
    n1 = sum(1 for c in counts.values() if c == 1)
    n2 = sum(1 for c in counts.values() if c == 2)
    d = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
    return min(max(d, 0.05), 0.95)


class NgramLM:
    """Interpolated Kneser-Ney estimates: ``prob[n][gram] = p(gram[-1] | gram[:-1])`` for every seen n-gram
    and ``backoff[h]`` = the interpolation weight of history ``h`` (its ARPA back-off weight)."""

    def __init__(self, sentences: Iterable[Sequence[str]], order: int = 6):
        if not 1 <= order <= 10:
            raise SuiteError(f"n-gram order must be between 1 and 10, got {order}")
        self.order = order
        raw: list[Counter] = [Counter() for _ in range(order + 1)]
        n_sent = 0
        for toks in sentences:
            seq = [BOS, *toks, EOS]
            n_sent += 1
            for n in range(1, order + 1):
                for i in range(len(seq) - n + 1):
                    gram = tuple(seq[i:i + n])
                    if gram != (BOS,):
                        raw[n][gram] += 1
        if not n_sent:
            raise SuiteError("no text to build a language model from")
        # lower orders count distinct left contexts (continuation counts), except n-grams that start a
        # sentence, which have no left context
        counts: list[Counter] = [Counter() for _ in range(order + 1)]
        counts[order] = raw[order]
        for n in range(order - 1, 0, -1):
            for gram in raw[n + 1]:
                counts[n][gram[1:]] += 1
            for gram, c in raw[n].items():
                if gram[0] == BOS:
                    counts[n][gram] = c
        self.vocab = sorted({g[0] for g in counts[1]} - {BOS})
        self._known = set(self.vocab)
        self.prob: list[dict[tuple, float]] = [{} for _ in range(order + 1)]
        self.backoff: dict[tuple, float] = {}
        uniform = 1.0 / (len(self.vocab) + 1)  # + <unk>
        for n in range(1, order + 1):
            d = _discount(counts[n])
            total, types = defaultdict(int), defaultdict(int)
            for gram, c in counts[n].items():
                total[gram[:-1]] += c
                types[gram[:-1]] += 1
            gamma = {h: d * types[h] / total[h] for h in total}
            for gram, c in counts[n].items():
                h = gram[:-1]
                lower = uniform if n == 1 else self.prob[n - 1].get(gram[1:]) or self._backed_off(gram[1:])
                self.prob[n][gram] = max(c - d, 0.0) / total[h] + gamma[h] * lower
            if n == 1:
                self.prob[1][(UNK,)] = gamma[()] * uniform
            else:
                self.backoff.update(gamma)

    def _backed_off(self, gram: tuple) -> float:
        """p(gram[-1] | gram[:-1]) through back-off, for n-grams not stored themselves."""
        p = 1.0
        while gram not in self.prob[len(gram)]:
            p *= self.backoff.get(gram[:-1], 1.0)
            gram = gram[1:]
            if not gram:
                return p * self.prob[1][(UNK,)]
        return p * self.prob[len(gram)][gram]

    def logprob(self, history: Sequence[str], token: str) -> float:
        """Natural log of p(token | history) as a reader of the ARPA file computes it."""
        gram = tuple(history[-(self.order - 1):] if self.order > 1 else ()) + (token,)
        if token not in self._known and token != EOS:
            gram = gram[:-1] + (UNK,)
        return math.log(self._backed_off(gram))

    def arpa(self) -> str:
        lines = ["\\data\\"]
        sizes = [len(self.prob[1]) + 1] + [len(self.prob[n]) for n in range(2, self.order + 1)]
        lines += [f"ngram {n}={k}" for n, k in enumerate(sizes, 1)]
        for n in range(1, self.order + 1):
            lines += ["", f"\\{n}-grams:"]
            entries = sorted(self.prob[n].items())
            if n == 1:
                entries = [((BOS,), None), *entries]
            for gram, p in entries:
                logp = -99.0 if p is None else math.log10(p)
                row = f"{logp:.6f}\t{' '.join(gram)}"
                if n < self.order and gram in self.backoff:
                    row += f"\t{math.log10(self.backoff[gram]):.6f}"
                lines.append(row)
        lines += ["", "\\end\\", ""]
        return "\n".join(lines)


def read_texts(paths: Sequence[str], field: str = "text") -> list[str]:
    """Lines of text from JSONL manifests (their ``field``) or plain text files (one sentence per line)."""
    texts = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise SuiteError("file not found", p)
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise SuiteError("not UTF-8 text", p) from None
        jsonl = p.suffix.lower() in (".jsonl", ".json")
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            if jsonl:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    raise SuiteError(f"line {n}: not valid JSON", p) from None
                value = obj.get(field) if isinstance(obj, dict) else None
                if not isinstance(value, str):
                    raise SuiteError(f"line {n}: no '{field}' text", p)
                line = value
            texts.append(line)
    if not texts:
        raise SuiteError("no text found", paths[0] if paths else "")
    return texts


CharNgramLM = NgramLM  # the class is the same for characters and words; the tokens differ


def build_lm(paths: Sequence[str], out: str, *, unit: str = "char", order: int | None = None, field: str = "text",
             lowercase: bool = False, words_out: str | None = None) -> dict:
    """Estimate an n-gram LM over ``unit`` tokens (``char`` or ``word``) from the texts in ``paths`` and write
    it as ARPA to ``out``; ``words_out`` also gets the training words, one per line (a ``--lexicon``)."""
    if unit not in UNITS:
        raise SuiteError(f"unknown LM unit {unit!r} (choose from {', '.join(UNITS)})")
    order = order or DEFAULT_ORDER[unit]
    texts = read_texts(paths, field)
    if lowercase:
        texts = [t.lower() for t in texts]
    lm = NgramLM((UNITS[unit](t) for t in texts), order)
    atomic_write_text(out, lm.arpa())
    info = {"out": str(out), "unit": unit, "order": order, "sentences": len(texts), "tokens": len(lm.vocab),
            "ngrams": [len(lm.prob[n]) for n in range(1, order + 1)]}
    if words_out:
        words = sorted({w for t in texts for w in t.split()})
        atomic_write_text(words_out, "".join(w + "\n" for w in words))
        info.update(words_out=str(words_out), words=len(words))
    return info


def build_char_lm(paths: Sequence[str], out: str, order: int = 6, field: str = "text", lowercase: bool = False) -> dict:
    """Estimate a character n-gram LM from the texts in ``paths`` and write it as ARPA to ``out``."""
    return build_lm(paths, out, unit="char", order=order, field=field, lowercase=lowercase)


def build_word_lm(paths: Sequence[str], out: str, order: int = 3, field: str = "text", lowercase: bool = False,
                  words_out: str | None = None) -> dict:
    """Estimate a word n-gram LM from the texts in ``paths`` and write it as ARPA to ``out``."""
    return build_lm(paths, out, unit="word", order=order, field=field, lowercase=lowercase, words_out=words_out)
