"""Program content is data: read once from `programs/content/*.toml`."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def load(name: str) -> dict[str, Any]:
    return tomllib.loads(
        files("pelvicoach.programs").joinpath("content", f"{name}.toml").read_text("utf-8")
    )


def phases(locale: str) -> list[dict[str, str]]:
    """The program's steps in order, each with its key, title and text in `locale`."""
    data = load("phases")
    return [
        {"key": key, **step[locale]}
        for key, step in sorted(data.items(), key=lambda item: item[1]["order"])
    ]
