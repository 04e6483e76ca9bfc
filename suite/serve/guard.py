"""The server's gate (an ASGI middleware): bearer token, request size limit and request timeout.

It runs before any body is read: a wrong token or an announced oversize body is refused at once, and a
body that grows past the limit while it streams in is cut off with 413.
"""
from __future__ import annotations

import asyncio
import json
import secrets


class BodyTooLarge(Exception):
    pass


async def _send_error(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app, token: str | None, max_bytes: int, timeout_s: float):
        self.app = app
        self.token = token
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _authorized(self, scope) -> bool:
        if not self.token or not scope["path"].startswith("/v1/"):
            return True
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), self.token.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if not self._authorized(scope):
            return await _send_error(send, 401, "missing or wrong bearer token (send 'Authorization: Bearer TOKEN')",
                                     [(b"www-authenticate", b"Bearer")])
        headers = dict(scope.get("headers") or [])
        try:
            announced = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            return await _send_error(send, 400, "bad Content-Length header")
        limit_text = f"request body over the limit of {self.max_bytes / 2**20:g} MB"
        if announced > self.max_bytes:
            return await _send_error(send, 413, limit_text)
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, counting_receive, tracking_send), self.timeout_s)
        except BodyTooLarge:
            if not started:
                await _send_error(send, 413, limit_text)
        except asyncio.TimeoutError:
            if not started:
                await _send_error(send, 504, f"request took longer than the server's limit of {self.timeout_s:g} s")
