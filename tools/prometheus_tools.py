"""promtool and amtool for the monitoring tests, in the project's own tool folder (.tools/bin),
nothing installed by hand.

    python -m tools.prometheus_tools      (what `make prometheus-tools` runs, and `make test` before the suite)

For each tool, in order:
1. one already in .tools/bin, or on the PATH;
2. the upstream release archive of the version the pinned kube-prometheus-stack runs (Prometheus
   3.14.0, Alertmanager 0.34.0), for Linux and
   macOS on amd64 and arm64, checked against the SHA-256 of the release's sha256sums.txt pinned
   below; only the tool is kept;
3. where GitHub is out of reach, on Linux: Debian 13 (trixie)'s package of it, downloaded straight
   from the Debian archive (no apt, no root), checked against the SHA-256 of trixie's package index
   pinned below, and unpacked here (a .deb is an ar archive holding a tar);
4. for promtool only, on Debian 12 (amd64): Debian 12's package through `apt-get download`.
Anywhere else the script says what to install. The rules and Alertmanager configurations the
project writes are read the same way by every version pinned here (the tests hold that).
"""

from __future__ import annotations

import hashlib
import io
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools" / "bin"
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
DEBIAN_POOL = "http://deb.debian.org/debian/pool/main"


@dataclass(frozen=True)
class Upstream:
    """A Prometheus project's release archive: <project>-<version>.<os>-<arch>.tar.gz."""

    project: str
    version: str
    sha256: dict[tuple[str, str], str]
    source: str

    def archive(self, target: tuple[str, str]) -> str:
        return f"{self.project}-{self.version}.{target[0]}-{target[1]}.tar.gz"

    def url(self, target: tuple[str, str]) -> str:
        return f"https://github.com/prometheus/{self.project}/releases/download/v{self.version}/{self.archive(target)}"


@dataclass(frozen=True)
class DebianPackage:
    """A package of a Debian release, fetched from the archive's pool by its exact file name."""

    name: str
    source: str
    version: str
    sha256: dict[str, str]
    release: str

    def filename(self, arch: str) -> str:
        return f"{self.name}_{self.version}_{arch}.deb"

    def url(self, arch: str) -> str:
        return f"{DEBIAN_POOL}/{self.source[0]}/{self.source}/{self.filename(arch)}"


@dataclass(frozen=True)
class Tool:
    name: str
    upstream: Upstream | None
    debian: list[DebianPackage] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return TOOLS / self.name


# Prometheus 3.14.0: what kube-prometheus-stack 88.5.3 runs (values.yaml, prometheus.prometheusSpec.image.tag
# v3.14.0-distroless). SHA-256 from the release's sha256sums.txt, as pinned alike by three unrelated projects'
# tool scripts (cduggn/Ariadne lab/get-tools.sh, flidai/leapview scripts/promtool.sh,
# apilbeam101/technitium-metrics-exporter scripts/fetch-promtool.ts).
PROMETHEUS = Upstream("prometheus", "3.14.0", {
    ("linux", "amd64"): "f665c6da19eb7ba399c915d30c7d9793c9b417bf8a749b504bc470678631478d",
    ("linux", "arm64"): "077f3781ab7245dc04c9a3c9b78ba120fc8e41aa0dc97489b0af67247e50ba83",
    ("darwin", "amd64"): "a14307b9726e66cadb81be9a544732623af26dabeb7702c987aa9c3c062ada34",
    ("darwin", "arm64"): "a9623f7f4fe65b1b171b423c1a72bbf23dfdf41a171dcb33e7dd302af80dc01c",
}, "https://github.com/prometheus/prometheus/releases/download/v3.14.0/sha256sums.txt")

# Alertmanager 0.34.0: what kube-prometheus-stack 88.5.3 runs (values.yaml, alertmanager.alertmanagerSpec.image.tag
# v0.34.0). SHA-256 from the release's sha256sums.txt, as copied by tianon/dockerfiles (prometheus/alertmanager/
# versions.json @f33832943b54, written by its hooks.sh from sha256sums.txt) and pinned alike by
# pgsty/homebrew-infra (Formula/alertmanager.rb @bc0560b76234).
ALERTMANAGER = Upstream("alertmanager", "0.34.0", {
    ("linux", "amd64"): "19c75a11d8c03dc4ade7abdbddfb3a8f28c9e7b000d0849cda0cd71dffd74a03",
    ("linux", "arm64"): "a96ef16598ddc58e84d28167b3352b30e3205698d76c56ef467e4504d7664da4",
    ("darwin", "amd64"): "2c76c6bb30f030296cbfbf803bfd99494987197fcb8743f73ef5f351d568ce97",
    ("darwin", "arm64"): "0cb31efe439c58ab77594b62a28f9de95f2d08beccf0f11eba4b822b2f549b82",
}, "https://github.com/prometheus/alertmanager/releases/download/v0.34.0/sha256sums.txt")

# Debian packages: SHA-256 from each release's package index (dists/<release>/main/binary-<arch>/Packages,
# signed by the Debian archive key), read 2026-12-02 (trixie 13.8, dated 2026-11-21).
TRIXIE_PROMTOOL = DebianPackage("promtool", "prometheus", "2.53.3+ds1-2", {
    "amd64": "ff27654eacc95abd846d344e91fe4ba3b4f0588a50d606ed1d2f09ad3408722f",
    "arm64": "cc1d5889b4d2e2ef92a6984039d88c11993ad3c73f5e74acd3ee15adaefb764c",
}, "trixie")
BOOKWORM_PROMETHEUS = DebianPackage("prometheus", "prometheus", "2.42.0+ds-5+deb12u1", {
    "amd64": "81d59a24fce84f7fbe97a45a4f2914b6a5881b5cd1db2a6a0e129e515e1a5f55",
}, "bookworm")
TRIXIE_ALERTMANAGER = DebianPackage("prometheus-alertmanager", "prometheus-alertmanager", "0.28.1+ds-1", {
    "amd64": "76ee08c2bf686fa32ca243d099b6bfc6cb00074e9337c18ef73154b60c5830a9",
    "arm64": "abd779fb3877d7749527a9028dae6f3c5b0e21853267b7a183f7835d6079a92b",
}, "trixie")

PROMTOOL = Tool("promtool", PROMETHEUS, [TRIXIE_PROMTOOL, BOOKWORM_PROMETHEUS])
AMTOOL = Tool("amtool", ALERTMANAGER, [TRIXIE_ALERTMANAGER])
ALL = (PROMTOOL, AMTOOL)


def found(tool: Tool) -> Path | None:
    """The tool the tests use: the project's, else the PATH's."""
    if tool.path.exists():
        return tool.path
    on_path = shutil.which(tool.name)
    return Path(on_path) if on_path else None


def target() -> tuple[str, str]:
    """(os, arch) as Prometheus names its archives and Debian its architectures."""
    return platform.system().lower(), _MACHINES.get(platform.machine().lower(), platform.machine().lower())


def _checked(data: bytes, expected: str, name: str) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise SystemExit(f"{name} has SHA-256 {digest}, not the pinned {expected}: refusing it")
    return data


def _install(tool: Tool, content: bytes) -> Path:
    TOOLS.mkdir(parents=True, exist_ok=True)
    partial = tool.path.with_suffix(".partial")
    partial.write_bytes(content)
    partial.chmod(0o755)
    partial.replace(tool.path)
    return tool.path


def install_from_archive(tool: Tool, upstream: Upstream, archive: bytes, where: tuple[str, str]) -> Path:
    """Check a release archive against the pinned SHA-256, then keep only the tool."""
    _checked(archive, upstream.sha256[where], upstream.archive(where))
    member = f"{upstream.archive(where).removesuffix('.tar.gz')}/{tool.name}"
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        source = tar.extractfile(member)
        if source is None:
            raise SystemExit(f"{upstream.archive(where)} holds no {member}")
        return _install(tool, source.read())


def deb_member(deb: bytes, path: str) -> bytes:
    """One file of a .deb: an ar archive whose data.tar.* holds the package's files."""
    if not deb.startswith(b"!<arch>\n"):
        raise SystemExit("not a Debian package (no ar header)")
    offset = 8
    while offset + 60 <= len(deb):
        header = deb[offset:offset + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = deb[offset + 60:offset + 60 + size]
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
                for candidate in (path, "./" + path):
                    try:
                        source = tar.extractfile(candidate)
                    except KeyError:
                        continue
                    if source is not None:
                        return source.read()
            raise SystemExit(f"the package holds no {path}")
        offset += 60 + size + (size % 2)
    raise SystemExit("the package has no data.tar")


def install_from_deb(tool: Tool, package: DebianPackage, deb: bytes, arch: str) -> Path:
    _checked(deb, package.sha256[arch], package.filename(arch))
    return _install(tool, deb_member(deb, f"usr/bin/{tool.name}"))


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def _apt_download(package: DebianPackage) -> bytes:
    """Debian 12's own package lists know its packages; `apt-get download` needs no root."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", f"{package.name}={package.version}"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (deb,) = Path(tmp).glob(f"{package.name}_*.deb")
        return deb.read_bytes()


def fetch(tool: Tool) -> tuple[Path | None, list[str]]:
    """Install the tool into .tools/bin from the first source that works; what was tried, and why not."""
    where = target()
    tried = []
    if tool.upstream is not None and where in tool.upstream.sha256:
        try:
            path = install_from_archive(tool, tool.upstream, _download(tool.upstream.url(where)), where)
            return path, [f"{tool.upstream.project} {tool.upstream.version} ({tool.upstream.archive(where)}, SHA-256 verified)"]
        except OSError as err:
            tried.append(f"{tool.upstream.archive(where)}: {err}")
    if where[0] == "linux":
        for package in tool.debian:
            if where[1] not in package.sha256:
                continue
            try:
                deb = _apt_download(package) if package.release == "bookworm" else _download(package.url(where[1]))
                path = install_from_deb(tool, package, deb, where[1])
                return path, [f"Debian {package.release} {package.name} {package.version} (SHA-256 verified)"]
            except (OSError, subprocess.CalledProcessError, ValueError) as err:
                tried.append(f"Debian {package.release} {package.filename(where[1])}: {err}")
    return None, tried


def main() -> int:
    failed = 0
    for tool in ALL:
        existing = found(tool)
        if existing is not None:
            print(f"{tool.name}: {existing}")
            continue
        path, notes = fetch(tool)
        if path is not None:
            print(f"{tool.name}: {path} ({notes[0]})")
            continue
        failed += 1
        print(f"{tool.name} is needed for the monitoring tests and none could be fetched for {platform.system()} "
              f"{platform.machine()}; tried: {'; '.join(notes) or 'nothing is pinned for this machine'}. Install it "
              f"(macOS: `brew install prometheus alertmanager`; Debian or Ubuntu: `apt-get install prometheus "
              f"prometheus-alertmanager`) and put it on the PATH, or in .tools/bin", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
