"""Chart values of the gateway layer: Envoy Gateway (wired to AI Gateway's extension server and, for
rate limits, to Redis), AI Gateway, and cert-manager's settings for pulumi-kubernetes-cert-manager.

The Envoy Gateway keys come from envoyproxy/ai-gateway v1.1.0 manifests/envoy-gateway-values.yaml and
examples/token_ratelimit/envoy-gateway-values-addon.yaml (copies in tests/data/charts/)."""

from __future__ import annotations

from typing import Any

from ..catalog.images import ENVOY_RATELIMIT
from ..endpoint_picker import BACKEND_RESOURCE
from ..cluster import SystemPlacement
from .objects import RATELIMIT_CONTAINER, REDIS_PASSWORD_KEY, REDIS_URL, ai_gateway_controller_host

AI_GATEWAY_EXTENSION_PORT = 1063
"""The AI Gateway controller's gRPC extension server (ai-gateway-helm values controller.service.ports)."""


def envoy_gateway_values(system: SystemPlacement, rate_limits: bool, redis_auth_secret: Any = None,
                         inference_pools: bool = False) -> dict:
    """`redis_auth_secret`: with rate limits, the name of the Secret holding Redis's password, which
    the rate-limit service sends as REDIS_AUTH; the stack always passes it (without it the service
    cannot authenticate, and every request passes unlimited, Envoy Gateway failing open).
    `inference_pools`: routes name InferencePools, which Envoy Gateway hands to AI Gateway's extension
    server only when listed as backend resources (ai-gateway v1.1.0 examples/inference-pool)."""
    envoy_gateway: dict = {
        "gateway": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        "provider": {"type": "Kubernetes"},
        "logging": {"level": {"default": "info"}},
        # Backend: AIServiceBackend refers to Envoy Gateway Backends only.
        "extensionApis": {"enableEnvoyPatchPolicy": True, "enableBackend": True},
        "extensionManager": {
            "hooks": {"xdsTranslator": {
                "translation": {part: {"includeAll": True} for part in ("listener", "route", "cluster", "secret")},
                "post": ["Translation", "Cluster", "Route"],
            }},
            "service": {"fqdn": {"hostname": ai_gateway_controller_host(), "port": AI_GATEWAY_EXTENSION_PORT}},
        },
    }
    if inference_pools:
        envoy_gateway["extensionManager"]["backendResources"] = [dict(BACKEND_RESOURCE)]
    if rate_limits:
        envoy_gateway["rateLimit"] = {"backend": {"type": "Redis", "redis": {"url": REDIS_URL}}}
        envoy_gateway["provider"]["kubernetes"] = {"rateLimitDeployment": {"patch": {
            "type": "StrategicMerge",
            "value": {"spec": {"template": {"spec": {"containers": [ratelimit_container(redis_auth_secret)]}}}},
        }}}
    return {
        "deployment": {"pod": system.scheduling()},
        "certgen": {"job": system.scheduling()},
        "config": {"envoyGateway": envoy_gateway},
    }


def ratelimit_container(redis_auth_secret: Any) -> dict:
    """What the patch changes in the rate-limit container Envoy Gateway v1.8.3 renders
    (internal/infrastructure/kubernetes/ratelimit): the pinned image, and REDIS_AUTH from the Secret.
    Strategic merge matches the container and its env entries by name, so the env Envoy Gateway
    sets (REDIS_URL, REDIS_SOCKET_TYPE, ...) stays; it sets no REDIS_AUTH of its own."""
    container: dict = {"name": RATELIMIT_CONTAINER, "image": ENVOY_RATELIMIT.reference, "imagePullPolicy": "IfNotPresent"}
    if redis_auth_secret is not None:
        container["env"] = [{"name": "REDIS_AUTH",
                             "valueFrom": {"secretKeyRef": {"name": redis_auth_secret, "key": REDIS_PASSWORD_KEY}}}]
    return container


def ai_gateway_values(system: SystemPlacement) -> dict:
    return {"controller": {**system.scheduling(), "podDisruptionBudget": {"enabled": False}}}


def cert_manager_values(system: SystemPlacement, gateway_api: bool) -> dict:
    """cert-manager chart values, as pulumi-kubernetes-cert-manager 0.2.0 must be given them.

    That component overwrites every top-level key it types (webhook, cainjector, tolerations, ...)
    with its typed argument, so those go through typed arguments (see `cert_manager_typed`); only
    keys it does not type (crds, config) may go through its Helm values. Its controller
    `nodeSelector` is mistyped (a NodeSelector, not a map), so the controller is placed by affinity.
    """
    values: dict = {"crds": {"enabled": True, "keep": True}}
    if gateway_api:
        # HTTP-01 through the Gateway: cert-manager creates the challenge HTTPRoutes.
        values["config"] = {"apiVersion": "controller.config.cert-manager.io/v1alpha1",
                            "kind": "ControllerConfiguration", "gatewayAPI": {"enabled": True}}
    return values


def cert_manager_typed(system: SystemPlacement) -> dict:
    """The chart keys set through the component's typed arguments (chart names, chart shapes)."""
    placement = system.scheduling()
    expressions = [{"key": key, "operator": "In", "values": [value]} for key, value in sorted(system.node_selector.items())]
    typed: dict = {"tolerations": placement["tolerations"]}
    if expressions:
        typed["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": expressions}]}}}
    for part in ("webhook", "cainjector", "startupapicheck"):
        typed[part] = {"nodeSelector": {"kubernetes.io/os": "linux", **placement["nodeSelector"]},
                       "tolerations": placement["tolerations"]}
    return typed
