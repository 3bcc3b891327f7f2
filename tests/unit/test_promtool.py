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


def _release_archive(tmp_path, target, content=b"#!/bin/sh\necho promtool\n"):
    """A tarball shaped like Prometheus's release archive: promtool under prometheus-<V>.<os>-<arch>/."""
    import io
    import tarfile

    archive = tmp_path / promtool.upstream_archive(target)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("promtool", content), ("prometheus", b"server")):
            info = tarfile.TarInfo(f"{promtool.upstream_archive(target).removesuffix('.tar.gz')}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def _own_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(promtool, "TOOLS", tmp_path / "bin")
    monkeypatch.setattr(promtool, "PROMTOOL", tmp_path / "bin" / "promtool")
    return tmp_path / "bin" / "promtool"


def test_the_release_archive_is_pinned_for_linux_and_macos_on_both_architectures():
    assert set(promtool.UPSTREAM_SHA256) == {(o, a) for o in ("linux", "darwin") for a in ("amd64", "arm64")}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in promtool.UPSTREAM_SHA256.values())
    assert len(set(promtool.UPSTREAM_SHA256.values())) == 4


def test_the_release_archive_version_is_the_one_the_pinned_chart_runs():
    import yaml

    from components.core.catalog.charts import KUBE_PROMETHEUS_STACK
    from tests.conftest import ROOT

    values = yaml.safe_load((ROOT / "tests/data/charts" / f"kube-prometheus-stack-{KUBE_PROMETHEUS_STACK.version}-values.yaml").read_text())
    assert values["prometheus"]["prometheusSpec"]["image"]["tag"].removeprefix("v").split("-")[0] == promtool.UPSTREAM_VERSION


def test_a_release_archive_with_the_pinned_checksum_gives_only_promtool(monkeypatch, tmp_path):
    import hashlib

    target = ("darwin", "arm64")
    archive = _release_archive(tmp_path, target)
    monkeypatch.setitem(promtool.UPSTREAM_SHA256, target, hashlib.sha256(archive.read_bytes()).hexdigest())
    installed = _own_folder(monkeypatch, tmp_path)
    assert promtool.install_from_archive(archive, target) == installed
    assert installed.read_bytes() == b"#!/bin/sh\necho promtool\n"
    assert installed.stat().st_mode & 0o111
    assert sorted(p.name for p in installed.parent.iterdir()) == ["promtool"]


def test_a_release_archive_that_is_not_the_pinned_one_is_refused(monkeypatch, tmp_path):
    target = ("linux", "amd64")
    archive = _release_archive(tmp_path, target)
    installed = _own_folder(monkeypatch, tmp_path)
    with pytest.raises(SystemExit, match="not the pinned f665c6da"):
        promtool.install_from_archive(archive, target)
    assert not installed.exists()


def test_without_github_it_falls_back_to_debians_package(monkeypatch, tmp_path, capsys):
    import urllib.error

    installed = _own_folder(monkeypatch, tmp_path)
    monkeypatch.setattr(promtool, "found", lambda: None)
    monkeypatch.setattr(promtool, "upstream_target", lambda: ("linux", "amd64"))

    def unreachable(target):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(promtool, "fetch_upstream", unreachable)
    monkeypatch.setattr(promtool, "_debian_arch", lambda: "amd64")
    monkeypatch.setattr(promtool.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(promtool, "fetch_from_debian", lambda arch: installed)
    assert promtool.main() == 0
    out = capsys.readouterr()
    assert "could not be fetched" in out.err and "Debian prometheus 2.42" in out.out
