"""The Dagster UI in headless Chromium (Debian's `chromium`, driven by Playwright for Python).

Chromium runs with the flags that keep it off the network (no background networking, component
updates, sync or QUIC): the machine has no network and the project sends nothing anywhere. Without a
browser the check is skipped on a workstation and fails in CI, where `make test` installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SB_CHROMIUM", "/usr/bin/chromium")
OFFLINE_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps"]


def require_browser():
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install -e '.[dev]')")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _dismiss_welcome(page) -> None:
    """Dagster's first-visit "Join the community" dialog (nothing is sent unless submitted)."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.click(timeout=5_000)
    except Exception:  # not shown: nothing to dismiss
        pass


def check_the_ui(url: str, groups: dict[str, list[str]], report: dict, shots: Path) -> list[Path]:
    """Open the lineage of every asset group and the quality report's page; fail on anything missing.

    Returns the screenshots it saved under `shots`."""
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # the UI loads live data after the page; a shared machine is slow
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{url}/asset-groups", wait_until="networkidle")
            _dismiss_welcome(page)
            for group in groups:
                expect(page.get_by_text(group, exact=True).first).to_be_visible()
            saved.append(shots / "lineage.png")
            page.screenshot(path=saved[-1])

            for group, assets in sorted(groups.items()):
                page.goto(f"{url}/locations/sb_pipeline/asset-groups/{group}/lineage", wait_until="networkidle")
                saved.append(shots / f"lineage-{group}.png")
                page.screenshot(path=saved[-1])
                for asset in assets:
                    expect(page.get_by_text(asset, exact=True).first).to_be_attached()
                expect(page.get_by_text("Materialized", exact=True)).to_have_count(len(assets))

            page.goto(f"{url}/assets/quality_report", wait_until="networkidle")
            table = page.locator("table").filter(has_text="as_of")
            expect(table).to_contain_text(report["as_of"])
            expect(table.locator("tr").filter(has_text="alerts").first).to_contain_text(str(report["alerts"]))
            saved.append(shots / "quality_report.png")
            page.screenshot(path=saved[-1], full_page=True)
            page.get_by_text("[Show Markdown]").first.click()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text("Crackerjack Quality Report")
            expect(dialog).to_contain_text("CRITICAL")
            expect(dialog.locator("table").first).to_be_visible()  # the trend table rendered, not raw markdown
            page.wait_for_timeout(1_000)  # let the dialog's fade-in finish before the picture
            saved.append(shots / "quality_report_summary.png")
            page.screenshot(path=saved[-1])
        finally:
            browser.close()
    return saved
