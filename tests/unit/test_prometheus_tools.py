"""tools/prometheus_tools.py installs promtool and amtool only from an archive or package whose
SHA-256 is the pinned one, and keeps only the tool."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
import yaml

from tools import prometheus_tools as pt


def _own_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(pt, "TOOLS", tmp_path / "bin")
    return tmp_path / "bin"


def _tar(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _deb(entries: dict[str, bytes]) -> bytes:
    """A .deb as dpkg-deb builds it: an ar archive of debian-binary, control.tar.xz and data.tar.xz."""
    out = [b"!<arch>\n"]
    for name, body in (("debian-binary", b"2.0\n"), ("control.tar.xz", _tar({}, "w:xz")), ("data.tar.xz", _tar(entries, "w:xz"))):
        out.append(f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(body):<10}`\n".encode())
        out.append(body + (b"\n" if len(body) % 2 else b""))
    return b"".join(out)


def test_every_upstream_archive_and_package_is_pinned():
    for upstream in (pt.PROMETHEUS, pt.ALERTMANAGER):
        assert set(upstream.sha256) == {(o, a) for o in ("linux", "darwin") for a in ("amd64", "arm64")}
        assert len(set(upstream.sha256.values())) == 4
    for package in (pt.TRIXIE_PROMTOOL, pt.BOOKWORM_PROMETHEUS, pt.TRIXIE_ALERTMANAGER):
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in package.sha256.values())
        assert package.url("amd64").startswith("http://deb.debian.org/debian/pool/main/p/")


def test_the_release_archive_version_is_the_one_the_pinned_chart_runs():
    from components.core.catalog.charts import KUBE_PROMETHEUS_STACK
    from tests.conftest import ROOT

    values = yaml.safe_load((ROOT / "tests/data/charts" / f"kube-prometheus-stack-{KUBE_PROMETHEUS_STACK.version}-values.yaml").read_text())
    assert values["prometheus"]["prometheusSpec"]["image"]["tag"].removeprefix("v").split("-")[0] == pt.PROMETHEUS.version
    assert values["alertmanager"]["alertmanagerSpec"]["image"]["tag"].removeprefix("v") == pt.ALERTMANAGER.version


def test_a_release_archive_with_the_pinned_checksum_gives_only_the_tool(monkeypatch, tmp_path):
    where = ("darwin", "arm64")
    folder = pt.PROMETHEUS.archive(where).removesuffix(".tar.gz")
    archive = _tar({f"{folder}/promtool": b"#!/bin/sh\necho promtool\n", f"{folder}/prometheus": b"server"})
    upstream = pt.Upstream("prometheus", pt.PROMETHEUS.version, {where: hashlib.sha256(archive).hexdigest()}, "test")
    bin_dir = _own_folder(monkeypatch, tmp_path)
    installed = pt.install_from_archive(pt.PROMTOOL, upstream, archive, where)
    assert installed == bin_dir / "promtool" and installed.read_bytes() == b"#!/bin/sh\necho promtool\n"
    assert installed.stat().st_mode & 0o111
    assert sorted(p.name for p in bin_dir.iterdir()) == ["promtool"]


def test_an_archive_that_is_not_the_pinned_one_is_refused(monkeypatch, tmp_path):
    bin_dir = _own_folder(monkeypatch, tmp_path)
    with pytest.raises(SystemExit, match="not the pinned f665c6da"):
        pt.install_from_archive(pt.PROMTOOL, pt.PROMETHEUS, _tar({"x": b"y"}), ("linux", "amd64"))
    with pytest.raises(SystemExit, match="not the pinned 76ee08c2"):
        pt.install_from_deb(pt.AMTOOL, pt.TRIXIE_ALERTMANAGER, _deb({"./usr/bin/amtool": b"fake"}), "amd64")
    assert not bin_dir.exists()


def test_a_debian_package_with_the_pinned_checksum_gives_only_the_tool(monkeypatch, tmp_path):
    deb = _deb({"./usr/bin/amtool": b"amtool binary", "./usr/bin/prometheus-alertmanager": b"server"})
    package = pt.DebianPackage("prometheus-alertmanager", "prometheus-alertmanager", "0.28.1+ds-1",
                               {"amd64": hashlib.sha256(deb).hexdigest()}, "trixie")
    bin_dir = _own_folder(monkeypatch, tmp_path)
    assert pt.install_from_deb(pt.AMTOOL, package, deb, "amd64").read_bytes() == b"amtool binary"
    assert sorted(p.name for p in bin_dir.iterdir()) == ["amtool"]


def test_without_github_the_debian_package_is_used(monkeypatch, tmp_path):
    import urllib.error

    bin_dir = _own_folder(monkeypatch, tmp_path)
    deb = _deb({"./usr/bin/promtool": b"promtool binary"})
    trixie = pt.DebianPackage("promtool", "prometheus", "2.53.3+ds1-2", {"amd64": hashlib.sha256(deb).hexdigest()}, "trixie")
    tool = pt.Tool("promtool", pt.PROMETHEUS, [trixie])

    def download(url):
        if "github.com" in url:
            raise urllib.error.URLError("Name or service not known")
        assert url == trixie.url("amd64")
        return deb

    monkeypatch.setattr(pt, "_download", download)
    monkeypatch.setattr(pt, "target", lambda: ("linux", "amd64"))
    path, notes = pt.fetch(tool)
    assert path == bin_dir / "promtool" and "Debian trixie promtool 2.53.3+ds1-2" in notes[0]


def test_the_tests_use_the_projects_tool_first(monkeypatch, tmp_path):
    bin_dir = _own_folder(monkeypatch, tmp_path)
    bin_dir.mkdir()
    (bin_dir / "amtool").write_text("")
    assert pt.found(pt.AMTOOL) == bin_dir / "amtool"
