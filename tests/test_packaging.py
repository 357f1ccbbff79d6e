"""The wheel carries the whole bot: every package of the source tree, and the top-level
`migrations/` folder as `mwgbot.migrations`, so an installed `mwgbot db upgrade` can migrate."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def listed_packages() -> dict[str, Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    mapped = {name: ROOT / folder for name, folder in setuptools.get("package-dir", {}).items()}
    packages: dict[str, Path] = {}
    for name in setuptools["packages"]:
        parent = next((p for p in mapped if name == p or name.startswith(p + ".")), None)
        if parent is None:
            packages[name] = ROOT.joinpath(*name.split("."))
        else:
            packages[name] = mapped[parent].joinpath(*name[len(parent) + 1 :].split("."))
    return packages


def source_packages() -> set[Path]:
    """Every folder of Python modules the bot is made of."""
    folders = {p.parent for p in (ROOT / "mwgbot").rglob("*.py")}
    folders |= {p.parent for p in (ROOT / "migrations").rglob("*.py")}
    return {f for f in folders if "__pycache__" not in f.parts}


def test_every_source_package_is_listed_in_pyproject() -> None:
    listed = listed_packages()
    assert set(listed.values()) == source_packages(), (
        "pyproject.toml's [tool.setuptools] packages must list every package folder"
    )
    for name, folder in listed.items():
        assert (folder / "__init__.py").exists(), f"{name} ({folder}) has no __init__.py"


# What the Dockerfile copies into the image before `pip install .`.
IMAGE_FILES = ("pyproject.toml", "README.md", "mwgbot", "migrations")


@pytest.mark.slow
def test_the_wheel_holds_the_migrations_inside_the_package(tmp_path: Path) -> None:
    source = tmp_path / "app"
    source.mkdir()
    for name in IMAGE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("mwgbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mwgbot/migrations/env.py" in names
    assert "mwgbot/migrations/script.py.mako" in names
    versions = {n for n in names if n.startswith("mwgbot/migrations/versions/0")}
    expected = {
        f"mwgbot/migrations/versions/{p.name}" for p in (ROOT / "migrations/versions").glob("0*.py")
    }
    assert versions == expected
    assert not any(n.startswith("migrations/") for n in names), "no top-level package"
