"""setup.cfg names every package by hand (find: cannot reach web/, which package_dir maps in):
a package added under chatserver/ and not listed would be missing from the wheel."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_under_chatserver_is_listed_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "chatserver").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk - listed == set(), "add these to [options] packages in setup.cfg"
    assert {p for p in listed if not p.startswith("chatserver.web")} - on_disk == set(), "listed but gone"
