"""A person's path through the site in real headless Chromium: choose a file, upload
it with the form, see the confirmation, download it back and compare the bytes.

The app is the instance's (deployed by its user_data), reached at the stack's app_url.
Third of the main stack's modules (see conftest).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = os.environ.get("FILESTORE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            "(make setup) or point FILESTORE_CHROMIUM at a Chromium binary",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_upload_and_download_with_the_form(browser, deployment, tmp_path):
    name = f"browser résumé {uuid.uuid4().hex[:6]}.txt"
    content = ("Bonjour, ceci est un fichier de test — 猫\n" * 200).encode()
    source = tmp_path / name
    source.write_bytes(content)

    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(deployment.app_url + "/")
        assert page.title() == "Filestore"
        page.set_input_files("input#file", str(source))
        page.click("button[type=submit]")

        page.wait_for_selector("text=Upload complete")
        assert page.inner_text("h1.filename") == name
        assert str(len(content)) in page.inner_text("dl.details")

        with page.expect_download() as info:
            page.click("#download-link")
        download = info.value
        assert download.failure() is None
        assert download.suggested_filename == name
        assert Path(download.path()).read_bytes() == content

        # the home page now lists it, linked to that download
        page.goto(deployment.app_url + "/")
        assert page.locator("table.uploads a", has_text=name).count() == 1
    finally:
        context.close()
