"""The portal as a local process: one production build, then the app served on one port.

The build (`reflex export --frontend-only`) compiles the Reflex pages and bundles them with
bun from the root `node_modules` (the `bun` npm package, pinned in `package.json`), as system
bun; it needs nothing but the npm registry. The server is granian running the Reflex app in
production mode (`portal.asgi`) with the built frontend mounted, so pages, assets and the state
websocket share one port (Reflex's single-port mode), as the container does.

The build bakes the browser-facing URL (`http://localhost:<port>`) into the frontend, so a
build serves one port only.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from devstack.routes import PORTAL
from devstack.supervisor import ServiceProcess

__all__ = [
    "NPM_REGISTRY",
    "build_command",
    "ops_env",
    "portal_env",
    "portal_process",
    "private_app_dir",
    "serve_command",
    "toolchain_env",
]

NPM_REGISTRY = "https://registry.npmjs.org"


def toolchain_env(root: Path, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """bun from `<root>/node_modules/.bin` as Reflex's system bun; the npm registry only."""
    bin_dir = root / "node_modules" / ".bin"
    return {
        "PATH": os.pathsep.join([str(bin_dir), environ.get("PATH", os.defpath)]),
        "REFLEX_USE_SYSTEM_BUN": "1",
        # Reflex otherwise probes other registries to pick the fastest one.
        "NPM_CONFIG_REGISTRY": NPM_REGISTRY,
        "REFLEX_TELEMETRY_ENABLED": "false",
    }


def build_command() -> tuple[str, ...]:
    return (
        *(sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"),
        *("--loglevel", "warning"),
    )


def serve_command(port: int, host: str = "127.0.0.1") -> tuple[str, ...]:
    return (
        *(sys.executable, "-m", "granian", "--interface", "asgi", "--factory"),
        *("--host", host, "--port", str(port), "--workers", "1"),
        "portal.asgi:create_app",
    )


def ops_env(redis_url: str, metrics_urls: Mapping[str, str]) -> dict[str, str]:
    """The /ops settings of the local stack: the shared Redis (panel cache, image ledger,
    audit log) and each service's own /metrics for the live health panel. Every other
    source stays unset, so its panel says "not configured" and names the setting."""
    return {
        "REDIS_URL": redis_url,
        "PORTAL_METRICS_URLS": ",".join(f"{name}={url}" for name, url in metrics_urls.items()),
    }


def portal_env(
    root: Path,
    port: int,
    auth_url: str,
    blog_url: str,
    environ: Mapping[str, str] = os.environ,
    *,
    ops: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Everything the build and the server need: toolchain, public URL, the APIs to call,
    and the ops dashboard's settings (`ops`)."""
    return {
        **(ops or {}),
        **toolchain_env(root, environ),
        # Baked into the frontend by the build: where the browser finds the state websocket.
        "REFLEX_API_URL": f"http://localhost:{port}",
        "REFLEX_DEPLOY_URL": f"http://localhost:{port}",
        "PORTAL_AUTH_URL": auth_url,
        "PORTAL_BLOG_URL": blog_url,
        "LOG_LEVEL": "INFO",
    }


def portal_process(
    root: Path,
    port: int,
    auth_url: str,
    blog_url: str,
    *,
    ops: Mapping[str, str] | None = None,
) -> ServiceProcess:
    """The portal row of a process table: built first, then served on `port`."""
    return ServiceProcess(
        name="portal",
        command=serve_command(port),
        port=port,
        ready_url=f"http://127.0.0.1:{port}/readyz",
        env=portal_env(root, port, auth_url, blog_url, ops=ops),
        upstream=PORTAL,
        build=build_command(),
        package="portal",
    )


def private_app_dir(root: Path, app_dir: Path) -> Path:
    """A folder that builds and serves the workspace's portal with its own `.web/`.

    Tests and benchmarks build for their own port; doing so in the workspace would replace
    the frontend a running `make dev` serves. The app code is linked, not copied.
    """
    app_dir.mkdir(parents=True, exist_ok=True)
    link = app_dir / "portal"
    if not link.exists():
        link.symlink_to(root / "portal", target_is_directory=True)
    shutil.copy(root / "rxconfig.py", app_dir / "rxconfig.py")
    return app_dir
