"""A Content-Security-Policy on every page the portal serves.

The production build's HTML carries a few inline scripts (React Router's hydration data, the
colour-mode bootstrap); rather than allow every inline script, each HTML response is sent with
the SHA-256 hashes of the inline scripts it actually contains. Styles need 'unsafe-inline'
(Emotion and Radix inject them at run time); images may come from any https URL (profile
pictures and article images are links).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ContentSecurityPolicy", "policy_for"]

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)


def policy_for(html: bytes) -> str:
    hashes = sorted(
        {
            "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
            for body in INLINE_SCRIPT.findall(html)
            if body.strip()
        }
    )
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(hashes) if hashes else "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' https: data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicy:
    """ASGI middleware: buffer HTML responses, add the policy and a few safe defaults."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A file sent by path (granian's pathsend) would bypass us: ask for body chunks instead.
        extensions = dict(scope.get("extensions") or {})
        extensions.pop("http.response.pathsend", None)
        scope = {**scope, "extensions": extensions}
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                sent = dict(message.get("headers") or [])
                content_type = sent.get(b"content-type", b"")
                encoding = sent.get(b"content-encoding", b"")
                if content_type.startswith(b"text/html") and not encoding:
                    start = dict(message)
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            html = b"".join(chunks)
            headers = [
                (k, v)
                for k, v in start.get("headers") or []
                if k.lower() not in (b"content-length", b"content-security-policy")
            ]
            headers += [
                (b"content-length", str(len(html)).encode()),
                (b"content-security-policy", policy_for(html).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"same-origin"),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, wrapped)
