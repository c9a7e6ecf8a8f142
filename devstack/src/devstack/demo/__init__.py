"""The demo data set behind `make dev DEMO=1`, and what loads it into the protocol peers.

`generate(seed, size)` builds Argo CD Applications, trivy-operator VulnerabilityReports, the
CI pipeline's Trivy JSON reports and daily AWS cost, in the shapes the real systems answer,
deterministic from the seed. The loader puts them into the Kubernetes API peer and moto,
where the portal's real adapters read them.
"""

from devstack.demo.dataset import DemoData, generate, trivy_key
from devstack.demo.model import DEMO_BUCKET, REGISTRY, DemoSize, image_for

__all__ = ["DEMO_BUCKET", "REGISTRY", "DemoData", "DemoSize", "generate", "image_for", "trivy_key"]
