"""Reading terraform/ for the house rules (test_terraform_rules.py): every .tf file parsed
once with python-hcl2, a directory as one Config with its blocks, variables and locals, and
`${var.x}` / `${local.x}` followed to their values."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
_REFERENCE = re.compile(r"^\$\{(?:tostring\()?(var|local)\.(\w+)\)?\}$")

Doc = dict[str, Any]


# --- reading a configuration ----------------------------------------------------------------


@functools.cache
def _parse(text: str) -> Doc:
    """python-hcl2 is slow; the same file text is parsed once per test session."""
    parsed: Doc = hcl2.loads(text, serialization_options=_OPTIONS)
    return parsed


class Config:
    """The .tf files of one directory (one Terraform module), parsed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.docs: list[tuple[Path, Doc]] = [
            (path, copy.deepcopy(_parse(path.read_text())))
            for path in sorted(directory.glob("*.tf"))
        ]

    def blocks(self, kind: str) -> Iterator[tuple[Path, Doc]]:
        for path, doc in self.docs:
            for block in doc.get(kind, []):
                yield path, block

    def labelled(self, kind: str) -> Iterator[tuple[str, Doc]]:
        """`variable "x" {}` -> ("x", body); `resource "t" "n" {}` -> ("t.n", body)."""
        for _, block in self.blocks(kind):
            for label, body in block.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        yield f"{label}.{name}", inner
                else:
                    yield label, body

    def of_type(self, kind: str, type_name: str) -> Iterator[tuple[str, Doc]]:
        for address, body in self.labelled(kind):
            if address.split(".")[0] == type_name:
                yield address.split(".", 1)[1], body

    def locals(self) -> Doc:
        merged: Doc = {}
        for _, block in self.blocks("locals"):
            merged.update(block)
        return merged

    def variables(self) -> dict[str, Doc]:
        return dict(self.labelled("variable"))

    def resolve(self, value: Any) -> Any:
        """Follow `${var.x}` (to its default) and `${local.x}`; anything else stays as written."""
        for _ in range(5):
            if not isinstance(value, str) or not (match := _REFERENCE.match(value)):
                return value
            kind, name = match.groups()
            if kind == "var":
                value = self.variables().get(name, {}).get("default")
            else:
                value = self.locals().get(name)
        return value


def source_files(root: Path, pattern: str = "*") -> list[Path]:
    """Files under root, leaving out hidden folders such as .terraform (downloaded modules),
    as terraform fmt does."""
    return sorted(
        p
        for p in root.rglob(pattern)
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])
    )


def configs(root: Path) -> list[Config]:
    return [Config(d) for d in sorted({p.parent for p in source_files(root, "*.tf")})]


def rel(config: Config, root: Path) -> str:
    return config.directory.relative_to(root).as_posix()
