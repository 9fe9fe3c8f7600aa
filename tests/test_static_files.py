"""Static files and compressed pages (issue 10 item 5): the storage every collectstatic uses,
the gzipped HTML, and the plotly bundle the chart pages load. The browser's view of the same
(bytes over the wire, the cache) is tests/e2e/test_page_weight.py."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from actions import charts as action_charts
from actions.calculations import ForestRow
from klantbinding.staticfiles import CARTESIAN_TRACES, PLOTLY_CARTESIAN, StaticStorage
from scoring.demo import seed_portfolio

ROOT = Path(settings.BASE_DIR)


def test_every_collectstatic_writes_hashed_compressed_files_by_default():
    # Without a storage named in the environment, and before any manifest exists (the first
    # `make run`, the Docker build), the settings choose the hashing, compressing storage.
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_STATICFILES_STORAGE"
    }
    environment.update(KB_DEVELOPMENT="1", DJANGO_SETTINGS_MODULE="klantbinding.settings")
    code = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"
    backend = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert backend == "klantbinding.staticfiles.StaticStorage"


def test_the_storage_links_hashed_names_once_collected_and_plain_ones_before(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("var answer = 42;\n" * 200)  # worth gzipping
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    assert storage.url("js/app.js") == "/static/js/app.js"  # nothing collected yet
    found = {"js/app.js": (storage, "js/app.js")}
    list(storage.post_process(found))  # what collectstatic does after copying
    hashed = storage.url("js/app.js")
    assert re.fullmatch(r"/static/js/app\.[0-9a-f]{12}\.js", hashed)
    assert (tmp_path / (hashed.removeprefix("/static/") + ".gz")).exists()
    # A file added after the last collectstatic: its plain name, not a 500.
    assert storage.url("js/new.js") == "/static/js/new.js"
    reread = StaticStorage(location=str(tmp_path), base_url="/static/")  # the next process
    assert reread.url("js/app.js") == hashed


@pytest.mark.django_db
def test_pages_are_gzipped(mira):
    seed_portfolio(customers=20, seed=4, history_months=2)
    client = Client(HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    sign_in = client.get(reverse("login"))
    assert sign_in["Content-Encoding"] == "gzip"
    assert b"<form" in gzip.decompress(sign_in.content)
    client.force_login(mira)
    dashboard = client.get(reverse("scoring:dashboard"))
    assert dashboard.status_code == 200 and dashboard["Content-Encoding"] == "gzip"
    plain = Client()
    plain.force_login(mira)
    assert not plain.get(reverse("scoring:dashboard")).has_header("Content-Encoding")


def _figures(html: str) -> dict[str, dict]:
    found = re.findall(r'<script type="application/json" id="figure-([\w-]+)">(.*?)</script>', html)
    return {name: json.loads(text) for name, text in found}


@pytest.mark.django_db
def test_the_dashboard_loads_the_cartesian_bundle_and_draws_only_its_traces(mira):
    seed_portfolio(customers=30, seed=4, history_months=3)
    client = Client()
    client.force_login(mira)
    html = client.get(reverse("scoring:dashboard")).content.decode()
    assert PLOTLY_CARTESIAN in html and "plotly/plotly.min.js" not in html
    figures = _figures(html)
    assert len(figures) == 7
    for name, figure in figures.items():
        types = {trace.get("type", "scatter") for trace in figure["data"]}
        assert types <= CARTESIAN_TRACES, (name, types)


def test_the_effect_report_draws_only_cartesian_traces():
    row = ForestRow(
        estimator="matched",
        action_type_id=1,
        code="contract",
        campaign_id=None,
        kind="customer",
        unit="scale",
        effect=0.5,
        low=0.1,
        high=0.9,
        n_treated=12,
        n_controls=30,
        too_little_data=False,
    )
    figure = action_charts.forest_figure([("raises", row)])
    assert {trace.get("type", "scatter") for trace in figure["data"]} <= CARTESIAN_TRACES
    report = (ROOT / "templates" / "actions" / "report.html").read_text()
    assert PLOTLY_CARTESIAN in report and "plotly/plotly.min.js" not in report


def test_the_cartesian_bundle_is_the_same_plotly_js_as_the_plotly_package():
    # plotly.py writes figures for its own plotly.js (the customer page loads that one); the
    # cartesian bundle must be of the same major version, or figures may not draw alike.
    def version(path: Path) -> str:
        head = path.read_text(encoding="utf-8", errors="replace")[:400]
        match = re.search(r"plotly\.js(?: \([^)]*\))? v(\d+)\.(\d+)\.(\d+)", head)
        assert match, head
        return match.group(1)

    ours = version(ROOT / "static" / PLOTLY_CARTESIAN)
    package = version(Path(plotly.__file__).parent / "package_data" / "plotly.min.js")
    assert ours == package
    assert "cartesian" in (ROOT / "static" / PLOTLY_CARTESIAN).read_text()[:200]
