"""`devstack demo-peers`: the demo's protocol peers in one process, filled and kept running.

moto (S3, Cost Explorer) starts first and is loaded; then the Kubernetes API peer gets every
object and only then starts listening, so the moment it answers, the whole data set is in
(its list URL is the process's readiness URL). SIGTERM or Ctrl-C stops both servers.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

from devstack.demo.dataset import generate
from devstack.demo.load import load_aws, load_kube, prefill_ledger
from devstack.demo.model import DemoSize
from devstack.peers.aws import MotoPeer
from devstack.peers.kube import KubePeer

__all__ = ["serve"]

FORECAST_GAP = "get_cost_forecast action has not been implemented"


class _ForecastGapFilter(logging.Filter):
    """Drop moto's traceback for GetCostForecast, which it lacks: the portal expects that
    and projects linearly; a 40-line traceback on every cost refresh would read as a failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        return FORECAST_GAP not in record.getMessage()


def serve(
    *,
    kube_port: int,
    aws_port: int,
    kubeconfig: Path,
    size: DemoSize,
    seed: int,
    redis_url: str,
    out: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Run until `stop` is set, or SIGTERM/SIGINT when called from the main thread."""
    stop = stop if stop is not None else _stop_on_signals()
    logging.getLogger("werkzeug").addFilter(_ForecastGapFilter())
    started = time.monotonic()
    data = generate(seed, size)
    with MotoPeer(port=aws_port) as aws:
        load_aws(aws, data)
        ledger = prefill_ledger(redis_url, data) if redis_url else 0
        kube = KubePeer(port=kube_port)
        load_kube(kube, data)
        with kube:
            kubeconfig.parent.mkdir(parents=True, exist_ok=True)
            kube.write_kubeconfig(kubeconfig)
            kubeconfig.chmod(0o600)
            out.write(
                f"demo peers ready in {time.monotonic() - started:.1f} s: Kubernetes API "
                f"{kube.url} ({len(data.applications)} Applications, "
                f"{len(data.vulnerability_reports)} VulnerabilityReports), moto {aws.url} "
                f"({len(data.trivy_reports)} Trivy reports in s3://{data.bucket}, "
                f"{size.cost_days} days of cost; no GetCostForecast in moto, so the cost panel "
                f"projects linearly), {ledger} image ledger entries\n"
            )
            out.flush()
            stop.wait()
    return 0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
