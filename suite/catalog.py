"""`suite models`: what each model knows (its domain, vocabulary or labels, a description) and its scores."""
from __future__ import annotations

from pathlib import Path

from .errors import SuiteError


def describe(name_or_path: str) -> dict:
    """One model's card: name, path, domain, task, what its outputs are, description, scores, verdict."""
    from .inference import read_bundle, resolve_model
    from .registry import get_domain
    from .tasks import config_task

    path = resolve_model(name_or_path)
    bundle = read_bundle(path)
    domain = get_domain(bundle["config"]["task"], source=str(path))
    task = config_task(domain, bundle["config"].get("objective"), str(path))
    targets = task.load_targets(domain, bundle["targets"])
    info = bundle.get("info") or {}
    metrics = bundle.get("metrics") or {}
    scores = info.get("scores") or {k.removeprefix("val/"): round(v, 4) for k, v in metrics.items()
                                    if k.startswith("val/") and k not in ("val/loss", "val/error", "val/null_error")}
    card = {"name": name_or_path if not Path(name_or_path).exists() else Path(path).name, "path": str(path),
            "domain": domain.name, "task": task.name, "outputs": targets.describe(),
            "description": info.get("description") or f"{domain.name} model ({task.name}): {targets.describe()}",
            "scores": scores}
    if metrics.get("verdict"):
        card["verdict"] = metrics["verdict"]
    return card


def list_models(extra: list[str]) -> list[dict]:
    from .registry import bundled_models

    names = list(bundled_models()) + list(extra)
    cards = []
    for name in names:
        try:
            cards.append(describe(name))
        except SuiteError as err:
            cards.append({"name": name, "error": str(err)})
    return cards


def format_card(card: dict) -> str:
    if "error" in card:
        return f"{card['name']}\terror: {card['error']}"
    scores = ", ".join(f"{k} {v}" for k, v in card["scores"].items())
    lines = [f"{card['name']}\t{card['domain']} ({card['task']}, {card['outputs']})", f"  {card['description']}"]
    if scores:
        lines.append(f"  scores: {scores}")
    if card.get("verdict"):
        lines.append(f"  WARNING: learned nothing in training: {card['verdict']}")
    return "\n".join(lines)
