"""A maintainer's session in the Dagster UI, in a real headless Chromium.

The test starts its own `dagster dev` (webserver and the daemon that dequeues runs) on a loopback
port, in its own process group, on a copy of the state the sample run left (warehouse, instance;
the other tests read the original meanwhile), and stops the whole group at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from pipelines import settings
from tests.end_to_end.conftest import pipeline_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = settings.PROJECT_ROOT / "artifacts"
# Quality is asset checks on the assets of the other groups, shown on each asset.
STAGE_GROUPS = ("ingest", "privacy", "models", "release")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (CI installs it; see .ci/run)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def webserver(pipeline_run, tmp_path):
    shutil.copytree(pipeline_run.data_dir, tmp_path / "data", symlinks=True)
    port = free_port()
    log = (tmp_path / "webserver.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-m",
            "pipelines.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=tmp_path,
        env=pipeline_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "dagster dev did not start: "
                        + (tmp_path / "webserver.log").read_text()[-3000:]
                    ) from None
                time.sleep(1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def follow(page: Page, path: str) -> None:
    """Go to `path` within the app, as its own links do: the page is not loaded again (each load
    parses the UI's scripts and asks the webserver for the workspace again)."""
    page.evaluate(
        "path => { history.pushState(null, '', path);"
        " dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )


def test_a_maintainer_sees_the_stages_and_materializes_an_asset(webserver):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            # Dagster's first-visit newsletter prompt, if it shows, covers the page: a maintainer
            # skips it. Playwright clicks it away whenever it is in the way of a step below.
            page.add_locator_handler(
                page.get_by_role("button", name="Skip"), lambda skip: skip.click()
            )

            page.goto(f"{webserver}/asset-groups")
            for group in STAGE_GROUPS:
                expect(page.get_by_text(group, exact=True).first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("fetching statuses")).to_have_count(0, timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "dagster-asset-graph.png"))

            follow(page, "/assets/scrubbed/turns?view=checks")
            expect(page.get_by_text("no_residual_personal_data").first).to_be_visible(
                timeout=60_000
            )
            page.screenshot(path=str(ARTIFACTS / "dagster-asset-checks.png"))

            follow(page, "/assets/prompts")
            page.get_by_role("button", name=re.compile(r"Materialize$")).first.click(timeout=60_000)
            launched = re.compile(r"Launched run (\w+)")
            toast = page.get_by_text(launched).first.inner_text(timeout=60_000)
            run_id = launched.search(toast).group(1)
            follow(page, "/runs")
            page.get_by_role("link", name=f"run {run_id}").first.click(timeout=60_000)
            expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=400_000)

            follow(page, "/assets/prompts")
            # Dagster shows the `dagster/row_count` metadata as the asset's "Row count".
            expect(page.get_by_text("Row count").first).to_be_visible(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "dagster-materialized-asset.png"), full_page=True)

            follow(page, "/assets/metrics_stage2_kappa_pairs")
            expect(page.get_by_text("kappa_matrix").first).to_be_visible(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "dagster-kappa-matrix.png"), full_page=True)
        finally:
            browser.close()
