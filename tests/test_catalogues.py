"""The Dutch and English catalogues hold every text the code and the templates mark for
translation, and translate each one (English, the source language, repeats the text)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

LANGUAGES = ["nl", "en"]


def _sources() -> list[str]:
    """The tree's own texts: manage.py, templates, catalogues and every installed app of ours
    (read from the settings, so a new app's texts are checked without anyone remembering)."""
    from django.apps import apps

    root = Path(settings.BASE_DIR).resolve()
    ours = sorted(
        {
            Path(config.path).resolve().relative_to(root).parts[0]
            for config in apps.get_app_configs()
            if Path(config.path).resolve().is_relative_to(root)
        }
    )
    return ["manage.py", "templates", "locale", *ours]


def _catalogue(root: Path, language: str) -> polib.POFile:
    return polib.pofile(str(root / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree with its catalogues made afresh from the code as it is now."""
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is not installed; `make test` installs it")
    root = Path(settings.BASE_DIR)
    tree = tmp_path_factory.mktemp("tree")
    for name in _sources():
        source = root / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tree / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", "-v0"]
        + [f"--locale={language}" for language in LANGUAGES],
        cwd=tree,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=True,
    )
    return tree


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_every_text_marked_for_translation(extracted, language):
    wanted = {(entry.msgctxt, entry.msgid) for entry in _catalogue(extracted, language)}
    kept = {
        (entry.msgctxt, entry.msgid)
        for entry in _catalogue(Path(settings.BASE_DIR), language)
        if not entry.obsolete
    }
    missing = sorted(msgid for _context, msgid in wanted - kept)
    assert not missing, f"run `make makemessages` and translate: {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_in_the_catalogue_is_translated(language):
    catalogue = _catalogue(Path(settings.BASE_DIR), language)
    assert catalogue.metadata.get("Language") == language
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_compiles(language, tmp_path):
    """msgfmt refuses a translation whose format directives differ from its text's (such as
    "80 % van", read as a directive): compilemessages would fail on a fresh checkout."""
    catalogue = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(catalogue)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
