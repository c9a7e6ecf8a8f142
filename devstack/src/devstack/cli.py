"""The `devstack` command: `up` (the whole local stack), `edge` (just the edge), `admin EMAIL`,
`demo-peers` (the demo's Kubernetes API and AWS peers, filled with the demo data set).

`make dev` runs `devstack up`; `make dev DEMO=1` runs `devstack up --demo`. `devstack edge` and
`devstack demo-peers` are what the process table starts for the edge and the demo peers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from devstack._proc import EmbeddedServerError
from devstack.admin import admin
from devstack.demo.model import DemoSize
from devstack.demo.serve import serve as serve_demo_peers
from devstack.demo.wiring import AWS_PEER_PORT, KUBE_PEER_PORT
from devstack.edge import create_edge_app
from devstack.routes import UPSTREAMS
from devstack.stack import EDGE_PORT, StackConfig, StackError, find_root, up


def _upstream(value: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected NAME=http://HOST:PORT, got {value!r}")
    if name not in UPSTREAMS:
        known = ", ".join(UPSTREAMS)
        raise argparse.ArgumentTypeError(f"unknown upstream {name!r}; known: {known}")
    return name, url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack", description="The local blog-platform stack.")
    commands = parser.add_subparsers(dest="command", required=True)

    root_help = "workspace root holding .data/ (default: found from the working directory)"
    run_up = commands.add_parser(
        "up", help="PostgreSQL, Redis, migrations, services and the edge; Ctrl-C stops all"
    )
    run_up.add_argument("--root", type=Path, help=root_help)
    run_up.add_argument(
        "--demo",
        action="store_true",
        help="also run the demo peers (Kubernetes API, moto) and fill /ops from the demo data",
    )

    demo = commands.add_parser(
        "demo-peers", help="the demo's Kubernetes API and AWS peers, filled; Ctrl-C stops them"
    )
    defaults = DemoSize()
    demo.add_argument("--kube-port", type=int, default=KUBE_PEER_PORT)
    demo.add_argument("--aws-port", type=int, default=AWS_PEER_PORT)
    demo.add_argument("--kubeconfig", type=Path, required=True, help="where to write it")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--apps", type=int, default=defaults.apps)
    demo.add_argument("--reports", type=int, default=defaults.reports)
    demo.add_argument("--cost-days", type=int, default=defaults.cost_days)

    edge = commands.add_parser("edge", help="only the edge (reverse proxy by the route table)")
    edge.add_argument("--port", type=int, default=EDGE_PORT)
    edge.add_argument("--host", default="127.0.0.1")
    edge.add_argument(
        "--upstream",
        type=_upstream,
        action="append",
        default=[],
        metavar="NAME=URL",
        help=f"where a route-table upstream runs ({', '.join(UPSTREAMS)}); repeatable",
    )

    promote = commands.add_parser("admin", help="promote an existing user to admin")
    promote.add_argument("email")
    promote.add_argument("--root", type=Path, help=root_help)
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM while servers start: unwind like Ctrl-C so they are stopped, not orphaned.
    raise KeyboardInterrupt


def _run_up(config: StackConfig) -> int:
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return up(config)
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "edge":
        app = create_edge_app(dict(args.upstream))
        # proxy_headers=False: the edge is the first hop, it must not trust X-Forwarded-For.
        uvicorn.run(app, host=args.host, port=args.port, proxy_headers=False, log_level="info")
        return 0
    if args.command == "demo-peers":
        return serve_demo_peers(
            kube_port=args.kube_port,
            aws_port=args.aws_port,
            kubeconfig=args.kubeconfig,
            size=DemoSize(apps=args.apps, reports=args.reports, cost_days=args.cost_days),
            seed=args.seed,
            redis_url=os.environ.get("REDIS_URL", ""),
            out=sys.stdout,
        )
    try:
        config = StackConfig.from_env(args.root or find_root())
        if args.command == "up":
            return _run_up(dataclasses.replace(config, demo=args.demo))
        return admin(config, args.email)
    except (StackError, EmbeddedServerError) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
