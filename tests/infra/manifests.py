"""Built Kubernetes objects as the offline checks read them: their type, the type of the
cached `kubectl kustomize` fixture (conftest.py), and a filter by kind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Manifest = dict[str, Any]
KustomizeBuild = Callable[[Path], list[Manifest]]


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [obj for obj in objects if obj["kind"] == kind]
