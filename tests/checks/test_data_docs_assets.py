"""The Data Docs site carries its own scripts, styles and icons, so it works without internet."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from attendance_bridge.checks import DATA_DOCS_FOLDER, data_docs
from attendance_bridge.checks.data_docs import ASSETS_DIR, VENDORED, localise

from tests.checks.test_data_docs import run_both_gates

BOOTSTRAP_JS = "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js"
LOCAL_LINK = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)="(?!https?:|#)([^"]+)\"""")


def bootstrap_page(folder: Path) -> Path:
    """A page loading Bootstrap's script from the CDN as GX writes it, integrity hash and all."""
    page = folder / "site" / "index.html"
    page.parent.mkdir()
    page.write_text(
        f'<script src="{BOOTSTRAP_JS}" integrity="sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM" '
        'crossorigin="anonymous"></script>'
    )
    return page


def test_every_kept_file_is_there() -> None:
    for name in set(VENDORED.values()):
        assert (ASSETS_DIR / name).is_file(), name
    assert (ASSETS_DIR / "fontawesome-free-6.6.0" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_a_built_site_names_no_cdn_it_replaces_and_every_kept_file_link_resolves(tmp_path: Path) -> None:
    run_both_gates(tmp_path)
    site = tmp_path / DATA_DOCS_FOLDER
    pages = list(site.rglob("*.html"))
    assert len(pages) > 2
    for page in pages:
        content = page.read_text()
        assert not [url for url in VENDORED if url in content], page
        # (GX's own favicon link is one folder short on validation pages; not ours to mend.)
        for link in (link for link in LOCAL_LINK.findall(content) if "static/vendor/" in link):
            assert (page.parent / link.split("?")[0]).resolve().is_file(), f"{page.name}: {link}"
    # The pages use the kept scripts: jQuery is linked from the index.
    assert "static/vendor/jquery-3.7.1.min.js" in (site / "index.html").read_text()


def test_a_kept_file_that_is_not_the_cdn_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, kept)
    (kept / "bootstrap-4.3.1.min.js").write_text("/* not bootstrap */")
    monkeypatch.setattr(data_docs, "ASSETS_DIR", kept)
    page = bootstrap_page(tmp_path)
    with pytest.raises(ValueError, match="is not the file"):
        localise(page.parent)


def test_the_cdn_integrity_hash_is_checked_and_dropped_for_the_real_file(tmp_path: Path) -> None:
    page = bootstrap_page(tmp_path)
    assert localise(page.parent) == 1
    assert page.read_text() == '<script src="static/vendor/bootstrap-4.3.1.min.js"></script>'
