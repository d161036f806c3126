"""What differs between two program documents, as rows a person can read side by side.

Lists of keyed items (modules, levels, questions, options) are compared item by item on their
identity, not their position, so adding a module shows one new module rather than every later
one as changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pelvicoach.programs.configuration.overrides import IDENTITY

Path = tuple[str, ...]


@dataclass(frozen=True)
class Change:
    path: Path
    before: Any  # None: not in the older document
    after: Any  # None: not in the newer one

    @property
    def label(self) -> str:
        return " › ".join(part.replace("_", " ") for part in self.path)


def _identity(items: list[Any]) -> str | None:
    for name in IDENTITY:
        if items and all(isinstance(item, dict) and name in item for item in items):
            return name
    return None


def flatten(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf of `value` with its path; keyed list items by their key."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, (*path, str(key)))
    elif isinstance(value, list) and (identity := _identity(value)):
        for item in value:
            rest = {k: v for k, v in item.items() if k != identity}
            yield from flatten(rest, (*path, f"{identity} {item[identity]}"))
    else:
        yield path, value


def changes(older: dict[str, Any], newer: dict[str, Any]) -> list[Change]:
    """The leaves that differ, in the newer document's order, then those only the older has."""
    before, after = dict(flatten(older)), dict(flatten(newer))
    found = [
        Change(path, before.get(path), value)
        for path, value in after.items()
        if before.get(path) != value
    ]
    found += [Change(path, value, None) for path, value in before.items() if path not in after]
    return found


def for_audit(found: list[Change], limit: int = 50) -> list[list[Any]]:
    """Changes as the audit trail keeps them: each path with its before and after."""
    return [[change.label, change.before, change.after] for change in found[:limit]]


def publication(
    before_number: int, before: dict[str, Any], after: dict[str, Any], **facts: Any
) -> dict[str, Any]:
    """A new version as the audit trail keeps it: from which version, to which, and what
    changed on the way."""
    return {
        "before": {"version": before_number},
        "after": facts,
        "changes": for_audit(changes(before, after)),
    }
