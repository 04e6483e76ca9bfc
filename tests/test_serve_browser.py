"""The `suite serve` page in a real browser (Playwright driving Debian's Chromium): ink written on the
canvas with mouse events is read, an uploaded WAV and a microphone recording are transcribed, a clip is
labelled with its timeline drawn."""
from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
WAV = EX / "speech" / "an4" / "an417-fjlp-b.wav"  # the default speech model is speech-en (AN4)
INK = EX / "handwriting" / "line1.json"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _skip(reason: str):
    print(f"\nSKIP browser tests: {reason}", file=sys.stderr)
    pytest.skip(reason, allow_module_level=True)


try:
    from playwright.sync_api import sync_playwright
except ImportError:
    _skip("playwright is not installed (pip install playwright; it is in the 'dev' extra)")
if CHROMIUM is None:
    _skip("no chromium on PATH (apt-get install chromium; .ci/run does it)")

import httpx  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "suite.cli", "serve", "--port", str(port), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            if proc.poll() is not None:
                pytest.fail("suite serve exited: " + proc.stdout.read())
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu-vsync", "--disable-frame-rate-limit", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={WAV}"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_selector("[data-testid=ink-canvas]")
    yield page
    context.close()
    assert errors == [], errors  # no JavaScript error on the page


def api_text(server: str, command: str, path: Path) -> str:
    """What the API answers for the file itself (tests/test_serve_api.py checks it equals `suite COMMAND`)."""
    return httpx.post(f"{server}/v1/{command}", files={"file": (path.name, path.read_bytes())}, timeout=60).json()["text"]


def draw_ink(page, strokes: list, margin: float = 0.08, min_px: float = 4.0) -> None:
    """Replay JSON-ink strokes onto the canvas with mouse events, scaled to fit it."""
    box = page.locator("[data-testid=ink-canvas]").bounding_box()
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    scale = min(box["width"] * (1 - 2 * margin) / (max(xs) - min(xs) or 1),
                box["height"] * (1 - 2 * margin) / (max(ys) - min(ys) or 1))
    x0 = box["x"] + box["width"] * margin - min(xs) * scale
    y0 = box["y"] + box["height"] * margin - min(ys) * scale
    for stroke in strokes:
        pts = [(x0 + p[0] * scale, y0 + p[1] * scale) for p in stroke]
        page.mouse.move(*pts[0])
        page.mouse.down()
        last = pts[0]
        for i, (x, y) in enumerate(pts[1:], 1):
            # a real mouse reports every few pixels; each move is a browser round trip, so skip closer ones
            if math.dist((x, y), last) >= min_px or i == len(pts) - 1:
                page.mouse.move(x, y)
                last = (x, y)
        page.mouse.up()


def settled_text(page, selector: str, timeout: float = 30.0) -> str:
    """The element's text once it has stopped changing and no request is pending."""
    deadline = time.time() + timeout
    last, stable_since = None, time.time()
    while time.time() < deadline:
        text = page.inner_text(selector).strip()
        busy = "…" in page.inner_text("#panels")
        if text != last or busy:
            last, stable_since = text, time.time()
        elif text and time.time() - stable_since > 1.5:
            return text
        time.sleep(0.1)
    return last or ""


def test_ink_written_on_canvas_is_read(page, server):
    strokes = json.loads(INK.read_text())["strokes"]
    want = api_text(server, "read", INK)
    t0 = time.time()
    draw_ink(page, strokes)
    shown = settled_text(page, "[data-testid=ink-text]")
    print(f"drawn in {time.time() - t0:.1f} s; page shows {shown!r}, the file reads {want!r}")
    # the page records screen time and pixels, not the file's: allow a little drift, no more
    assert edit_distance(shown, want) <= max(2, len(want) // 10), (shown, want)
    page.get_by_role("button", name="Undo").click()
    after_undo = settled_text(page, "[data-testid=ink-text]")
    assert after_undo != shown and len(after_undo) < len(shown)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("document.querySelector('[data-testid=ink-text]').textContent === ''")


def test_uploaded_wav_is_transcribed_with_word_times(page, server):
    page.set_input_files("[data-testid=speech-file]", str(WAV))
    page.wait_for_function("document.querySelector('[data-testid=speech-text]').textContent.length > 0", timeout=30000)
    assert page.inner_text("[data-testid=speech-text]") == api_text(server, "transcribe", WAV) == "enter nine one six nine"
    rows = page.locator("#panel-speech table.words tr")
    assert rows.count() == 6  # header + five words


def test_microphone_recording_is_sent_as_wav(page):
    """Chromium's fake microphone plays the example WAV; the page records it with Web Audio and sends WAV."""
    page.click("[data-testid=speech-record]")
    page.wait_for_function("document.querySelector('[data-testid=speech-record]').textContent.includes('Stop')")
    # the fake microphone loops the 2.5 s file: 5.5 s of audio hold one whole copy wherever the loop stood
    page.wait_for_function("Number(document.querySelector('[data-testid=speech-note]').dataset.seconds || 0) >= 5.5",
                           timeout=30000)
    with page.expect_response(lambda r: "/v1/transcribe" in r.url) as answer:
        page.click("[data-testid=speech-record]")
    assert answer.value.status == 200, answer.value.text()
    # the response event fires when the answer arrives, before the page has parsed it and shown the text
    page.wait_for_function("document.querySelector('[data-testid=speech-text]').textContent.length > 0", timeout=30000)
    text = page.inner_text("[data-testid=speech-text]")
    assert "one six" in text, text


def test_video_upload_shows_top_k_and_timeline(page):
    page.set_input_files("[data-testid=video-file]", str(EX / "video" / "sequence.mp4"))
    page.wait_for_selector("[data-testid=video-topk] table", timeout=60000)
    assert page.locator("[data-testid=video-topk] tr").count() == 3
    assert page.locator("[data-testid=video-timeline]").is_visible()
    # the timeline canvas was drawn on: some pixels are not blank
    painted = page.evaluate("""() => { const c = document.querySelector('[data-testid=video-timeline]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert painted > 1000
