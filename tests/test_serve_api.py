"""`suite serve`'s HTTP API: every endpoint, every error path, batching, limits and clean-up."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from suite.serve.app import create_app  # noqa: E402
from suite.serve.batching import MicroBatcher  # noqa: E402
from suite.serve.models import load_models  # noqa: E402
from suite.serve.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
FIX = ROOT / "tests" / "fixtures" / "handwriting"
WAV = EX / "speech" / "theo_3-1-4-1-5.wav"
INK = EX / "handwriting" / "line1.json"
CLIP = EX / "video" / "kick.mp4"
MODELS = {"speech": "speech-digits", "handwriting": "handwriting-en", "video": "video-actions-demo"}


@pytest.fixture(scope="module")
def served():
    return load_models(MODELS, device="cpu")


@pytest.fixture(scope="module")
def client(served):
    with TestClient(create_app(Settings(models=MODELS), served=served), raise_server_exceptions=False) as c:
        yield c


def cli_result(served, command: str, path: Path, **opts) -> dict:
    """What `suite COMMAND --json` gives for the file (the same Predictor.predict call)."""
    [res] = served[command].predictor.predict([str(path)], **opts)
    return res


def assert_error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    assert "Traceback" not in r.text and "/tmp/" not in r.text and "suite-serve-" not in r.text
    for w in words:
        assert w.lower() in body["error"].lower(), body["error"]


# ---- endpoints -------------------------------------------------------------------------------------

def test_healthz_and_models(client):
    assert client.get("/healthz").json()["endpoints"] == ["/v1/transcribe", "/v1/read", "/v1/label"]
    models = {m["command"]: m for m in client.get("/v1/models").json()["models"]}
    assert set(models) == {"transcribe", "read", "label"}
    speech, ink, video = models["transcribe"], models["read"], models["label"]
    assert speech["domain"] == "speech" and speech["model"] == "speech-digits" and "wer" in json.dumps(speech["metrics"])
    assert "digits" in speech.get("description", "digits")  # the bundle's card, where it has one
    assert {"timestamps", "decoder", "beam_size"} <= set(speech["options"]) and "plot" not in speech["options"]
    assert "lm" not in speech["options"] and "lexicon" not in speech["options"]  # server paths are never options
    assert "a" in ink["vocab"] and len(video["labels"]) == 10 and "accuracy" in json.dumps(video["metrics"])
    assert {"top_k", "timeline"} <= set(video["options"]) and "decoder" not in video["options"]
    assert speech["panel"] == "/panels/speech/panel.js"
    assert client.get(speech["panel"]).status_code == 200


def test_transcribe_matches_cli(client, served):
    r = client.post("/v1/transcribe", files={"file": ("mine.wav", WAV.read_bytes())}, data={"timestamps": "true"})
    assert r.status_code == 200, r.text
    want = cli_result(served, "transcribe", WAV, timestamps=True)
    body = r.json()
    assert body["file"] == "mine.wav" and body["text"] == want["text"] == "three one four one five"
    assert [w["word"] for w in body["words"]] == want["text"].split() and "display" not in body
    assert body["words"] == want["words"]


def test_transcribe_beam_decoder_and_query_options(client):
    r = client.post("/v1/transcribe?decoder=beam&beam_size=8", files={"file": ("a.wav", WAV.read_bytes())})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "three one four one five" and "words" not in r.json()


def test_read_json_body_and_uploads_in_every_format(client, served):
    want = cli_result(served, "read", INK)["text"]
    r = client.post("/v1/read", content=INK.read_bytes(), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["text"] == want
    r = client.post("/v1/read", files={"file": ("line1.json", INK.read_bytes())})
    assert r.status_code == 200 and r.json()["text"] == want and r.json()["file"] == "line1.json"
    for name in ("line.inkml", "line.xml"):  # InkML and IAM-OnDB XML, named in a misleading way on purpose
        r = client.post("/v1/read", files={"file": ("ink.bin", (FIX / name).read_bytes())})
        assert r.status_code == 200, r.text
        assert r.json()["text"] == cli_result(served, "read", FIX / name)["text"]
    unipen = b".COORD X Y\n.PEN_DOWN\n0 0\n10 10\n20 0\n.PEN_UP\n.SEGMENT TEXT 0 ? \"v\"\n"
    r = client.post("/v1/read", files={"file": ("a.dat", unipen)})
    assert r.status_code == 200 and "text" in r.json() and r.json()["reference"] == "v"


def test_label_top_k_and_timeline(client, served):
    r = client.post("/v1/label", files={"file": ("clip.mp4", CLIP.read_bytes())}, data={"top_k": "3", "timeline": "1"})
    assert r.status_code == 200, r.text
    body = r.json()
    want = cli_result(served, "label", CLIP, top_k=3, timeline=True)
    assert body["label"] == want["label"] and body["top_k"] == want["top_k"] and len(body["top_k"]) == 3
    assert body["segments"] == want["segments"] and body["segments"][0]["start"] == 0
    r = client.post("/v1/label", files={"file": ("clip.mp4", CLIP.read_bytes())})
    assert r.json()["label"] == "kick" and "segments" not in r.json()


def test_page_static_files_and_docs(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text and "http" not in page.text.replace("http-equiv", "")
    for path in ("/static/app.js", "/static/style.css", "/panels/handwriting/panel.js",
                 "/panels/handwriting/panel.css", "/panels/video/panel.js"):
        r = client.get(path)
        assert r.status_code == 200 and "cdn" not in r.text.lower(), path
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/transcribe", "/v1/read", "/v1/label", "/v1/models", "/healthz"} <= set(spec["paths"])
    form = spec["paths"]["/v1/label"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "file" in form["properties"] and "top_k" in form["properties"]
    assert "application/json" in spec["paths"]["/v1/read"]["post"]["requestBody"]["content"]


# ---- errors: every bad input is a 4xx JSON {"error"} --------------------------------------------------

def test_not_found_and_wrong_method(client):
    assert_error(client.get("/v1/nope"), 404, "not found")
    assert_error(client.post("/v1/nope", files={"file": ("a.wav", b"x")}), 404)
    assert_error(client.get("/v1/transcribe"), 405, "not allowed")
    for bad in ("/panels/speech/..%2F..%2Fsetup.py", "/panels/speech/x.py", "/panels/nope/panel.js",
                "/static/../pyproject.toml"):
        assert client.get(bad).status_code == 404, bad


@pytest.mark.parametrize("endpoint,kwargs,status,words", [
    ("/v1/transcribe", dict(content=b"hello", headers={"content-type": "text/plain"}), 415, ["content type"]),
    ("/v1/transcribe", dict(content=INK.read_bytes(), headers={"content-type": "application/json"}), 415, []),
    ("/v1/transcribe", dict(files={"file": ("x.wav", b"\x00\x01 not audio at all" * 10)}), 415, ["unrecognised"]),
    ("/v1/label", dict(files={"file": ("a.mp4", WAV.read_bytes())}), 415, ["audio", "video"]),
    ("/v1/read", dict(files={"file": ("a.json", WAV.read_bytes())}), 415, ["ink"]),
    # a playlist/concat list would make the video library open other files: refused by content
    ("/v1/label", dict(files={"file": ("a.mp4", b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")}), 415, []),
    ("/v1/label", dict(files={"file": ("a.mp4", b"ffconcat version 1.0\nfile /etc/passwd\n")}), 415, []),
    ("/v1/read", dict(files={"file": ("a.dat", b".VERSION 1.0\n.INCLUDE etc/passwd\n.PEN_DOWN\n1 1\n.PEN_UP\n")}),
     415, [".INCLUDE"]),
    ("/v1/read", dict(content=b'{"strokes": [', headers={"content-type": "application/json"}), 400, ["json"]),
    ("/v1/read", dict(content=b"[" * 200_000, headers={"content-type": "application/json"}), 400, ["json"]),
    ("/v1/read", dict(files={"file": ("deep.json", b'{"strokes": ' + b"[" * 200_000)}), 422, []),
    ("/v1/transcribe", dict(files={"other": ("a.wav", WAV.read_bytes())}), 400, ["file"]),
    ("/v1/transcribe", dict(data={"timestamps": "true"}, files={"x": ("", b"")}), 400, []),
    ("/v1/transcribe", dict(files=[("file", ("a.wav", WAV.read_bytes())), ("file", ("b.wav", WAV.read_bytes()))]), 400, []),
    ("/v1/transcribe", dict(files={"file": ("a.wav", WAV.read_bytes())}, data={"plot": "/tmp/x.png"}), 400, ["unknown option"]),
    ("/v1/transcribe", dict(files={"file": ("a.wav", WAV.read_bytes())}, data={"decoder": "magic"}), 400, ["greedy"]),
    ("/v1/label", dict(files={"file": ("a.mp4", CLIP.read_bytes())}, data={"top_k": "many"}), 400, ["integer"]),
    ("/v1/label", dict(files={"file": ("a.mp4", CLIP.read_bytes())}, data={"top_k": "100000"}), 400, ["between"]),
    ("/v1/label", dict(files={"file": ("a.mp4", CLIP.read_bytes())}, data={"window": "nan"}), 400, []),
    ("/v1/transcribe", dict(files={"file": ("cut.wav", WAV.read_bytes()[:30])}), 422, ["cut.wav"]),
    ("/v1/label", dict(files={"file": ("bad.mp4", CLIP.read_bytes()[:2000])}), 422, ["bad.mp4"]),
    ("/v1/label", dict(files={"file": ("a.mp4", CLIP.read_bytes())}, data={"window": "-1", "timeline": "1"}), 422, []),
    ("/v1/read", dict(content=b'{"strokes": []}', headers={"content-type": "application/json"}), 422, []),
    ("/v1/read", dict(content=b'{"strokes": "x"}', headers={"content-type": "application/json"}), 422, ["strokes"]),
    ("/v1/read", dict(files={"file": ("b.xml", (FIX / "billion_laughs.xml").read_bytes())}), 422, []),
    ("/v1/read", dict(files={"file": ("x.inkml", (FIX / "xxe.inkml").read_bytes())}), 422, []),
])
def test_bad_requests_get_json_errors(client, endpoint, kwargs, status, words):
    assert_error(client.post(endpoint, **kwargs), status, *words)


def test_client_file_name_never_becomes_a_path(client):
    r = client.post("/v1/transcribe", files={"file": ("../../../etc/evil.wav", WAV.read_bytes())})
    assert r.status_code == 200 and r.json()["file"] == "evil.wav"
    assert not Path("/etc/evil.wav").exists()


def test_token(served):
    app = create_app(Settings(models=MODELS, token="s3cret"), served=served)
    with TestClient(app, raise_server_exceptions=False) as c:
        upload = {"file": ("a.wav", WAV.read_bytes())}
        assert_error(c.post("/v1/transcribe", files=upload), 401, "token")
        assert_error(c.post("/v1/transcribe", files=upload, headers={"Authorization": "Bearer wrong"}), 401)
        assert_error(c.get("/v1/models", headers={"Authorization": "Basic s3cret"}), 401)
        assert c.get("/v1/models").headers.get("www-authenticate") == "Bearer"
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200  # public
        r = c.post("/v1/transcribe", files=upload, headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200 and r.json()["text"] == "three one four one five"


def test_upload_limit_announced_and_streamed(served):
    app = create_app(Settings(models=MODELS, max_upload_mb=16 / 1024), served=served)  # 16 KB
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_error(c.post("/v1/transcribe", files={"file": ("a.wav", WAV.read_bytes())}), 413, "limit")

        def chunks():  # no Content-Length: the body is counted as it streams in
            for _ in range(40):
                yield b"x" * 1024

        assert_error(c.post("/v1/read", content=chunks(), headers={"content-type": "application/json"}), 413)
        small = b'{"strokes": [[[0, 0, 0], [5, 5, 0.1], [10, 0, 0.2]]]}'
        assert c.post("/v1/read", content=small, headers={"content-type": "application/json"}).status_code == 200


def test_timeout(served):
    app = create_app(Settings(models=MODELS, timeout_s=0.001), served=served)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_error(c.post("/v1/label", files={"file": ("a.mp4", CLIP.read_bytes())}), 504, "longer")
        assert c.get("/healthz").status_code == 200


def test_still_serving_and_uploads_removed(client):
    uploads: Path = client.app.state.uploads
    assert uploads.is_dir() and oct(uploads.stat().st_mode & 0o777) == "0o700"
    assert list(uploads.iterdir()) == []  # after all the requests above, good and bad
    r = client.post("/v1/transcribe", files={"file": ("a.wav", WAV.read_bytes())})
    assert r.status_code == 200 and r.json()["text"] == "three one four one five"
    assert list(uploads.iterdir()) == []


def test_uploads_folder_removed_at_shutdown(served):
    with TestClient(create_app(Settings(models=MODELS), served=served)) as c:
        folder = c.app.state.uploads
        assert folder.is_dir()
    assert not folder.exists()


# ---- micro-batching ----------------------------------------------------------------------------------

def test_concurrent_requests_are_batched(served):
    app = create_app(Settings(models=MODELS, max_batch=8, max_wait_ms=200), served=served)
    with TestClient(app) as c:
        results = [None] * 8

        def one(i):
            results[i] = c.post("/v1/transcribe", files={"file": (f"{i}.wav", WAV.read_bytes())})

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.json()["file"] for r in results] == [f"{i}.wav" for i in range(8)]
        assert all(r.json()["text"] == "three one four one five" for r in results)
        stats = {m["command"]: m["batching"] for m in c.get("/v1/models").json()["models"]}["transcribe"]
        assert stats["requests"] == 8 and stats["largest_batch"] > 1 and stats["batches"] < 8


def test_batcher_groups_by_key_isolates_failures_and_cancellations():
    calls = []

    def run(key, files):
        calls.append((key, list(files)))
        if key == "boom":
            raise RuntimeError("model failed")
        time.sleep(0.01)
        return {f: [{"file": f, "key": key}] for f in files}

    async def main():
        b = MicroBatcher(run, max_batch=4, max_wait_ms=50)
        tasks = [asyncio.ensure_future(b.submit("a" if i % 2 else "b", f"f{i}")) for i in range(10)]
        doomed = asyncio.ensure_future(b.submit("a", "cancelled"))
        await asyncio.sleep(0)
        doomed.cancel()
        out = await asyncio.gather(*tasks)
        with pytest.raises(RuntimeError, match="model failed"):
            await b.submit("boom", "x")
        after = await b.submit("a", "later")  # the worker survives a failed batch
        await b.close()
        return out, after, b.stats

    out, after, stats = asyncio.run(main())
    assert [r[0]["file"] for r in out] == [f"f{i}" for i in range(10)]
    assert all(r[0]["key"] == ("a" if i % 2 else "b") for i, r in enumerate(out))
    assert all(len(files) <= 4 for _, files in calls) and [len(f) for _, f in calls[:3]] == [4, 4, 1]
    assert not any("cancelled" in files for _, files in calls)
    assert after[0]["file"] == "later" and stats.largest == 4 and stats.requests == 12


# ---- the command line ----------------------------------------------------------------------------------

def test_cli_settings_and_lazy_imports():
    from suite.cli import build_parser
    from suite.errors import SuiteError
    from suite.serve.cli import settings_from_args

    parser = build_parser()
    s = settings_from_args(parser.parse_args(["serve"]))
    default = {**MODELS, "speech": "speech-en"}  # each domain's first bundled model
    assert default.items() <= s.models.items() and s.token is None and s.max_batch == 16  # every bundled model
    s = settings_from_args(parser.parse_args(["serve", "--only", "speech", "--token", "t", "--max-batch", "1"]))
    assert s.models == {"speech": "speech-en"} and s.token == "t" and s.max_batch == 1
    s = settings_from_args(parser.parse_args(["serve", "--video", "none", "--handwriting", "x/model.pt"]))
    assert s.models["handwriting"] == "x/model.pt" and "video" not in s.models and s.models["speech"] == "speech-en"
    with pytest.raises(SuiteError, match="unknown domain"):
        settings_from_args(parser.parse_args(["serve", "--only", "smell"]))
    code = "import sys; from suite.cli import build_parser; build_parser(); print('fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_suite_serve_command_binds_loopback_and_serves():
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "suite.cli", "serve", "--only", "speech", "--speech", "speech-digits",
                             "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            assert proc.poll() is None, proc.stdout.read()
        r = httpx.post(url + "/v1/transcribe", files={"file": ("a.wav", WAV.read_bytes())}, timeout=60)
        assert r.json()["text"] == "three one four one five"
        listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        if listening:
            assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening
    finally:
        proc.terminate()
        proc.wait(timeout=30)
