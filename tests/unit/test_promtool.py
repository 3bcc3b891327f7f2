"""tools/promtool.py fetches Debian's package only when its SHA-256 is the pinned one."""

from __future__ import annotations

import subprocess

import pytest

from tools import promtool


def test_a_package_that_is_not_the_pinned_one_is_refused(monkeypatch, tmp_path):
    def fake_run(cmd, cwd=None, **kwargs):
        if cmd[:2] == ["apt-get", "download"]:
            (cwd / f"{promtool.DEBIAN_PACKAGE}_{promtool.DEBIAN_VERSION}_amd64.deb").write_bytes(b"not the package")
            return subprocess.CompletedProcess(cmd, 0)
        raise AssertionError(f"nothing else may run before the checksum is checked: {cmd}")

    monkeypatch.setattr(promtool.subprocess, "run", fake_run)
    monkeypatch.setattr(promtool, "TOOLS", tmp_path / "bin")
    monkeypatch.setattr(promtool, "PROMTOOL", tmp_path / "bin" / "promtool")
    with pytest.raises(SystemExit, match="not the pinned 81d59a24"):
        promtool.fetch_from_debian("amd64")
    assert not (tmp_path / "bin" / "promtool").exists()


def test_the_tests_use_the_projects_promtool_first(monkeypatch, tmp_path):
    own = tmp_path / "promtool"
    own.write_text("")
    monkeypatch.setattr(promtool, "PROMTOOL", own)
    assert promtool.found() == own
