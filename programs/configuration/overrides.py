"""A tenant's changes laid over the default program.

Overrides are a partial document: tables merge key by key, lists of keyed items (modules,
exercises, steps, questions and their options, levels) merge item by item on their identity,
new items are added, and anything else is replaced. So a practice can change one title, or one
level, without copying the rest and without missing the platform's later corrections."""

from __future__ import annotations

import copy
from typing import Any

IDENTITY = ("key", "level", "value")


def _identity(items: list[Any]) -> str | None:
    for name in IDENTITY:
        if items and all(isinstance(item, dict) and name in item for item in items):
            return name
    return None


def apply(base: Any, overrides: Any) -> Any:
    """`base` with `overrides` laid over it; neither argument is changed."""
    if isinstance(base, dict) and isinstance(overrides, dict):
        merged = copy.deepcopy(base)
        for key, value in overrides.items():
            merged[key] = apply(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(overrides, list):
        identity = _identity(base)
        if identity is None or _identity(overrides) != identity:
            return copy.deepcopy(overrides)
        merged = copy.deepcopy(base)
        position = {item[identity]: index for index, item in enumerate(merged)}
        for item in overrides:
            if item[identity] in position:
                index = position[item[identity]]
                merged[index] = apply(merged[index], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(overrides)


def filled(document: Any, defaults: Any) -> Any:
    """`document` with the tables and keys it lacks taken from `defaults`: a version published
    before a setting or text existed follows the platform's default for it. Lists are kept as
    they are, so no module, level or question is added to a version after the fact."""
    if not (isinstance(document, dict) and isinstance(defaults, dict)):
        return document
    merged = dict(document)
    for key, value in defaults.items():
        merged[key] = filled(document[key], value) if key in document else copy.deepcopy(value)
    return merged


def difference(base: Any, document: Any) -> Any:
    """The smallest overrides that turn `base` into `document` (`apply(base, difference(base,
    document)) == document` when no keyed item was removed): what an editor stores, so the
    platform's later corrections still reach everything the tenant left as it was. None when
    nothing differs."""
    if isinstance(base, dict) and isinstance(document, dict):
        changed = {}
        for key, value in document.items():
            if key not in base:
                changed[key] = copy.deepcopy(value)
            elif (inner := difference(base[key], value)) is not None:
                changed[key] = inner
        return changed or None
    if isinstance(base, list) and isinstance(document, list):
        identity = _identity(base)
        if identity is None or _identity(document) != identity:
            return None if base == document else copy.deepcopy(document)
        originals = {item[identity]: item for item in base}
        changed_items = []
        for item in document:
            original = originals.get(item[identity])
            if original is None:
                changed_items.append(copy.deepcopy(item))
            elif (inner := difference(original, item)) is not None:
                changed_items.append({identity: item[identity], **inner})
        return changed_items or None
    return None if base == document else copy.deepcopy(document)
