"""A domain's inference options over HTTP, read from its own CLI command (so no domain is named here).

Exposed: flags, numbers and choices. Not exposed: free-text options, because on the command line those
are paths on the machine (``--plot PNG``, ``--lm``, ``--lexicon``) and no request may name a server path;
nor the options about files, devices and batching, which the server decides.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from typing import Any

from ..cli_tools import add_decode_options

HIDDEN = {"help", "files", "model", "json", "batch_size", "device"}
INT_RANGE = (1, 64)  # top-k, clips, beam size: enough for any use, small enough to bound the work
FLOAT_LIMIT = 3600.0


@dataclass
class Option:
    name: str
    type: str  # "bool" | "int" | "float" | "choice"
    default: Any
    help: str = ""
    choices: list[str] = field(default_factory=list)
    decode: bool = False  # a decoding setting (a variant of the loaded model) rather than a predict option

    def schema(self) -> dict:
        """OpenAPI schema of the form field."""
        out: dict = {"description": self.help}
        if self.type == "bool":
            out.update(type="boolean", default=bool(self.default))
        elif self.type == "int":
            out.update(type="integer", minimum=INT_RANGE[0], maximum=INT_RANGE[1])
        elif self.type == "float":
            out.update(type="number", minimum=-FLOAT_LIMIT, maximum=FLOAT_LIMIT)
        else:
            out.update(type="string", enum=self.choices)
        if self.default is not None and self.type != "bool":
            out["default"] = self.default
        return out

    def parse(self, raw: str) -> Any:
        """The typed value of a form/query string; ValueError naming the problem."""
        raw = raw.strip()
        if self.type == "bool":
            low = raw.lower()
            if low in ("1", "true", "yes", "on", ""):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"option '{self.name}' must be true or false, got {raw[:40]!r}")
        if self.type == "choice":
            if raw not in self.choices:
                raise ValueError(f"option '{self.name}' must be one of {', '.join(self.choices)}, got {raw[:40]!r}")
            return raw
        try:
            value = int(raw) if self.type == "int" else float(raw)
        except ValueError:
            raise ValueError(f"option '{self.name}' must be a{'n integer' if self.type == 'int' else ' number'}, "
                             f"got {raw[:40]!r}") from None
        lo, hi = INT_RANGE if self.type == "int" else (-FLOAT_LIMIT, FLOAT_LIMIT)
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(f"option '{self.name}' must be between {lo:g} and {hi:g}, got {raw[:40]!r}")
        return value


def _kind(action: argparse.Action) -> str | None:
    if isinstance(action, argparse._StoreTrueAction):  # noqa: SLF001 - argparse has no public accessor
        return "bool"
    if type(action) is not argparse._StoreAction or action.nargs not in (None, "?"):  # noqa: SLF001
        return None
    if action.choices:
        return "choice"
    if action.type in (int, float):
        return action.type.__name__
    return None  # free text: a path on the command line, never exposed


def command_options(add_commands, command: str) -> list[Option]:
    """The HTTP-safe options of the CLI command ``command`` that ``add_commands(subparsers)`` defines."""
    root = argparse.ArgumentParser(add_help=False)
    sub = root.add_subparsers()
    kinds = sub.add_parser("synth").add_subparsers()  # the `suite synth KIND` group domains add to
    add_commands(sub, kinds)
    parser = sub.choices.get(command)
    if parser is None:
        return []
    probe = argparse.ArgumentParser(add_help=False)
    add_decode_options(probe)
    decode_names = {a.dest for a in probe._actions}  # noqa: SLF001
    out = []
    for action in parser._actions:  # noqa: SLF001
        kind = _kind(action)
        if kind is None or action.dest in HIDDEN or not action.option_strings:
            continue
        out.append(Option(action.dest, kind, action.default, (action.help or "").replace("%%", "%"),
                          [str(c) for c in action.choices or []], decode=action.dest in decode_names))
    return out


def parse_options(options: list[Option], values: dict[str, str]) -> tuple[dict, dict]:
    """(decode overrides, predict options) from the request's fields; ValueError for unknown or bad ones."""
    known = {o.name: o for o in options}
    decode, predict = {}, {}
    for name, raw in values.items():
        opt = known.get(name.replace("-", "_"))
        if opt is None:
            raise ValueError(f"unknown option '{name[:40]}' (known: {', '.join(sorted(known)) or 'none'})")
        (decode if opt.decode else predict)[opt.name] = opt.parse(raw)
    return decode, predict
