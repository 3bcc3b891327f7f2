"""What a `pulumi up` from one plan to another would replace or delete, and which of it holds data.

The providers decide replace-or-update by property: `tests/data/replacement/properties.yaml` lists,
per resource type of the pinned providers, the inputs whose change forces a replacement (with the
provider source each list was read from). Two offline plans (resources.json) are compared by URN:
a resource in both whose inputs differ under such a property is replaced; one only in the first
is deleted. Stateful resources are the ones whose replacement or deletion loses data or breaks
clients: volume claims, file systems (EFS, Filestore), clusters, node groups and pools, generated keys, and Secrets with a
fixed name (an auto-named Secret is replaced by creating the new one first, so it is not listed).

    python -m tools.replacements build/prod/resources.json /tmp/after/resources.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROPERTIES = ROOT / "tests" / "data" / "replacement" / "properties.yaml"

STATEFUL = {
    "kubernetes:core/v1:PersistentVolumeClaim": "the volume and every file on it",
    "kubernetes:core/v1:Secret": "the Secret: while it is re-created, whatever reads it fails",
    "aws:efs/fileSystem:FileSystem": "the file system and every file on it",
    "aws:efs/accessPoint:AccessPoint": "the access point its claims mount",
    "aws:eks/cluster:Cluster": "the cluster and everything running on it",
    "aws:eks/nodeGroup:NodeGroup": "the node group's nodes, and every pod on them",
    "gcp:container/cluster:Cluster": "the cluster and everything running on it",
    "gcp:container/nodePool:NodePool": "the node pool's nodes, and every pod on them",
    "gcp:filestore/instance:Instance": "the Filestore instance and every model cache on it",
    "azure-native:resources:ResourceGroup": "the resource group and everything in it: cluster, network and storage",
    "azure-native:containerservice:ManagedCluster": "the cluster and everything running on it",
    "azure-native:containerservice:AgentPool": "the agent pool's nodes, and every pod on them",
    "azure-native:storage:StorageAccount": "the storage account, its share and every model cache on it",
    "azure-native:storage:FileShare": "the share and every model cache on it",
    "random:index/randomPassword:RandomPassword": "the generated secret: clients holding it are locked out",
}
KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    name: str
    action: str
    """"replace" or "delete"."""
    properties: tuple[str, ...] = ()
    """The inputs whose change forces the replacement."""

    @property
    def loses(self) -> str:
        return STATEFUL.get(self.type, "")

    def __str__(self) -> str:
        why = f" ({', '.join(self.properties)} changed)" if self.properties else ""
        return f"{self.action}s {self.type} {self.name}{why}: loses {self.loses}"


@lru_cache(maxsize=1)
def replace_on() -> dict[str, tuple[str, ...]]:
    document = yaml.safe_load(PROPERTIES.read_text())
    return {type_: tuple(paths) for type_, paths in document["replaceOn"].items()}


def forcing_paths(type_: str) -> tuple[str, ...]:
    """Inputs whose change replaces a resource of this type; every Kubernetes object is also
    replaced when its name or namespace changes."""
    paths = replace_on().get(type_, ())
    if type_.startswith("kubernetes:") and ":helm.sh/" not in type_:
        paths = tuple(dict.fromkeys((*KUBERNETES_IDENTITY, *paths)))
    return paths


def changed_paths(before: Any, after: Any, prefix: str = "") -> set[str]:
    """Dotted paths (list items as parent path) where two input documents differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: set[str] = set()
        for key in before.keys() | after.keys():
            path = f"{prefix}.{key}" if prefix else key
            if key not in before or key not in after:
                paths.add(path)
            else:
                paths |= changed_paths(before[key], after[key], path)
        return paths
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        paths = set()
        for old, new in zip(before, after):
            paths |= changed_paths(old, new, prefix)
        return paths
    return set() if before == after else {prefix}


def _forced(type_: str, paths: Iterable[str], own: Iterable[str] = ()) -> tuple[str, ...]:
    """The changed paths that force a replacement: the provider's, and the resource's own
    `replaceOnChanges` option."""
    forcing = (*forcing_paths(type_), *own)
    return tuple(sorted({p for p in paths for f in forcing if p == f or p.startswith(f + ".")}))


def safely_replaced(resource: dict) -> bool:
    """An auto-named Kubernetes object: its replacement is created, and readers switched, before the
    old one is deleted."""
    return bool(resource.get("autonamed"))


def changes(before: list[dict], after: list[dict]) -> list[Change]:
    """Every replacement and deletion from `before` to `after` (registrations as in resources.json)."""
    new = {r["urn"]: r for r in after}
    found = []
    for old in before:
        current = new.get(old["urn"])
        if current is None:
            if "read" not in old.get("options", {}):  # a read resource is only looked up, never deleted
                found.append(Change(old["urn"], old["type"], old["name"], "delete"))
            continue
        forced = _forced(old["type"], changed_paths(old.get("inputs", {}), current.get("inputs", {})),
                         current.get("options", {}).get("replaceOnChanges", ()))
        if forced:
            found.append(Change(old["urn"], old["type"], old["name"], "replace", forced))
    return found


def data_losses(before: list[dict], after: list[dict]) -> list[Change]:
    """The changes that lose data or lock clients out."""
    old = {r["urn"]: r for r in before}
    return [c for c in changes(before, after)
            if c.type in STATEFUL and not (c.action == "replace" and safely_replaced(old[c.urn]))
            and not (c.action == "delete" and c.type == "kubernetes:core/v1:Secret" and safely_replaced(old[c.urn]))]


def flat_config(value: Any, path: str = "") -> dict[str, Any]:
    """Stack config as `path -> value`, paths written as in the config (models[0].replicas.max)."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flat_config(item, f"{path}.{key}" if path else key))
        return flat or {path: {}}
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flat_config(item, f"{path}[{index}]"))
        return flat or {path: []}
    return {path: value}


def config_changes(before: dict, after: dict) -> list[str]:
    """The config paths whose value differs (keys without the project prefix)."""
    old, new = flat_config(before), flat_config(after)
    return sorted(path for path in old.keys() | new.keys() if old.get(path, "<unset>") != new.get(path, "<unset>"))


def report(before: dict, after: dict) -> list[str]:
    """Lines for people: each data loss, and the config paths that changed between the two plans."""
    losses = data_losses(before["resources"], after["resources"])
    if not losses:
        return []
    lines = [f"WARNING: this change {loss}" for loss in losses]
    paths = config_changes(before.get("config", {}), after.get("config", {}))
    if paths:
        lines.append(f"  caused by the config change at: {', '.join(paths)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    lines = report(json.loads(args.before.read_text()), json.loads(args.after.read_text()))
    print("\n".join(lines) or "no data lost: nothing stateful is replaced or deleted")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
