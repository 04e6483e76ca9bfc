"""The FastAPI application: ``POST /v1/{command}`` per loaded model, ``/v1/models``, ``/healthz``, the page.

Every endpoint is generated from the loaded models' domains (``Domain.command``, ``input_key`` and the
options of the domain's own CLI command), so this module names no domain.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from .batching import MicroBatcher
from .guard import Guard
from .media import MediaError, check_upload
from .models import Served, load_models
from .options import parse_options
from .settings import Settings

log = logging.getLogger("suite.serve")
STATIC = Path(__file__).resolve().parent / "static"
_PANEL_FILE = re.compile(r"^[A-Za-z0-9_-]+\.(js|css)$")
_MEDIA_TYPES = {"js": "text/javascript", "css": "text/css"}


class ApiError(Exception):
    """A request the server refuses: HTTP ``status`` with ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _docs_assets() -> Path | None:
    """Swagger UI's files from the fastapi-offline package (the page must work with no internet)."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    path = Path(fastapi_offline.__file__).resolve().parent / "static"
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def _client_name(name: str | None, fallback: str) -> str:
    """The client's file name for the response: its last component, printable, bounded."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable())[:200]
    return base or fallback


def _clean(result: dict, path: str, name: str) -> dict:
    """A result as the CLI's --json line would show it, with the server's temp path replaced by the
    client's file name (no server path leaves the server)."""
    out = {}
    for k, v in result.items():
        if k == "display":
            continue
        if k == "file":
            v = name
        elif isinstance(v, str) and path in v:
            v = v.replace(path, name)
        out[k] = v
    return out


def _request_body_schema(served: Served) -> dict:
    props = {"file": {"type": "string", "format": "binary",
                      "description": f"the input file: {', '.join((served.domain.upload_formats or ('any',)))}"}}
    props.update({o.name: o.schema() for o in served.options})
    content = {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": props}}}
    if "json" in served.domain.upload_formats:
        content["application/json"] = {"schema": {"type": "object", "description": "the file's JSON content"}}
    return {"requestBody": {"required": True, "content": content}}


def create_app(settings: Settings, served: dict[str, Served] | None = None) -> FastAPI:
    """The app for ``settings``; ``served`` (command -> loaded model) skips loading (tests reuse models)."""
    if served is None:
        served = load_models(settings.models, device=settings.device)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.uploads = Path(tempfile.mkdtemp(prefix="suite-serve-"))  # mode 0700: this user only
        app.state.batchers = {cmd: MicroBatcher(s.predict, settings.max_batch, settings.max_wait_ms, name=cmd)
                              for cmd, s in served.items()}
        try:
            yield
        finally:
            for b in app.state.batchers.values():
                await b.close()
            shutil.rmtree(app.state.uploads, ignore_errors=True)

    app = FastAPI(title="Sequence Suite", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Recognizers over HTTP. Every response is a JSON object; errors are "
                              '`{"error": "..."}` with a 4xx status. With `--token`, send '
                              "`Authorization: Bearer TOKEN` on /v1/*.")
    app.state.settings = settings
    app.state.served = served
    app.add_middleware(Guard, token=settings.token, max_bytes=int(settings.max_upload_mb * 2**20),
                       timeout_s=settings.timeout_s)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404:
            message = f"not found: {request.url.path[:200]}"
        elif exc.status_code == 405:
            message = f"method {request.method} not allowed on {request.url.path[:200]}"
        return error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        return error(400, f"bad request: {first.get('msg', 'invalid input')} at {'.'.join(map(str, first.get('loc', ())))}")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return error(500, f"internal error ({type(exc).__name__}); the server goes on serving")

    assets = _docs_assets()
    if assets:
        app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        if not assets:
            return error(404, "API docs need the fastapi-offline package; the schema is at /openapi.json")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Sequence Suite API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/panels/{domain}/{name}", include_in_schema=False)
    async def panel(domain: str, name: str):
        s = next((s for s in served.values() if s.domain.name == domain), None)
        if s is None or s.panel is None or not _PANEL_FILE.match(name):
            raise ApiError(404, f"not found: /panels/{domain[:40]}/{name[:80]}")
        path = s.panel if name == "panel.js" else s.panel.parent / name
        if not path.is_file() or path.resolve().parent != s.panel.resolve().parent:
            raise ApiError(404, f"not found: /panels/{domain[:40]}/{name[:80]}")
        return FileResponse(path, media_type=_MEDIA_TYPES[name.rsplit(".", 1)[1]])

    @app.get("/healthz", summary="liveness: the server answers and which endpoints it serves")
    async def healthz():
        return {"status": "ok", "version": __version__, "endpoints": [f"/v1/{c}" for c in served]}

    @app.get("/v1/models", summary="the loaded models: domain, endpoint, options, labels or vocabulary, scores")
    async def models(request: Request):
        out = []
        for cmd, s in served.items():
            info = s.info()
            info["batching"] = {"max_batch": settings.max_batch, "max_wait_ms": settings.max_wait_ms,
                                **request.app.state.batchers[cmd].stats.as_dict()}
            out.append(info)
        return {"models": out}

    for command, s in served.items():
        _add_endpoint(app, command, s, settings)
    return app


def _add_endpoint(app: FastAPI, command: str, s: Served, settings: Settings) -> None:
    kind = s.domain.input_key

    async def infer(request: Request):
        return await _infer(request, command, s)

    app.add_api_route(
        f"/v1/{command}", infer, methods=["POST"], name=command,
        summary=f"{command}: one {kind} file -> the same JSON object as `suite {command} --json`",
        description=(f"Upload the input as multipart field `file` ({', '.join((s.domain.upload_formats or ('any format',)))})"
                     + (", or send a JSON body" if "json" in s.domain.upload_formats else "")
                     + ". Options go in form fields or the query string. A file holding several samples gives "
                       "a list of objects."),
        openapi_extra=_request_body_schema(s))


async def _read_request(request: Request, s: Served, dest: Path) -> tuple[str, dict[str, str]]:
    """Store the request's input at ``dest``; (client file name, option fields)."""
    fields = dict(request.query_params)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    takes_json = "json" in s.domain.upload_formats
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=32)
        try:
            upload = None
            for key, value in form.multi_items():
                if key == "file" and not isinstance(value, str):
                    upload = value
                elif isinstance(value, str):
                    fields[key] = value
                else:
                    raise ApiError(400, f"unexpected file field '{key[:40]}'; the input goes in field 'file'")
            if upload is None:
                raise ApiError(400, "multipart field 'file' (the input file) is missing")
            with open(dest, "wb") as out:
                while chunk := await upload.read(1 << 20):
                    out.write(chunk)
            return _client_name(upload.filename, "upload"), fields
        finally:
            await form.close()
    if ctype == "application/json" and takes_json:
        body = await request.body()
        try:
            json.loads(body)
        except (ValueError, RecursionError) as err:  # RecursionError: nesting deeper than the parser goes
            raise ApiError(400, f"the body is not valid JSON ({str(err)[:80] or type(err).__name__})") from None
        dest.write_bytes(body)
        return "body.json", fields
    accepted = "multipart/form-data with the input in field 'file'" + (" or application/json" if takes_json else "")
    raise ApiError(415, f"unsupported content type '{ctype[:60] or 'none'}'; send {accepted}")


async def _infer(request: Request, command: str, s: Served):
    uploads: Path = request.app.state.uploads
    tmp = uploads / uuid.uuid4().hex
    stored = tmp
    try:
        name, fields = await _read_request(request, s, tmp)
        try:
            decode, opts = parse_options(s.options, fields)
        except ValueError as err:
            raise ApiError(400, str(err)) from None
        try:
            ext = check_upload(str(tmp), s.domain.input_key, s.domain.upload_formats,
                               Path(name).suffix.lower().lstrip("."))
        except MediaError as err:
            raise ApiError(415, str(err)) from None
        stored = tmp.with_suffix(f".{ext}")
        os.replace(tmp, stored)
        key = (tuple(sorted(decode.items())), tuple(sorted(opts.items())))
        results = await request.app.state.batchers[command].submit(key, str(stored))
        if not results:
            raise ApiError(422, f"{name}: no sample found in the file")
        results = [_clean(r, str(stored), name) for r in results]
        if len(results) == 1 and "error" in results[0]:
            raise ApiError(422, results[0]["error"])
        results = [r for r in results if "error" not in r] or results
        return results[0] if len(results) == 1 else results
    finally:
        for p in {tmp, stored}:
            try:
                p.unlink()
            except FileNotFoundError:
                pass
