"""The platform's default program, as data: `program.toml`, `intake.toml`, `reassessment.toml`,
one file per
information module and awareness exercise, and the illustrations. Assembled into one document
here; tenants publish versions derived from it (see `programs.configuration`)."""

from __future__ import annotations

import copy
import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

ROOT = files("pelvicoach.programs").joinpath("content")


def _toml(path: Traversable) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


def _keyed(folder: str) -> list[dict[str, Any]]:
    """Each `<key>.toml` in `folder` as a dict with its key, in the order its files give."""
    items = [
        {"key": path.name.removesuffix(".toml"), **_toml(path)}
        for path in ROOT.joinpath(folder).iterdir()
        if path.name.endswith(".toml")
    ]
    return sorted(items, key=lambda item: (item["order"], item["key"]))


@cache
def _default() -> dict[str, Any]:
    return {
        **_toml(ROOT.joinpath("program.toml")),
        "questions": _toml(ROOT.joinpath("intake.toml"))["questions"],
        "reassessment": _toml(ROOT.joinpath("reassessment.toml")),
        "modules": _keyed("modules"),
        "exercises": _keyed("exercises"),
    }


def default_document() -> dict[str, Any]:
    """A fresh copy of the default program, safe to merge overrides into."""
    return copy.deepcopy(_default())


@cache
def illustration(name: str) -> str | None:
    """An illustration's SVG markup (project-drawn, no scripts), or None if there is none."""
    if "/" in name or not name.endswith(".svg"):
        return None
    path = ROOT.joinpath("illustrations", name)
    return path.read_text("utf-8") if path.is_file() else None


@cache
def illustrations() -> frozenset[str]:
    return frozenset(
        p.name for p in ROOT.joinpath("illustrations").iterdir() if p.name.endswith(".svg")
    )
