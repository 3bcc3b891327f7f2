"""Manifests of the front door: Gateway API objects, Envoy Gateway policies, Envoy AI Gateway routes,
cert-manager issuers and certificates, and the Redis that holds rate-limit counters.

Request path: client -> cloud load balancer (TCP) -> Envoy (TLS, API key, tenant grant, limits)
-> AI Gateway ext_proc (reads the body's `model`, sets x-ai-eg-model) -> the model's route -> one of
the model's ready vLLM pods. Field names are those of the pinned CRDs, copied under tests/data/crds/.

Secrets (API keys, the Cloudflare token, Redis's password) are not built here: they are auto-named
Secrets (components/kubernetes/_base.replaceable_secret) whose names the builders take as arguments.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional, Sequence

from ..catalog.charts import AI_GATEWAY, CERT_MANAGER, ENVOY_GATEWAY
from ..catalog.images import REDIS, REDIS_GID, REDIS_UID
from ..cluster import SystemPlacement
from ..labels import selector_labels
from ..manifests import vllm
from ..manifests.network import Peer
from ..manifests.security import PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, container_security_context, scan_exceptions
from .spec import ALL_MODELS, AcmeIssuer, ExistingIssuer, GatewaySpec, SelfSignedIssuer, Tenant, owning_gateway_labels

GATEWAY_API = "gateway.networking.k8s.io"
GATEWAY_API_VERSION = f"{GATEWAY_API}/v1"
ENVOY_API_VERSION = "gateway.envoyproxy.io/v1alpha1"
AI_API_VERSION = "aigateway.envoyproxy.io/v1beta1"
CERT_MANAGER_API_VERSION = "cert-manager.io/v1"

NAME = "llmstack"
"""Name of the GatewayClass, EnvoyProxy, Gateway and the policies."""
SERVICE_NAME = "llmstack-gateway"
"""The Envoy LoadBalancer Service, in the Envoy Gateway namespace."""
HTTP_LISTENER, HTTPS_LISTENER = "http", "https"
TLS_SECRET = "llmstack-gateway-tls"
TENANT_HEADER = "x-llmstack-tenant"
"""Set by Envoy from the API key's tenant (a client-sent one is removed first); vLLM sees it."""
# AI Gateway's ext_proc writes the body's `model` here, overwriting any client value
# (ai-gateway v1.1.0 api/v1beta1 AIModelHeaderKey, internal/extproc/processor_impl.go).
MODEL_HEADER = "x-ai-eg-model"
# Where the ext_proc puts token counts, for rate-limit costs (ai-gateway v1.1.0 usage-based rate limiting).
COST_METADATA_NAMESPACE = "io.envoy.ai_gateway"
TOTAL_TOKENS_KEY = "llm_total_token"
LLM_REQUEST_COSTS = (("llm_input_token", "InputToken"), ("llm_output_token", "OutputToken"), (TOTAL_TOKENS_KEY, "TotalToken"))



def proxy_peer(spec: GatewaySpec, serving_namespace: str) -> Peer:
    """The Envoy pods that serve the gateway (AI Gateway's ext_proc runs inside them): the stack's own
    Gateway's, in the Envoy Gateway namespace (deploy type ControllerNamespace), or the reused one's."""
    if spec.reuse is not None:
        return Peer(spec.reuse.proxies.namespace, spec.reuse.proxy_pod_labels())
    return Peer(ENVOY_GATEWAY.namespace, owning_gateway_labels(NAME, serving_namespace))


ENVOY_GATEWAY_NAMESPACE = ENVOY_GATEWAY.namespace
REDIS_NAME, REDIS_PORT = "llmstack-ratelimit-redis", 6379
REDIS_URL = f"{REDIS_NAME}.{ENVOY_GATEWAY.namespace}.svc.cluster.local:{REDIS_PORT}"
# Keys of the Secret holding Redis's password: the bare password (envoyproxy/ratelimit reads it from
# REDIS_AUTH: src/settings/settings.go, src/redis/driver_impl.go at 60d8e81b, where a value without
# ':' is a password for the default user) and a config file setting it (redis-server <file>.conf).
REDIS_PASSWORD_KEY, REDIS_CONFIG_KEY = "password", "redis.conf"
REDIS_CONFIG_DIR = "/etc/redis"
# The pods of Envoy Gateway's rate-limit service, the only clients of Redis: the labels Envoy Gateway
# v1.8.3 gives them (internal/infrastructure/kubernetes/ratelimit/resource.go rateLimitLabels), in
# its own namespace; its container is named InfraName.
RATELIMIT_POD_LABELS = {
    "app.kubernetes.io/name": "envoy-ratelimit",
    "app.kubernetes.io/component": "ratelimit",
    "app.kubernetes.io/managed-by": "envoy-gateway",
}
RATELIMIT_CONTAINER = "envoy-ratelimit"
# cert-manager's HTTP-01 solver pods (pkg/issuer/acme/http/pod.go) listen on 8089 and carry this label.
ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
ACME_SOLVER_PORT = 8089
SELF_SIGNED_ISSUER, CA_ISSUER, CA_SECRET = "llmstack-selfsigned", "llmstack-ca", "llmstack-ca"
ACME_ISSUER, ACME_ACCOUNT_SECRET = "llmstack-acme", "llmstack-acme-account"
CLOUDFLARE_KEY = "api-token"
ENVOY_RESOURCES = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}
# AI Gateway's recommendation: Envoy's 32 KiB default buffer is too small for LLM request bodies.
BUFFER_LIMIT = "50Mi"
# TCP keepalives inside the shortest idle tracking of the clouds' layer-4 load balancers, so a stream
# that is quiet while a long prompt is prefilled keeps its connection: AWS NLBs forget a flow after
# 350 s; Google Cloud's external passthrough load balancer after 60 s, not configurable (Compute API
# BackendServiceConnectionTrackingPolicy.idleTimeoutSec: "For external passthrough Network Load
# Balancers the default is 60 seconds. This option is not available publicly.").
LOAD_BALANCER_IDLE_SECONDS = 60
KEEPALIVE = {"idleTime": "30s", "interval": "15s", "probes": 3}
# Retried (on another pod: Envoy Gateway adds the previous_hosts predicate) only when vLLM did no
# work for the request: it never reached vLLM, or vLLM 0.33.0 refused it with a 503, which it answers
# only before scheduling (admission limits: QueueOverflowError, MaxQueuedTokensError; a paused engine:
# RetryableRequestError; vllm/exceptions.py, v1/engine/async_llm.py check_admission, v1/engine/core.py).
# A `reset` after the request was sent is not retried: the generation may have started.
RETRY_TRIGGERS = ["connect-failure", "refused-stream", "reset-before-request", "retriable-status-codes"]
RETRY_STATUS_CODES = [503]
# Each model's Backend names its headless Service, so Envoy (a STRICT_DNS cluster) holds one host per
# ready pod and drains a pod's connections once DNS stops returning it. CoreDNS answers for a
# headless Service with the ready endpoints only, with a 5 s TTL (kubernetes plugin `ttl` default);
# Envoy re-resolves every DNS_REFRESH_SECONDS. Their sum stays below vLLM's preStop pause
# (manifests/vllm.ENDPOINT_SETTLE_SECONDS), so Envoy has dropped a stopping pod before vLLM starts
# draining (and would answer a new request 200 with finish_reason "abort", which cannot be retried).
DNS_REFRESH_SECONDS = 2
CLUSTER_DNS_TTL_SECONDS = 5


def _meta(name: str, namespace: Any, labels: dict, **extra: Any) -> dict:
    meta = {"name": name, "labels": labels, **extra}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def _gateway_ref(section: Optional[str] = None) -> dict:
    ref = {"group": GATEWAY_API, "kind": "Gateway", "name": NAME}
    if section:
        ref["sectionName"] = section
    return ref


def https_parent(spec: GatewaySpec) -> dict:
    """The listener the routes attach to: the stack's Gateway's HTTPS listener, or the reused one's."""
    if spec.reuse is None:
        return _gateway_ref(HTTPS_LISTENER)
    return {"group": GATEWAY_API, "kind": "Gateway", "namespace": spec.reuse.namespace, "name": spec.reuse.name,
            "sectionName": spec.reuse.listener}


def _route_ref(name: str) -> dict:
    return {"group": GATEWAY_API, "kind": "HTTPRoute", "name": name}


def policy_targets(spec: GatewaySpec, models: Sequence[str], extra_routes: Sequence[str] = ()) -> list[dict]:
    """What the security and traffic policies attach to: the stack's own Gateway's HTTPS listener
    (every route on it); on a reused Gateway, which serves others too, only the stack's routes: the
    HTTPRoute AI Gateway generates for each AIGatewayRoute (same name and namespace) and `extra_routes`."""
    if spec.reuse is None:
        return [_gateway_ref(HTTPS_LISTENER)]
    return [_route_ref(name) for name in [*sorted(models), *extra_routes]]


# -- Envoy Gateway infrastructure -------------------------------------------------------------------

def envoy_proxy(spec: GatewaySpec, system: SystemPlacement, cluster_annotations: dict[str, str], labels: dict) -> dict:
    """How Envoy Gateway runs this gateway's proxies: on the system pool, behind the cloud's load balancer."""
    kubernetes: dict = {
        "envoyService": {
            "name": SERVICE_NAME,
            "type": spec.service_type,
            "annotations": {**cluster_annotations, **spec.load_balancer_annotations},
        },
        "envoyDeployment": {
            "replicas": spec.replicas,
            "pod": system.scheduling(),
            "container": {"resources": ENVOY_RESOURCES},
        },
    }
    if spec.service_type != "LoadBalancer":
        kubernetes["envoyService"].pop("annotations")
    if spec.replicas > 1:
        kubernetes["envoyPDB"] = {"minAvailable": 1}
    return {
        "apiVersion": ENVOY_API_VERSION, "kind": "EnvoyProxy",
        "metadata": _meta(NAME, ENVOY_GATEWAY.namespace, labels),
        "spec": {"provider": {"type": "Kubernetes", "kubernetes": kubernetes}},
    }


def gateway_class(labels: dict) -> dict:
    return {
        "apiVersion": GATEWAY_API_VERSION, "kind": "GatewayClass",
        "metadata": _meta(NAME, None, labels),
        "spec": {
            "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
            # namespace must be explicit: Envoy Gateway reads an unset one as "default".
            "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": NAME,
                              "namespace": ENVOY_GATEWAY.namespace},
        },
    }


def gateway(spec: GatewaySpec, namespace: Any, labels: dict) -> dict:
    """HTTP on 80 (only redirects and ACME challenges) and HTTPS on 443, both for the one host."""
    same = {"namespaces": {"from": "Same"}}
    return {
        "apiVersion": GATEWAY_API_VERSION, "kind": "Gateway",
        "metadata": _meta(NAME, namespace, labels),
        "spec": {
            "gatewayClassName": NAME,
            "listeners": [
                {"name": HTTP_LISTENER, "protocol": "HTTP", "port": 80, "hostname": spec.host, "allowedRoutes": same},
                {"name": HTTPS_LISTENER, "protocol": "HTTPS", "port": 443, "hostname": spec.host, "allowedRoutes": same,
                 "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": TLS_SECRET}]}},
            ],
        },
    }


def https_redirect(namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": GATEWAY_API_VERSION, "kind": "HTTPRoute",
        "metadata": _meta("https-redirect", namespace, labels),
        "spec": {
            "parentRefs": [_gateway_ref(HTTP_LISTENER)],
            "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}],
        },
    }


# -- Routes: one per model ----------------------------------------------------------------------------

def endpoints_service_name(model: str) -> str:
    """`<model>-endpoints`, shortened (with a hash, so it stays unique) to fit a 63-character name."""
    name = f"{model}-endpoints"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(model.encode()).hexdigest()[:8]
    return f"{model[:63 - len(digest) - len('--endpoints')]}-{digest}-endpoints"


def endpoints_service(model: str, port: int, namespace: Any, labels: dict) -> dict:
    """The model's ready pods, by name: a headless Service (no cluster IP) whose DNS name resolves to
    the address of each ready pod of the model. `labels` must not be the model's own: the model's
    ServiceMonitor selects its Service by those, and would scrape every pod twice."""
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": _meta(endpoints_service_name(model), namespace, labels),
        "spec": {
            "type": "ClusterIP", "clusterIP": "None", "publishNotReadyAddresses": False,
            "selector": selector_labels(vllm.COMPONENT, model),
            "ports": [{"name": vllm.PORT_NAME, "port": port, "targetPort": vllm.PORT_NAME, "protocol": "TCP",
                       "appProtocol": "http"}],
        },
    }


def backend(model: str, endpoints_host: Any, port: int, namespace: Any, labels: dict) -> dict:
    """The model's pods as an Envoy Gateway Backend (AIServiceBackend accepts nothing else, and a
    Backend takes no Service): the headless Service's DNS name, so Envoy connects to each ready pod
    rather than to a cluster IP that keeps pooled connections on a pod after it stops being ready."""
    return {
        "apiVersion": ENVOY_API_VERSION, "kind": "Backend",
        "metadata": _meta(model, namespace, labels),
        "spec": {"endpoints": [{"fqdn": {"hostname": endpoints_host, "port": port}}]},
    }


def ai_service_backend(model: str, namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": AI_API_VERSION, "kind": "AIServiceBackend",
        "metadata": _meta(model, namespace, labels),
        # vLLM's API is OpenAI's; the /v1 prefix is the schema's default.
        "spec": {"schema": {"name": "OpenAI"},
                 "backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": model}},
    }


def ai_gateway_route(spec: GatewaySpec, model: str, served_name: str, namespace: Any, labels: dict,
                     timeout_seconds: Optional[int] = None, backend: Optional[dict] = None) -> dict:
    """Requests for the host whose body names `served_name` go to the model's backend. AI Gateway
    generates an HTTPRoute of the same name (ai-gateway v1.1.0 internal/controller/ai_gateway_route.go:
    one rule per rule, plus a catch-all that answers unknown models), carrying the host, so that on a
    shared listener it answers for this host only (and `/v1/models` lists this host's models only);
    its default 60 s request timeout would cut long streams. `timeout_seconds`: the route's request
    timeout when it is not the gateway's (a resting model's: its hold, then the gateway's). `backend`:
    the rule's backend when it is not the model's AIServiceBackend (its InferencePool)."""
    return {
        "apiVersion": AI_API_VERSION, "kind": "AIGatewayRoute",
        "metadata": _meta(model, namespace, labels),
        "spec": {
            "parentRefs": [https_parent(spec)],
            "hostnames": [spec.host],
            "llmRequestCosts": [{"metadataKey": key, "type": kind} for key, kind in LLM_REQUEST_COSTS],
            "rules": [{
                "name": model,
                "matches": [{"headers": [{"type": "Exact", "name": MODEL_HEADER, "value": served_name}]}],
                "backendRefs": [backend or {"name": model}],
                "timeouts": {"request": f"{timeout_seconds or spec.request_timeout_seconds}s"},
            }],
        },
    }


# -- /v1/models: each tenant's granted models ---------------------------------------------------------

MODELS_LIST_ROUTE = "llmstack-models"
MODELS_PATH = "/v1/models"
MODEL_OWNER = "llmstack"


def models_list(served_names: Sequence[str]) -> dict:
    """An OpenAI list of models (GET /v1/models), as AI Gateway v1.1.0 writes one."""
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": MODEL_OWNER}
                                       for name in sorted(served_names)]}


def _lua_string(text: str) -> str:
    """A Lua string literal for ASCII text (json.dumps output is ASCII)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def models_list_script(tenants: Sequence[Tenant], served_names: dict[str, str]) -> str:
    """Envoy Lua (LuaJIT, Lua 5.1) answering GET /v1/models with the tenant's granted models.

    AI Gateway's own answer lists every model on the host to every tenant, and is sent from its
    ext_proc before authorization runs. This runs after API key authentication, which has set the
    tenant header (Envoy Gateway v1.8.3 orders api_key_auth before lua: internal/xds/translator/
    httpfilters.go), and answers before the grant check, which a request naming no model would fail."""
    lists = []
    for tenant in sorted(tenants, key=lambda t: t.name):
        names = served_names.values() if ALL_MODELS in tenant.models else [served_names[m] for m in tenant.models]
        lists.append(f"  [{_lua_string(tenant.name)}] = {_lua_string(json.dumps(models_list(names), separators=(',', ':')))},")
    refused = json.dumps({"error": {"message": "no models are granted to this key", "type": "invalid_request_error",
                                    "code": "model_not_granted"}}, separators=(",", ":"))
    return "\n".join([
        "-- llmstack: GET /v1/models lists the calling tenant's granted models only.",
        "local lists = {",
        *lists,
        "}",
        "",
        "function envoy_on_request(request_handle)",
        f"  local tenant = request_handle:headers():get({_lua_string(TENANT_HEADER)})",
        "  local body = tenant and lists[tenant]",
        "  if body == nil then",
        f"    request_handle:respond({{[\":status\"] = \"403\", [\"content-type\"] = \"application/json\"}}, {_lua_string(refused)})",
        "    return",
        "  end",
        "  request_handle:respond({[\":status\"] = \"200\", [\"content-type\"] = \"application/json\"}, body)",
        "end",
        "",
    ])


def models_list_route(spec: GatewaySpec, namespace: Any, labels: dict) -> dict:
    """GET /v1/models for the host: an exact path, so it takes precedence over the prefix routes AI
    Gateway generates (Gateway API route precedence), and not an AI Gateway route, so its ext_proc
    stays off here. It has no backend: the Lua policy answers every request it matches."""
    return {
        "apiVersion": GATEWAY_API_VERSION, "kind": "HTTPRoute",
        "metadata": _meta(MODELS_LIST_ROUTE, namespace, labels),
        "spec": {
            "parentRefs": [https_parent(spec)],
            "hostnames": [spec.host],
            "rules": [{"matches": [{"path": {"type": "Exact", "value": MODELS_PATH}, "method": "GET"}]}],
        },
    }


def models_list_policy(spec: GatewaySpec, served_names: dict[str, str], namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": ENVOY_API_VERSION, "kind": "EnvoyExtensionPolicy",
        "metadata": _meta(MODELS_LIST_ROUTE, namespace, labels),
        "spec": {
            "targetRefs": [_route_ref(MODELS_LIST_ROUTE)],
            "lua": [{"type": "Inline", "inline": models_list_script(spec.tenants, served_names)}],
        },
    }


# -- Policies -----------------------------------------------------------------------------------------

def security_policy(spec: GatewaySpec, served_names: dict[str, str], api_keys_secret: Any, namespace: Any,
                    labels: dict) -> dict:
    """API key -> tenant (401 without a known key); tenant x model grant (403 otherwise). The HTTP
    listener is left open: it only redirects, and ACME must reach its challenges there.

    `api_keys_secret`: name of the Secret holding one entry per tenant, the tenant's name mapping to
    its key (the pinned CRD: each key is stored under the client id). Envoy's API key filter sets the
    tenant header itself (api_key_auth.cc: headers.setCopy), so a client's own copy never survives
    authentication."""
    rules = []
    for tenant in spec.tenants:
        principal = [{"name": TENANT_HEADER, "values": [tenant.name]}]
        if ALL_MODELS not in tenant.models:
            principal.append({"name": MODEL_HEADER, "values": sorted(served_names[m] for m in tenant.models)})
        rules.append({"name": tenant.name, "action": "Allow", "principal": {"headers": principal}})
    return {
        "apiVersion": ENVOY_API_VERSION, "kind": "SecurityPolicy",
        "metadata": _meta(NAME, namespace, labels),
        "spec": {
            "targetRefs": policy_targets(spec, list(served_names), [MODELS_LIST_ROUTE]),
            "apiKeyAuth": {
                "credentialRefs": [{"group": "", "kind": "Secret", "name": api_keys_secret}],
                # Envoy strips a leading "Bearer ", so OpenAI clients' `Authorization: Bearer <key>` works.
                "extractFrom": [{"headers": ["Authorization"]}],
                "forwardClientIDHeader": TENANT_HEADER,
                "sanitize": True,
            },
            "authorization": {"defaultAction": "Deny", "rules": rules},
        },
    }


def _tenant_selector(tenant: Tenant) -> list[dict]:
    return [{"headers": [{"type": "Exact", "name": TENANT_HEADER, "value": tenant.name}]}]


def rate_limit_rules(tenants: Sequence[Tenant]) -> list[dict]:
    """Per tenant, across all models (`shared`): requests per minute, and tokens per minute and per
    day charged from each response's usage (a request is refused once the tenant is over)."""
    token_cost = {"request": {"from": "Number", "number": 0},
                  "response": {"from": "Metadata", "metadata": {"namespace": COST_METADATA_NAMESPACE, "key": TOTAL_TOKENS_KEY}}}
    rules = []
    for tenant in tenants:
        if tenant.requests_per_minute:
            rules.append({"clientSelectors": _tenant_selector(tenant), "shared": True,
                          "limit": {"requests": tenant.requests_per_minute, "unit": "Minute"}})
        for tokens, unit in ((tenant.tokens_per_minute, "Minute"), (tenant.tokens_per_day, "Day")):
            if tokens:
                rules.append({"clientSelectors": _tenant_selector(tenant), "shared": True,
                              "limit": {"requests": tokens, "unit": unit}, "cost": token_cost})
    return rules


def backend_traffic_policy(gateway: GatewaySpec, models: Sequence[str], namespace: Any, labels: dict,
                           resting: Optional[dict[str, dict]] = None) -> list[dict]:
    """Retries, DNS refresh and every tenant's limits. On a reused Gateway, whose listener settings
    (ClientTrafficPolicy) belong to its owner, the routes carry what streams need themselves: a stream
    idle timeout as long as a request may last (Envoy Gateway v1.8.3 sets it as the route's idle
    timeout, over the listener's), and a 50 MiB request buffer (the buffer filter raises the request's
    buffer limit, and AI Gateway puts its ext_proc after it: post_translate_modify.go).

    `resting`: model -> what its route adds (gateway/resting.resting_traffic), one more policy per
    model on its route. On the stack's own Gateway it merges into the listener's (mergeType: the
    tenants' shared limits keep their counters, Envoy Gateway keeping the parent's rule names); on a
    reused one, where no policy of ours is the parent, it is a whole policy of its own and the main
    one leaves the route out (config validation refuses this with rate limits, whose counters would
    be the route policy's own)."""
    resting = resting or {}
    spec: dict = {
        "targetRefs": policy_targets(gateway, [m for m in models if gateway.reuse is None or m not in resting]),
        "retry": {"numRetries": 2, "retryOn": {"triggers": RETRY_TRIGGERS, "httpStatusCodes": RETRY_STATUS_CODES},
                  "perRetry": {"backOff": {"baseInterval": "100ms", "maxInterval": "1s"}}},
        "dns": {"dnsRefreshRate": f"{DNS_REFRESH_SECONDS}s", "respectDnsTtl": False},
    }
    if gateway.reuse is not None:
        spec["timeout"] = {"http": {"streamIdleTimeout": f"{gateway.request_timeout_seconds}s"}}
        spec["requestBuffer"] = {"limit": BUFFER_LIMIT}
    policies = []
    for model, extra in sorted(resting.items()):
        if gateway.reuse is None:
            route_spec = {"targetRefs": [_route_ref(model)], "mergeType": "StrategicMerge", **extra}
        else:
            route_spec = {**spec, "targetRefs": [_route_ref(model)], **extra}
        policies.append({"apiVersion": ENVOY_API_VERSION, "kind": "BackendTrafficPolicy",
                         "metadata": _meta(f"{model}-cold-start", namespace, labels), "spec": route_spec})
    rules = rate_limit_rules(gateway.tenants)
    if rules:
        spec["rateLimit"] = {"global": {"rules": rules}}
    return [{"apiVersion": ENVOY_API_VERSION, "kind": "BackendTrafficPolicy",
             "metadata": _meta(NAME, namespace, labels), "spec": spec}, *policies]


def client_traffic_policy(spec: GatewaySpec, namespace: Any, labels: dict) -> dict:
    """Client side: streams may stay quiet as long as a request may last; a client cannot claim a tenant."""
    return {
        "apiVersion": ENVOY_API_VERSION, "kind": "ClientTrafficPolicy",
        "metadata": _meta(NAME, namespace, labels),
        "spec": {
            "targetRefs": [_gateway_ref()],
            "tcpKeepalive": KEEPALIVE,
            "timeout": {"http": {"streamIdleTimeout": f"{spec.request_timeout_seconds}s", "idleTimeout": "3600s"}},
            "connection": {"bufferLimit": BUFFER_LIMIT},
            "headers": {"earlyRequestHeaders": {"remove": [TENANT_HEADER]}},
        },
    }


# -- TLS: cert-manager --------------------------------------------------------------------------------

def issuer_ref(spec: GatewaySpec) -> dict:
    issuer = spec.tls.issuer
    if isinstance(issuer, ExistingIssuer):
        name = issuer.name
    else:
        name = ACME_ISSUER if isinstance(issuer, AcmeIssuer) else CA_ISSUER
    return {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": name}


def _cluster_issuer(name: str, spec: dict, labels: dict) -> dict:
    return {"apiVersion": CERT_MANAGER_API_VERSION, "kind": "ClusterIssuer", "metadata": _meta(name, None, labels), "spec": spec}


def issuers(spec: GatewaySpec, gateway_namespace: Any, cert_manager_namespace: Any, system: SystemPlacement,
            labels: dict, cloudflare_secret: Any = None) -> list[dict]:
    """The ClusterIssuers (and, for a self-signed setup, the CA certificate) the gateway certificate needs.
    `cloudflare_secret`: name of the Secret (in cert-manager's namespace) holding the DNS-01 token."""
    issuer = spec.tls.issuer
    if isinstance(issuer, SelfSignedIssuer):
        ca = {
            "apiVersion": CERT_MANAGER_API_VERSION, "kind": "Certificate",
            "metadata": _meta(CA_SECRET, cert_manager_namespace, labels),
            "spec": {"isCA": True, "commonName": "llmstack gateway CA", "secretName": CA_SECRET, "duration": "87600h",
                     "privateKey": {"algorithm": "ECDSA", "size": 256},
                     "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": SELF_SIGNED_ISSUER}},
        }
        return [_cluster_issuer(SELF_SIGNED_ISSUER, {"selfSigned": {}}, labels), ca,
                _cluster_issuer(CA_ISSUER, {"ca": {"secretName": CA_SECRET}}, labels)]
    if isinstance(issuer, AcmeIssuer):
        if issuer.challenge == "http01":
            solver = {"http01": {"gatewayHTTPRoute": {
                "parentRefs": [{**_gateway_ref(HTTP_LISTENER), "namespace": gateway_namespace}],
                "serviceType": "ClusterIP",
                "podTemplate": {"spec": system.scheduling()},
            }}}
        else:
            if cloudflare_secret is None:
                raise ValueError("a dns01-cloudflare issuer needs the name of the Secret holding the token")
            solver = {"dns01": {"cloudflare": {"apiTokenSecretRef": {"name": cloudflare_secret, "key": CLOUDFLARE_KEY}}}}
        return [_cluster_issuer(ACME_ISSUER, {"acme": {
            "server": issuer.directory, "email": issuer.email,
            "privateKeySecretRef": {"name": ACME_ACCOUNT_SECRET}, "solvers": [solver],
        }}, labels)]
    return []


def certificate(spec: GatewaySpec, namespace: Any, labels: dict) -> dict:
    """The listener's certificate; cert-manager renews it a third of its lifetime before expiry."""
    return {
        "apiVersion": CERT_MANAGER_API_VERSION, "kind": "Certificate",
        "metadata": _meta(NAME, namespace, labels),
        "spec": {"secretName": TLS_SECRET, "dnsNames": [spec.host], "issuerRef": issuer_ref(spec),
                 "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}},
    }


def certificate_grant(spec: GatewaySpec, namespace: Any, labels: dict) -> dict:
    """With a reused Gateway: lets Gateways in its namespace read the certificate's Secret here, so its
    listener can name it (certificateRefs with this namespace); Gateway API refuses such a reference
    without a ReferenceGrant in the Secret's namespace."""
    assert spec.reuse is not None
    return {
        "apiVersion": f"{GATEWAY_API}/v1beta1", "kind": "ReferenceGrant",
        "metadata": _meta(TLS_SECRET, namespace, labels),
        "spec": {"from": [{"group": GATEWAY_API, "kind": "Gateway", "namespace": spec.reuse.namespace}],
                 "to": [{"group": "", "kind": "Secret", "name": TLS_SECRET}]},
    }


# -- Redis for global rate limits ---------------------------------------------------------------------

def redis_config(password: Any) -> list:
    """The config file Redis starts from: only the password (the rest are arguments). Parts to join
    with Output.concat, so the password stays a secret."""
    return ["requirepass ", password, "\n"]


def redis(system: SystemPlacement, labels: dict, auth_secret: Any) -> list[dict]:
    """A single, unpersisted Redis: losing it resets the counters, nothing else. Clients must
    authenticate with the password in `auth_secret` (a Secret with REDIS_PASSWORD_KEY and
    REDIS_CONFIG_KEY), mounted as its config file: the image's entrypoint runs `redis-server <file>`
    when the first argument ends in .conf (redis/docker-library-redis docker-entrypoint.sh), no shell
    and no password on the command line. Protected mode is on (the image compiles it off): should the
    password ever be missing, Redis still refuses every client from outside the pod."""
    selector = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": REDIS_NAME}
    namespace = ENVOY_GATEWAY.namespace
    pod = {
        **system.scheduling(),
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": REDIS_UID, "runAsGroup": REDIS_GID, "fsGroup": REDIS_GID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "redis", "image": REDIS.reference, "imagePullPolicy": "IfNotPresent",
            "args": [f"{REDIS_CONFIG_DIR}/{REDIS_CONFIG_KEY}", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            "ports": [{"name": "redis", "containerPort": REDIS_PORT, "protocol": "TCP"}],
            "readinessProbe": {"tcpSocket": {"port": "redis"}, "periodSeconds": 5},
            "livenessProbe": {"tcpSocket": {"port": "redis"}, "periodSeconds": 10, "failureThreshold": 6},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
            "securityContext": container_security_context(read_only_root=True),
            "volumeMounts": [{"name": "data", "mountPath": "/data"},
                             {"name": "config", "mountPath": REDIS_CONFIG_DIR, "readOnly": True}],
        }],
        "volumes": [
            {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
            # Readable by the group (fsGroup), that is by Redis's user, and no one else.
            {"name": "config", "secret": {"secretName": auth_secret, "defaultMode": 0o440,
                                          "items": [{"key": REDIS_CONFIG_KEY, "path": REDIS_CONFIG_KEY}]}},
        ],
    }
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": _meta(REDIS_NAME, namespace, {**labels, **selector},
                           annotations=scan_exceptions(PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST)),
         "spec": {"replicas": 1, "selector": {"matchLabels": selector},
                  "template": {"metadata": {"labels": {**labels, **selector}}, "spec": pod}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta(REDIS_NAME, namespace, labels),
         "spec": {"type": "ClusterIP", "selector": selector,
                  "ports": [{"name": "redis", "port": REDIS_PORT, "targetPort": "redis", "protocol": "TCP"}]}},
        redis_network_policy(selector, labels),
    ]


def redis_network_policy(redis_labels: dict, labels: dict) -> dict:
    """Only the rate-limit service's pods reach Redis, on its port; Redis itself connects nowhere."""
    ratelimit = Peer(ENVOY_GATEWAY.namespace, RATELIMIT_POD_LABELS)
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": _meta(REDIS_NAME, ENVOY_GATEWAY.namespace, labels),
        "spec": {
            "podSelector": {"matchLabels": redis_labels},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [ratelimit.selector()], "ports": [{"protocol": "TCP", "port": REDIS_PORT}]}],
        },
    }


def ca_certificate_command(cert_manager_namespace: str = CERT_MANAGER.namespace) -> str:
    """How a client gets the self-signed CA to verify the gateway with (curl --cacert)."""
    return (f"kubectl -n {cert_manager_namespace} get secret {CA_SECRET} -o jsonpath='{{.data.ca\\.crt}}' "
            "| base64 -d > llmstack-ca.crt")


def ai_gateway_controller_host() -> str:
    """The extension server Envoy Gateway calls: the AI Gateway chart's Service (fullnameOverride)."""
    return f"ai-gateway-controller.{AI_GATEWAY.namespace}.svc.cluster.local"
