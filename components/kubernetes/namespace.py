"""The serving namespace: Pod Security "restricted", cost labels, the scripts our pods run, the
Hugging Face token as a Secret when one is configured, and NetworkPolicies that let only the
gateway (and Prometheus) reach models."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.labels import CostLabels, PART_OF
from ..core.manifests.cache import POPULATE_SCRIPT, TOKEN_KEY
from ..core import endpoint_picker
from ..core.manifests import network
from ..core.manifests.network import Peer
from ..core.manifests.security import namespace_labels
from ._base import TOKEN_PREFIX, ComponentArgs, child, replaceable_secret, resource_kwargs, waits_for

SCRIPTS = Path(__file__).parent / "scripts"
SCRIPTS_CONFIGMAP = "llmstack-scripts"


class ServingNamespaceArgs(ComponentArgs):
    """The namespace models are served from: the cache Job's scripts, the Hugging Face token Secret, and
    NetworkPolicies that let only the gateway call models and only Prometheus scrape them."""

    name: str
    cost: CostLabels
    hf_token: Optional[pulumi.Output] = None
    gateway: Optional[Peer] = None
    """The pods allowed to call models; with it, NetworkPolicies deny everything else."""
    scrapers: Optional[Peer] = None
    """Prometheus, allowed to scrape models' metrics."""
    acme_solver: Optional[tuple[dict, int]] = None
    """Labels and port of cert-manager's HTTP-01 solver pods, which the gateway must reach."""
    resting: list[str] = []
    """Models that rest at zero: only `interceptor` calls them, not `gateway`."""
    interceptor: Optional[Peer] = None
    """KEDA's interceptor pods, which hold and pass on the requests for the `resting` models."""
    pickers: bool = False
    """Models' endpoint pickers run here: they read the models' metrics and answer the gateway."""


def scripts_data() -> dict[str, str]:
    return {name: (SCRIPTS / name).read_text() for name in (POPULATE_SCRIPT,)}


class ServingNamespace(pulumi.ComponentResource):
    """`ServingNamespace(name, ServingNamespaceArgs(...), opts)`: see ServingNamespaceArgs. A bad argument raises ConfigError naming it."""

    namespace: pulumi.Output[str]
    """Name of the namespace, carrying the dependency on it."""
    scripts_configmap: pulumi.Output[str]
    hf_token_secret: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: ServingNamespaceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:ServingNamespace", name, None, opts)
        common = {"app.kubernetes.io/part-of": PART_OF, **args.cost.for_model()}
        # Everything in the namespace takes its name as an Output, so waiting here makes the whole
        # serving layer wait for the platform (nodes, storage, GPU operator), and go before it on delete.
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata={"name": args.name, "labels": {**namespace_labels(), **common}},
            opts=child(self, depends_on=waits_for(opts) or None),
        )
        self.namespace = ns.metadata.name
        scripts = k8s.core.v1.ConfigMap(
            f"{name}-scripts",
            metadata={"name": SCRIPTS_CONFIGMAP, "namespace": self.namespace, "labels": common},
            data=scripts_data(),
            opts=child(self),
        )
        self.scripts_configmap = scripts.metadata.name
        self.hf_token_secret = self._create_token_secret(name, args, common)
        if args.gateway is not None:
            policies = network.serving_policies(self.namespace, common, gateway=args.gateway, scrapers=args.scrapers,
                                                acme_solver=args.acme_solver, resting=args.resting,
                                                interceptor=args.interceptor,
                                                pickers=endpoint_picker.PODS if args.pickers else None)
            if args.pickers:
                policies.append(endpoint_picker.network_policy(self.namespace, common, gateway=args.gateway,
                                                               scrapers=args.scrapers))
            for policy in policies:
                k8s.networking.v1.NetworkPolicy(f"{name}-netpol-{policy['metadata']['name']}", **resource_kwargs(policy),
                                                opts=child(self))
        self.register_outputs({"namespace": self.namespace, "scripts_configmap": self.scripts_configmap})

    def _create_token_secret(self, name: str, args: ServingNamespaceArgs, labels: dict) -> Optional[pulumi.Output[str]]:
        if args.hf_token is None:
            return None
        secret = replaceable_secret(self, f"{name}-hf-token", namespace=self.namespace, labels=labels,
                                    string_data={TOKEN_KEY: args.hf_token})
        return secret.metadata.name
