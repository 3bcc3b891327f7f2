"""A pinned Helm release in its own namespace: the one way the stack installs third-party charts."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.catalog.charts import Chart
from ..core.manifests.security import namespace_labels


def chart_namespace(name: str, chart: Chart, labels: dict[str, str], parent: pulumi.Resource,
                    pod_security: str = "restricted") -> k8s.core.v1.Namespace:
    return k8s.core.v1.Namespace(
        f"{name}-namespace",
        metadata={"name": chart.namespace, "labels": {**namespace_labels(pod_security), **labels}},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def release(name: str, chart: Chart, namespace: pulumi.Input[str], values: dict, parent: pulumi.Resource,
            timeout_seconds: int = 900, opts: Optional[pulumi.ResourceOptions] = None) -> k8s.helm.v3.Release:
    """The chart at its pinned version; `pulumi up` waits until its workloads are ready."""
    return k8s.helm.v3.Release(
        name,
        name=chart.name,
        chart=chart.reference,
        version=chart.version,
        repository_opts=None if chart.is_oci else {"repo": chart.repository},
        namespace=namespace,
        values=values,
        max_history=10,
        cleanup_on_fail=True,
        timeout=timeout_seconds,
        opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=parent), opts),
    )
