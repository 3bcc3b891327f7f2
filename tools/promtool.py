"""promtool for the alert tests, in the project's own tool folder (.tools/bin), nothing installed by hand.

    python tools/promtool.py          (what `make promtool` runs, and `make test` before the suite)

In order: a promtool already in .tools/bin; one on the PATH; on Debian 12 (amd64), Debian's
prometheus package, fetched with `apt-get download` (no root needed where the package lists exist),
checked against its pinned SHA-256 and unpacked with dpkg-deb, from which only promtool is kept.
Debian bookworm's 2.42 is the one pinned: it is what a Debian machine can get, and every rule and
expression the project writes is checked by it (the pinned kube-prometheus-stack runs a newer
Prometheus, which reads them the same way). Anywhere else the script says what to install.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools" / "bin"
PROMTOOL = TOOLS / "promtool"

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
    print(f"promtool is needed for the alert tests and none is pinned for {platform.system()} {platform.machine()}: "
          "install Prometheus's promtool (macOS: `brew install prometheus`; elsewhere the release archive from "
          "prometheus.io/download) and put promtool on the PATH, or in .tools/bin", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
