"""Every text of a program document, found by its path, so an admin can word any of them her
own way (in each language) without touching anything else.

A path names keyed items by their key (`modules.anatomy.sections.0.body`), so it stays right
when the platform adds an item; unkeyed lists (a module's sections) by position."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from pelvicoach.platform.config import LOCALES
from pelvicoach.programs.configuration.overrides import IDENTITY

# Where texts live, in the order the editor lists them.
SECTIONS = (
    "disclaimer",
    "steps",
    "modules",
    "exercises",
    "outcomes",
    "guidance",
    "questions",
    "reassessment",
    "cues",
)


def _identity(items: list[Any]) -> str | None:
    for name in IDENTITY:
        if items and all(isinstance(item, dict) and name in item for item in items):
            return name
    return None


def is_text(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= set(LOCALES)
        and all(isinstance(text, str) for text in value.values())
    )


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict[str, str]]]:
    if is_text(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        identity = _identity(value)
        for index, item in enumerate(value):
            yield from _walk(item, (*path, str(item[identity]) if identity else str(index)))


def texts(document: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(path, text) for every text of `document`, section by section."""
    found = []
    for section in SECTIONS:
        if section in document:
            found += [(".".join(path), text) for path, text in _walk(document[section], (section,))]
    return found


def _step(container: Any, part: str) -> Any:
    if isinstance(container, dict):
        return container[part]
    identity = _identity(container)
    if identity:
        return next(item for item in container if str(item[identity]) == part)
    return container[int(part)]


def get(document: dict[str, Any], path: str) -> dict[str, str] | None:
    """The text at `path`, or None when there is none."""
    value: Any = document
    try:
        for part in path.split("."):
            value = _step(value, part)
    except (KeyError, IndexError, ValueError, StopIteration, TypeError):
        return None
    return value if is_text(value) else None


def put(document: dict[str, Any], path: str, text: dict[str, str]) -> dict[str, Any]:
    """A copy of `document` with the text at `path` replaced (the path must exist)."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    container: Any = changed
    for part in parents:
        container = _step(container, part)
    if isinstance(container, dict):
        container[last] = dict(text)
    else:
        index = int(last) if not _identity(container) else container.index(_step(container, last))
        container[index] = dict(text)
    return changed
