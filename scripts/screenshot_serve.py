"""Screenshot of the `suite serve` page for the README: starts the server on loopback, opens the page in
headless Chromium (Debian's), writes a line of ink on the canvas, transcribes a WAV and labels a clip.

    .venv/bin/python scripts/screenshot_serve.py [--out docs/serve.png]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def draw_ink(page, strokes: list, margin: float = 0.08, min_px: float = 3.0) -> None:
    """Replay JSON-ink strokes onto the canvas with mouse events, scaled to fit it."""
    box = page.locator("[data-testid=ink-canvas]").bounding_box()
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    scale = min(box["width"] * (1 - 2 * margin) / (max(xs) - min(xs)), box["height"] * (1 - 2 * margin) / (max(ys) - min(ys)))
    x0 = box["x"] + box["width"] * margin - min(xs) * scale
    y0 = box["y"] + box["height"] * margin - min(ys) * scale
    for stroke in strokes:
        pts = [(x0 + p[0] * scale, y0 + p[1] * scale) for p in stroke]
        page.mouse.move(*pts[0])
        page.mouse.down()
        last = pts[0]
        for i, pt in enumerate(pts[1:], 1):
            if math.dist(pt, last) >= min_px or i == len(pts) - 1:
                page.mouse.move(*pt)
                last = pt
        page.mouse.up()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "serve.png"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("error: no chromium on PATH (apt-get install chromium)")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "suite.cli", "serve", "--port", str(port), "--log-level", "warning"],
                              cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(url + "/")
            page.wait_for_selector("[data-testid=ink-canvas]")
            draw_ink(page, json.loads((EX / "handwriting" / "line1.json").read_text())["strokes"])
            page.set_input_files("[data-testid=speech-file]", str(EX / "speech" / "theo_3-1-4-1-5.wav"))
            page.set_input_files("[data-testid=video-file]", str(EX / "video" / "sequence.mp4"))
            page.wait_for_selector("[data-testid=video-topk] table", timeout=120000)
            page.wait_for_function("document.querySelector('[data-testid=speech-text]').textContent.length > 0")
            page.wait_for_function("document.querySelector('[data-testid=ink-text]').textContent.length > 0")
            time.sleep(1.5)  # the last debounced ink request
            page.evaluate("document.querySelectorAll('video').forEach(v => v.hidden = true)")  # a black box only
            page.screenshot(path=args.out, full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    try:  # fewer colours: the page is flat, a 256-colour PNG looks the same at a fraction of the size
        from PIL import Image

        Image.open(args.out).convert("RGB").quantize(colors=128).save(args.out, optimize=True)
    except ImportError:
        pass
    print(f"{args.out} ({Path(args.out).stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
