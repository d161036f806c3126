"""A program version as the portal and the intake rules read it: plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Program:
    """One published version's document (or the default's, `number` 0, before a tenant has
    published one)."""

    document: dict[str, Any]
    version_id: int | None = None
    number: int = 0

    @property
    def settings(self) -> dict[str, Any]:
        return self.document["settings"]

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.document["steps"]

    @property
    def cues(self) -> dict[str, dict[str, str]]:
        return self.document["cues"]

    @property
    def levels(self) -> list[dict[str, Any]]:
        return self.document["levels"]

    def sets_per_day(self, level: int) -> int:
        """How many sets a day her level asks for (the first level's, for one not known)."""
        levels = self.levels
        return next((item["sets"] for item in levels if item["level"] == level), levels[0]["sets"])

    @property
    def disclaimer(self) -> dict[str, str]:
        return self.document["disclaimer"]

    def outcome(self, key: str) -> dict[str, Any]:
        return self.document["outcomes"][key]

    def guidance(self, key: str) -> dict[str, Any]:
        return self.document["guidance"][key]

    def modules(self, cohort: str) -> list[dict[str, Any]]:
        """Her cohort's modules that the tenant has on."""
        return [
            m for m in self.document["modules"] if cohort in m["cohorts"] and m.get("enabled", True)
        ]

    def module(self, key: str, cohort: str) -> dict[str, Any] | None:
        return next((m for m in self.modules(cohort) if m["key"] == key), None)

    @property
    def exercises(self) -> list[dict[str, Any]]:
        return self.document["exercises"]

    def exercise(self, key: str) -> dict[str, Any] | None:
        return next((e for e in self.exercises if e["key"] == key), None)

    @property
    def iciq_enabled(self) -> bool:
        return bool(self.settings["iciq_enabled"] and self.settings["iciq_licence_confirmed"])

    def questions(self, cohort: str) -> list[dict[str, Any]]:
        """The intake's questions for her cohort, in order; licensed instruments only when on."""
        return [
            q
            for q in self.document["questions"]
            if cohort in q.get("cohorts", [cohort])
            and (q.get("requires") != "iciq" or self.iciq_enabled)
        ]
