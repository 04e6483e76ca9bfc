"""`suite serve` under load, on loopback only: 16 concurrent clients per endpoint for a bounded time.

    .venv/bin/python bench/bench_serve.py [--seconds 60] [--clients 16]     (writes bench/results.json "serve")
    .venv/bin/python bench/run.py --only serve [--quick]

Figures: requests/s, p50/p95 latency and errors per endpoint; the server's resident memory after 100 and
after 1000 requests; speech throughput with micro-batching on vs off (``--max-batch 1``) at 16 clients.
The server runs in a subprocess on 127.0.0.1 (a free port) with one torch thread; the clients are a
small asyncio HTTP/1.1 loop in this process (keep-alive, request bytes built once), so the load generator
costs the 2 cores as little as it can. Every loop is bounded in time and count and stops by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import row  # noqa: E402

EX = ROOT / "examples"
SECONDS = float(os.environ.get("SUITE_BENCH_SERVE_SECONDS", 60))
CLIENTS = 16
HOST = "127.0.0.1"  # loopback only, by design
MAX_REQUESTS = 200_000  # a hard bound on any one phase, whatever the time limit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _multipart(path: Path, fields: dict | None = None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in (fields or {}).items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _request(port: int, endpoint: str, body: bytes, ctype: str) -> bytes:
    head = (f"POST {endpoint} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


# the endpoints and the example each client sends over and over
def workloads(port: int) -> dict[str, bytes]:
    speech, speech_type = _multipart(EX / "speech" / "theo_3-1-4-1-5.wav")
    video, video_type = _multipart(EX / "video" / "kick.mp4", {"top_k": "3"})
    ink = (EX / "handwriting" / "line1.json").read_bytes()
    return {"/v1/transcribe": _request(port, "/v1/transcribe", speech, speech_type),
            "/v1/read": _request(port, "/v1/read", ink, "application/json"),
            "/v1/label": _request(port, "/v1/label", video, video_type)}


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def load(port: int, requests: list[bytes], clients: int, seconds: float, max_requests: int = MAX_REQUESTS,
               on_count=None) -> dict:
    """``clients`` connections sending ``requests`` round-robin until ``seconds`` or ``max_requests``."""
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    t_end = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < t_end and sent < max_requests:
                request = requests[sent % len(requests)]
                sent += 1
                t0 = time.perf_counter()
                try:
                    status = await asyncio.wait_for(_one(reader, writer, request), timeout=120)
                except (OSError, ConnectionError, asyncio.TimeoutError, ValueError, IndexError) as err:
                    errors.append(f"{type(err).__name__}: {err}")
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors.append(f"HTTP {status}")
                if on_count:
                    on_count(len(latencies) + len(errors))
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan"))
    return {"requests": len(latencies) + len(errors), "ok": len(latencies) - sum(e.startswith("HTTP") for e in errors),
            "errors": len(errors), "error_kinds": sorted(set(errors))[:5], "seconds": round(elapsed, 2),
            "requests_per_s": len(latencies) / elapsed, "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan")}


class Server:
    """`suite serve` in a subprocess on a free loopback port; stopped on exit."""

    def __init__(self, *extra: str):
        self.port = _free_port()
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "suite.cli", "serve", "--host", HOST, "--port", str(self.port), "--threads", "1",
             "--log-level", "warning", "--timeout", "120", *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def __enter__(self) -> "Server":
        import httpx

        for _ in range(1200):
            if self.proc.poll() is not None:
                raise RuntimeError("suite serve exited: " + (self.proc.stdout.read() or "")[-2000:])
            try:
                if httpx.get(f"http://{HOST}:{self.port}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.25)
        raise RuntimeError("suite serve did not start in 5 minutes")

    def models(self) -> list[dict]:
        import httpx

        return httpx.get(f"http://{HOST}:{self.port}/v1/models", timeout=10).json()["models"]

    def rss_mb(self) -> float:
        return _rss_mb(self.proc.pid)

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _batch_counts(server: Server, endpoint: str) -> tuple[int, int]:
    stats = next(m["batching"] for m in server.models() if m["endpoint"] == endpoint)
    return stats["batches"], stats["requests"]


def _memory_phase(server: Server, work: dict[str, bytes], clients: int) -> dict:
    """RSS after the 100th and the 1000th request of a mixed stream over all endpoints (fresh server)."""
    marks: dict[int, float] = {}

    def on_count(n: int) -> None:
        for mark in (100, 1000):
            if n >= mark and mark not in marks:
                marks[mark] = server.rss_mb()

    rss_start = server.rss_mb()
    res = asyncio.run(load(server.port, list(work.values()), clients, seconds=600, max_requests=1000, on_count=on_count))
    return {"rss_start_mb": round(rss_start, 1), "rss_after_100_mb": round(marks.get(100, float("nan")), 1),
            "rss_after_1000_mb": round(marks.get(1000, server.rss_mb()), 1), "requests": res["requests"],
            "errors": res["errors"], "error_kinds": res["error_kinds"], "seconds": res["seconds"]}


def run(quick: bool = False) -> dict:
    seconds = 5.0 if quick else SECONDS
    clients = CLIENTS
    details: dict = {"seconds_per_run": seconds, "clients": clients, "host": HOST}
    rows = []
    with Server() as server:
        work = workloads(server.port)
        details["memory"] = mem = _memory_phase(server, work, clients)
        details["endpoints"] = {}
        for endpoint, request in work.items():
            before = _batch_counts(server, endpoint)
            res = asyncio.run(load(server.port, [request], clients, seconds))
            batches, requests = (a - b for a, b in zip(_batch_counts(server, endpoint), before))
            res["mean_batch"] = round(requests / max(1, batches), 2)
            details["endpoints"][endpoint] = res
            rows.append(row(
                f"POST {endpoint}, {clients} clients for {seconds:g} s: p50 {res['p50_ms']:.0f} ms, "
                f"p95 {res['p95_ms']:.0f} ms, {res['errors']} errors of {res['requests']}, mean batch {res['mean_batch']:g}",
                "served", res["requests_per_s"], "errors", res["errors"], "requests/s",
                ratio=res["errors"] / max(1, res["requests"]), target_text="0 errors", passed=res["errors"] == 0))
        details["rss_end_mb"] = round(server.rss_mb(), 1)
    growth = mem["rss_after_1000_mb"] / mem["rss_after_100_mb"]
    rows.append(row(f"server resident memory, mixed requests over all endpoints ({mem['errors']} errors)",
                    "after 1000 requests", mem["rss_after_1000_mb"], "after 100", mem["rss_after_100_mb"], "MB",
                    ratio=growth, target_text="<= 1.1", passed=growth <= 1.1 and mem["errors"] == 0))
    with Server("--max-batch", "1", "--only", "speech") as server:
        off = asyncio.run(load(server.port, [workloads(server.port)["/v1/transcribe"]], clients, seconds))
        details["speech_batching_off"] = off
    on = details["endpoints"]["/v1/transcribe"]
    mean_batch = on["mean_batch"]
    rows.insert(0, row(f"speech /v1/transcribe, {clients} clients: micro-batching (max 16, 10 ms) vs none "
                       f"(mean batch {mean_batch:g}; p95 {on['p95_ms']:.0f} vs {off['p95_ms']:.0f} ms)",
                       "micro-batching", on["requests_per_s"], "one request per call", off["requests_per_s"],
                       "requests/s", target=1.5, passed=on["requests_per_s"] / max(1e-9, off["requests_per_s"]) >= 1.5
                       and on["errors"] == 0 and off["errors"] == 0))
    return {"title": "suite serve under load (loopback, 16 clients)", "device": "cpu", "rows": rows, "details": details}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Load-test `suite serve` on loopback; merges into bench/results.json.")
    ap.add_argument("--seconds", type=float, default=60.0, help="seconds of load per endpoint (default 60)")
    ap.add_argument("--quick", action="store_true", help="5 s per endpoint (a smoke run)")
    args = ap.parse_args(argv)
    if not 0 < args.seconds <= 600:
        ap.error("--seconds must be in (0, 600]")
    os.environ["SUITE_BENCH_SERVE_SECONDS"] = str(args.seconds)
    global SECONDS
    SECONDS = args.seconds
    from bench.run import main as run_main

    return run_main(["--only", "serve", *(["--quick"] if args.quick else [])])


if __name__ == "__main__":
    sys.exit(main())
