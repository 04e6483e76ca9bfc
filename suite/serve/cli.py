"""`suite serve`: its options (one --<domain> MODEL per installed domain) and starting uvicorn."""
from __future__ import annotations

import argparse
import os

from ..cli_tools import example_epilog
from ..errors import SuiteError
from .settings import Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_serve_command(sub) -> argparse.ArgumentParser:
    from ..registry import domains

    help = "serve the models over HTTP: a JSON API (/v1/..., docs at /docs) and a web page (/)"
    p = sub.add_parser("serve", help=help, description=help + ". Models load once at start.",
                       epilog=example_epilog("suite serve --port 8000 --token s3cret\n  "
                                             "curl -F file=@examples/speech/theo_3-1-4-1-5.wav "
                                             "-H 'Authorization: Bearer s3cret' localhost:8000/v1/transcribe"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=8000)
    g = p.add_argument_group("models (default: each domain's bundled model)")
    for dom in domains().values():
        if dom.command:
            g.add_argument(f"--{dom.name}", metavar="MODEL", dest=f"model_{dom.name}",
                           help=f"{dom.name} model for /v1/{dom.command} (bundled name or path; 'none' to leave it out)")
    p.add_argument("--only", nargs="+", metavar="DOMAIN", help="serve only these domains")
    p.add_argument("--token", default=os.environ.get("SUITE_SERVE_TOKEN"),
                   help="require 'Authorization: Bearer TOKEN' on /v1/* (default: $SUITE_SERVE_TOKEN, else none)")
    p.add_argument("--max-upload-mb", type=float, default=50.0, help="largest request body (default 50 MB; larger: 413)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a request may take (default 60; then 504)")
    p.add_argument("--max-batch", type=int, default=16,
                   help="micro-batching: most concurrent requests predicted in one call (default 16; 1 = off)")
    p.add_argument("--max-wait-ms", type=float, default=10.0,
                   help="micro-batching: longest wait for more requests before predicting (default 10 ms)")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes (default 1); each loads the models and batches on its own")
    p.add_argument("--threads", type=int,
                   help="torch threads per process (default: torch's choice; on CPU, workers x threads <= cores)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run)
    return p


def settings_from_args(args) -> Settings:
    from ..inference import default_model
    from ..registry import domains

    models = {}
    wanted = set(args.only) if args.only else None
    if wanted and wanted - set(domains()):
        raise SuiteError(f"--only: unknown domain(s) {', '.join(sorted(wanted - set(domains())))} "
                         f"(installed: {', '.join(sorted(domains()))})")
    for dom in domains().values():
        if not dom.command or (wanted and dom.name not in wanted):
            continue
        chosen = getattr(args, f"model_{dom.name}", None)
        if chosen == "none":
            continue
        if chosen is None:
            if not dom.bundled_models:
                continue  # nothing to serve for this domain unless a model is given
            chosen = default_model(dom.name)
        models[dom.name] = chosen
    if not models:
        raise SuiteError("no model to serve (every domain left out)")
    for name, value in (("--max-upload-mb", args.max_upload_mb), ("--timeout", args.timeout)):
        if value <= 0:
            raise SuiteError(f"{name} must be positive")
    if args.max_batch < 1 or args.max_wait_ms < 0 or args.workers < 1 or (args.threads is not None and args.threads < 1):
        raise SuiteError("--max-batch, --workers and --threads must be at least 1, --max-wait-ms non-negative")
    return Settings(models=models, token=args.token or None, max_upload_mb=args.max_upload_mb,
                    timeout_s=args.timeout, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms,
                    device=args.device, threads=args.threads)


def app_from_env():
    """uvicorn's factory in each worker process: the app for the settings `suite serve` put in the env."""
    settings = Settings.from_env()
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    from .app import create_app

    return create_app(settings)


def run(args) -> int:
    import uvicorn

    settings = settings_from_args(args)
    if args.host not in LOOPBACK:
        print(f"warning: listening on {args.host}: reachable from other machines"
              + ("" if settings.token else " and without --token anyone there can use it"), flush=True)
    settings.to_env()
    if args.workers == 1:
        app = app_from_env()  # load the models before binding: a bad model fails here, as one line
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, timeout_keep_alive=5)
    else:
        uvicorn.run("suite.serve.cli:app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, timeout_keep_alive=5)
    return 0
