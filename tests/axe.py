"""axe-core in the page: WCAG 2.1 A and AA violations, for the browser tests."""

from __future__ import annotations

from pathlib import Path

from conftest import unavailable
from playwright.sync_api import Page

AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[str]:
    if not AXE.exists():
        unavailable("axe-core not installed (npm ci in tests/browser)")
    # A click's navigation can commit (the URL changes) before the new document has a head.
    page.wait_for_load_state("load")
    # Without motion axe sees each element's real colours, not a hover's or a fake clock's
    # transition caught halfway (a link just clicked, with the pointer still on it).
    page.emulate_media(reduced_motion="reduce")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_AA,
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]
