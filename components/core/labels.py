"""Label keys and sets used on every object: recommended app labels, cost attribution, selectors."""

from __future__ import annotations

from typing import Optional

from .base import Spec

PART_OF = "llmstack"
POOL_LABEL = "llmstack.dev/pool"
# Node label naming the GPU type of a pool's nodes, set when the node boots (before GPU Feature
# Discovery adds its own product label), so schedulers and autoscalers can match it from the start.
GPU_LABEL = "llmstack.dev/gpu"
# Annotation of a Secret of ours naming its keys (comma-separated, sorted). The values are secret,
# and at preview unknown while any is generated, so `pulumi preview` shows stringData as one masked
# value; the annotation shows a reviewer which keys a change adds or removes.
SECRET_KEYS_ANNOTATION = "llmstack.dev/secret-keys"


class CostLabels(Spec):
    """Labels cost tools (OpenCost, Kubecost, cloud billing exports) aggregate by."""

    team: str
    environment: str

    def for_model(self, model: Optional[str] = None) -> dict[str, str]:
        labels = {"team": self.team, "environment": self.environment}
        if model:
            labels["model"] = model
        return labels


INSTANCE_LABEL = "app.kubernetes.io/instance"


def selector_labels(component: str, instance: str) -> dict[str, str]:
    """The immutable subset a Deployment selects its pods and a Service its endpoints by."""
    return {"app.kubernetes.io/name": component, INSTANCE_LABEL: instance}


def object_labels(component: str, instance: str, cost: CostLabels, model: Optional[str] = None) -> dict[str, str]:
    return {
        **selector_labels(component, instance),
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        **cost.for_model(model),
    }


def platform_labels(cost: CostLabels) -> dict[str, str]:
    """Labels of cluster-level objects of ours (storage classes, chart namespaces, autoscaler config)."""
    return {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi", **cost.for_model()}
