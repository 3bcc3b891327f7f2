"""promtool for the alert tests, in the project's own tool folder (.tools/bin), nothing installed by hand.

    python tools/promtool.py          (what `make promtool` runs, and `make test` before the suite)

In order:
1. a promtool already in .tools/bin, or one on the PATH;
2. Prometheus's own release archive of the version the pinned kube-prometheus-stack runs (3.14.0),
   for Linux and macOS on amd64 and arm64, checked against the SHA-256 of the release's
   sha256sums.txt pinned below; only promtool is kept;
3. where GitHub cannot be reached, on Debian 12 (amd64): Debian's prometheus package (2.42), fetched
   with `apt-get download` (no root needed where the package lists exist), checked against its
   pinned SHA-256 and unpacked with dpkg-deb. Every rule the project writes is read the same way by
   both versions (the alert tests hold that).
Anywhere else the script says what to install.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools" / "bin"
PROMTOOL = TOOLS / "promtool"

# Prometheus's release archives: the version kube-prometheus-stack 88.5.3 runs (its values.yaml,
# prometheus.prometheusSpec.image.tag v3.14.0-distroless); SHA-256 from the release's sha256sums.txt
# (https://github.com/prometheus/prometheus/releases/download/v3.14.0/sha256sums.txt), as pinned alike
# by three unrelated projects' tool scripts (cduggn/Ariadne lab/get-tools.sh, flidai/leapview
# scripts/promtool.sh, apilbeam101/technitium-metrics-exporter scripts/fetch-promtool.ts).
UPSTREAM_VERSION = "3.14.0"
UPSTREAM_URL = "https://github.com/prometheus/prometheus/releases/download/v{version}/{archive}"
UPSTREAM_SHA256 = {
    ("linux", "amd64"): "f665c6da19eb7ba399c915d30c7d9793c9b417bf8a749b504bc470678631478d",
    ("linux", "arm64"): "077f3781ab7245dc04c9a3c9b78ba120fc8e41aa0dc97489b0af67247e50ba83",
    ("darwin", "amd64"): "a14307b9726e66cadb81be9a544732623af26dabeb7702c987aa9c3c062ada34",
    ("darwin", "arm64"): "a9623f7f4fe65b1b171b423c1a72bbf23dfdf41a171dcb33e7dd302af80dc01c",
}
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

# Debian bookworm's prometheus package; the SHA-256 is the archive index's (apt-cache show, Packages).
DEBIAN_PACKAGE = "prometheus"
DEBIAN_VERSION = "2.42.0+ds-5+deb12u1"
DEBIAN_SHA256 = {"amd64": "81d59a24fce84f7fbe97a45a4f2914b6a5881b5cd1db2a6a0e129e515e1a5f55"}


def found() -> Path | None:
    """The promtool the tests use: the project's, else the PATH's."""
    if PROMTOOL.exists():
        return PROMTOOL
    on_path = shutil.which("promtool")
    return Path(on_path) if on_path else None


def upstream_target() -> tuple[str, str] | None:
    """(os, arch) as Prometheus names its archives, for this machine; None where none is pinned."""
    target = (platform.system().lower(), _MACHINES.get(platform.machine().lower(), ""))
    return target if target in UPSTREAM_SHA256 else None


def upstream_archive(target: tuple[str, str]) -> str:
    return f"prometheus-{UPSTREAM_VERSION}.{target[0]}-{target[1]}.tar.gz"


def install_from_archive(archive: Path, target: tuple[str, str]) -> Path:
    """Check a release archive against the pinned SHA-256, then keep only its promtool."""
    expected = UPSTREAM_SHA256[target]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != expected:
        raise SystemExit(f"promtool: {archive.name} has SHA-256 {digest}, not the pinned {expected}: refusing it")
    member = f"{upstream_archive(target).removesuffix('.tar.gz')}/promtool"
    with tarfile.open(archive, "r:gz") as tar:
        source = tar.extractfile(member)
        if source is None:
            raise SystemExit(f"promtool: {archive.name} holds no {member}")
        TOOLS.mkdir(parents=True, exist_ok=True)
        partial = PROMTOOL.with_suffix(".partial")
        partial.write_bytes(source.read())
    partial.chmod(0o755)
    partial.replace(PROMTOOL)
    return PROMTOOL


def fetch_upstream(target: tuple[str, str]) -> Path:
    """Download Prometheus's release archive; raises OSError (URLError) where GitHub is out of reach."""
    archive_name = upstream_archive(target)
    url = UPSTREAM_URL.format(version=UPSTREAM_VERSION, archive=archive_name)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / archive_name
        with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as out:
            shutil.copyfileobj(response, out)
        return install_from_archive(archive, target)


def _debian_arch() -> str | None:
    if shutil.which("dpkg") is None:
        return None
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip() or None


def fetch_from_debian(arch: str) -> Path:
    expected = DEBIAN_SHA256[arch]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(["apt-get", "download", f"{DEBIAN_PACKAGE}={DEBIAN_VERSION}"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
        (deb,) = work.glob(f"{DEBIAN_PACKAGE}_*.deb")
        digest = hashlib.sha256(deb.read_bytes()).hexdigest()
        if digest != expected:
            raise SystemExit(f"promtool: {deb.name} has SHA-256 {digest}, not the pinned {expected}: refusing it")
        subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "root")], check=True)
        TOOLS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / "root" / "usr" / "bin" / "promtool", PROMTOOL)
    return PROMTOOL


def main() -> int:
    existing = found()
    if existing is not None:
        print(f"promtool: {existing}")
        return 0
    target = upstream_target()
    if target is not None:
        try:
            path = fetch_upstream(target)
        except OSError as err:
            print(f"promtool: Prometheus {UPSTREAM_VERSION}'s release archive could not be fetched ({err}); "
                  "trying the system's packages", file=sys.stderr)
        else:
            print(f"promtool: {path} (Prometheus {UPSTREAM_VERSION}, {upstream_archive(target)}, SHA-256 verified)")
            return 0
    arch = _debian_arch()
    if arch in DEBIAN_SHA256 and shutil.which("apt-get") and shutil.which("dpkg-deb"):
        try:
            path = fetch_from_debian(arch)
        except subprocess.CalledProcessError as err:
            print(f"promtool: `{' '.join(map(str, err.cmd))}` failed: this Debian or Ubuntu has no {DEBIAN_VERSION} "
                  "package, or its package lists are missing (`sudo apt-get update`); or install promtool "
                  "(`sudo apt-get install prometheus`) and run `make test` again", file=sys.stderr)
            return 1
        print(f"promtool: {path} (Debian {DEBIAN_PACKAGE} {DEBIAN_VERSION}, SHA-256 verified)")
        return 0
    where = f"{platform.system()} {platform.machine()}"
    print(f"promtool is needed for the alert tests: none could be fetched for {where} (Prometheus {UPSTREAM_VERSION}'s "
          "archive is pinned for Linux and macOS on amd64 and arm64, Debian's package for Debian 12 amd64): install "
          "promtool (macOS: `brew install prometheus`; elsewhere the release archive from prometheus.io/download) "
          "and put it on the PATH, or in .tools/bin", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
