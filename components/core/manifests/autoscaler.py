"""The cluster autoscaler's priority expander config, as every cloud's autoscaler reads it: a
ConfigMap `cluster-autoscaler-priority-expander` whose `priorities` maps a priority (higher tried
first) to regular expressions over node group names (kubernetes/autoscaler
cluster-autoscaler/expander/priority/readme.md)."""

from __future__ import annotations

PRIORITY_EXPANDER_CONFIGMAP = "cluster-autoscaler-priority-expander"


def priority_expander_configmap(priorities: dict[int, list[str]], namespace: str, labels: dict[str, str]) -> dict:
    """`priorities`: priority -> patterns; a catch-all `.*` at priority 1 keeps every other group usable."""
    by_priority: dict[int, list[str]] = {1: [".*"]}
    for priority, patterns in priorities.items():
        by_priority.setdefault(priority, []).extend(patterns)
    lines = []
    for priority in sorted(by_priority, reverse=True):
        lines.append(f"{priority}:")
        lines.extend(f"  - '{pattern}'" for pattern in by_priority[priority])
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": PRIORITY_EXPANDER_CONFIGMAP, "namespace": namespace, "labels": labels},
        "data": {"priorities": "\n".join(lines) + "\n"},
    }
