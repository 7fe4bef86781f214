"""The built wheel is complete: it builds without packaging warnings, installs into a fresh
virtual environment from the lock, and that install (not this checkout) serves the widget, the
dashboard and the demo page, and migrates its database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.procs import ROOT, ServerProcess
from tests.rest import rest

PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation")
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "chatserver", "web")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the sources, so the checkout gets no build/ or egg-info."""
    work = tmp_path_factory.mktemp("wheel")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / "src" / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (work / "src").mkdir(exist_ok=True)
            shutil.copy(source, work / "src" / name)
    build = subprocess.run(
        [*PIP_WHEEL, "-w", str(work / "dist"), str(work / "src")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "BuildBackendWarning" not in build.stdout + build.stderr, "setuptools warns about the package layout"
    (built,) = (work / "dist").glob("chatserver-*.whl")
    return built


def test_the_wheel_ships_every_web_asset(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    web = ROOT / "web"  # the top-level web/ installs as the package chatserver.web
    expected = {
        f"chatserver/web/{p.relative_to(web).as_posix()}"
        for p in web.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    shipped = {name for name in names if name.startswith("chatserver/web/")}
    assert expected and shipped == expected, (sorted(expected - shipped), sorted(shipped - expected))


def test_an_installed_wheel_serves_the_widget_and_the_dashboard(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    uv = str(Path(sys.executable).parent / "uv")
    install = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            python,
            "--constraint",
            str(ROOT / "constraints.txt"),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    where = subprocess.run(
        [python, "-c", "import chatserver; print(chatserver.__file__)"], capture_output=True, text=True, cwd=tmp_path
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", "PYTHONPATH": ""}
    server = ServerProcess(env, python=python, cwd=tmp_path).start()
    try:
        for path, marker in (("/widget.js", b"data-business-id"), ("/dashboard/", b"<html"), ("/demo", b"<html")):
            status, body = rest(server.http_url, "GET", path, timeout=10, decode=False)
            assert status == 200 and marker in body, path
    finally:
        server.stop()
