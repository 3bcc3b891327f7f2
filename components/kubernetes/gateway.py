"""The front door: one OpenAI-compatible HTTPS endpoint for every model.

Envoy Gateway (Gateway API) terminates TLS with a cert-manager certificate, checks the tenant's API
key, its grant for the requested model and its limits; Envoy AI Gateway routes by the body's `model`
to the model's ready vLLM pods. Every chart is pinned (components/core/catalog/charts.py).

Every Secret here (API keys, Cloudflare token, Redis password) is auto-named and replaced
create-before-delete, and every reader takes its name from the Secret's output: adding a tenant or
rotating a key never leaves a moment without valid keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
import yaml

from ..core import endpoint_picker, keda_http
from ..core.catalog.charts import AI_GATEWAY, AI_GATEWAY_CRDS, CERT_MANAGER, ENVOY_GATEWAY, KEDA_HTTP_ADD_ON
from ..core.cluster import SystemPlacement
from ..core.cold_start import ColdStart
from ..core.gateway import objects, resting, values
from ..core.manifests.network import Peer
from ..core.monitoring.objects import ScrapeTarget, target_service_monitor
from ..core.gateway.spec import AcmeIssuer, GatewaySpec
from ..core.labels import CostLabels, platform_labels
from ._base import (TOKEN_PREFIX, ComponentArgs, InputStr, child, custom_resource_kwargs, extra_package, random_passwords,
                    replaceable_secret, resource_kwargs, waits_for)
from .helm import chart_namespace, release

_cert_manager = extra_package("pulumi_kubernetes_cert_manager", "gateway")
CertManager, CertManagerArgs, ReleaseArgs = _cert_manager.CertManager, _cert_manager.CertManagerArgs, _cert_manager.ReleaseArgs

API_KEY_LENGTH = 48
POOL_CRD = Path(__file__).parent / "crds" / "inference.networking.k8s.io_inferencepools-v1.5.0.yaml"


class RoutedModel(ComponentArgs):
    """One served model as the gateway routes it: by the `model` clients send, to the model's ready pods."""

    name: str
    """The model's config name: names its route and backend, and selects its pods (as VllmModel labels
    them); the gateway reaches the ready ones through a headless Service of its own."""
    served_name: str
    """The `model` value clients send."""
    port: int
    cold_start: Optional[ColdStart] = None
    """For a model that rests at zero replicas (its plan's): the gateway holds its requests while it starts."""
    max_num_seqs: Optional[int] = None
    """Requests one replica runs at once (its plan's): the interceptor's concurrency target."""
    replicas_max: int = 1
    """Its replicas.max: with several replicas, requests go to the replica its endpoint picker chooses
    by prefix cache (on the stack's own Gateway)."""


class GatewayArgs(ComponentArgs):
    """The OpenAI-compatible front door: Envoy Gateway and Envoy AI Gateway, TLS, one API key per tenant,
    and request and token limits, routing each request by its `model` to that model's pods."""

    spec: GatewaySpec
    system: SystemPlacement
    cluster_load_balancer_annotations: dict[str, str] = {}
    namespace: InputStr
    """Where the Gateway, routes and policies live: the serving namespace."""
    models: list[RoutedModel]
    cost: CostLabels
    cloudflare_api_token: Optional[pulumi.Output] = None
    serving_namespace: Optional[str] = None
    """The serving namespace's name as text: the only namespace KEDA's HTTP add-on watches. Needed
    when a model rests at zero."""
    keda_ready: list[pulumi.Resource] = []
    """The releases that install KEDA's CRDs (and the Prometheus Operator's, with monitoring): the HTTP
    add-on scales its interceptor with a ScaledObject of its own."""
    scrapers: Optional[Peer] = None
    """The Prometheus pods that scrape the interceptor, with monitoring."""
    monitor_labels: dict[str, str] = {}
    """Labels a reused Prometheus selects ServiceMonitors (and PodMonitors) by."""

    @property
    def resting(self) -> list[RoutedModel]:
        return [model for model in self.models if model.cold_start is not None]

    @property
    def picked(self) -> list[RoutedModel]:
        """Models routed through an InferencePool and its endpoint picker: those with several replicas,
        on the stack's own Gateway, or a reused one whose Envoy Gateway lists InferencePools."""
        if not endpoint_picker.gateway_routes_pools(self.spec):
            return []
        return [model for model in self.models if endpoint_picker.routed_by_picker(model.replicas_max)]


class Gateway(pulumi.ComponentResource):
    """`Gateway(name, GatewayArgs(...), opts)`: see GatewayArgs. A bad argument raises ConfigError naming it."""

    url: str
    """The OpenAI base URL clients use: https://<host>/v1."""
    api_keys: pulumi.Output
    """Tenant name -> API key, a secret."""

    def __init__(self, name: str, args: GatewayArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:Gateway", name, None, opts)
        labels = platform_labels(args.cost)
        after = waits_for(opts)
        if args.spec.reuse is None:
            envoy = self._create_envoy_gateway(name, args, labels, after)
            pool_crd = self._create_pool_crd(name, labels, after) if args.picked else None
            ai = self._create_ai_gateway(name, args, labels, [*after, *([pool_crd] if pool_crd else [])], envoy)
            self._create_gateway(name, args, labels, envoy, ai)
            gateway_crds: list = [envoy]
            ai_crds: list = [envoy, ai]
        else:
            # The cluster's Gateway: its Envoy Gateway and AI Gateway hold the CRDs; nothing to wait for.
            gateway_crds = ai_crds = after
            if not args.picked:
                self._warn_unpicked(args)
        if args.spec.issues_certificate:
            self._create_tls(name, args, labels, gateway_crds)
        interceptor = self._create_interceptor(name, args, labels, gateway_crds) if args.resting else None
        self._create_routes(name, args, labels, after=ai_crds, interceptor=interceptor)
        self.api_keys = self._create_policies(name, args, labels, gateway_crds)
        self.url = f"https://{args.spec.host}/v1"
        self.register_outputs({"url": self.url, "api_keys": self.api_keys})

    def _custom(self, name: str, manifest: dict, after: list) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(name, **custom_resource_kwargs(manifest), opts=child(self, depends_on=after))

    def _create_envoy_gateway(self, name: str, args: GatewayArgs, labels: dict, after: list) -> pulumi.Resource:
        """Envoy Gateway, and the Redis its rate limiter counts in when a tenant has limits."""
        namespace = chart_namespace(f"{name}-envoy", ENVOY_GATEWAY, labels, self)
        limited = bool(objects.rate_limit_rules(args.spec.tenants))
        redis_auth = self._create_redis(name, args, labels, namespace, after) if limited else None
        return release(f"{name}-envoy-gateway", ENVOY_GATEWAY, namespace.metadata.name,
                       values.envoy_gateway_values(args.system, limited, redis_auth, inference_pools=bool(args.picked)), self,
                       opts=pulumi.ResourceOptions(depends_on=after or None))

    def _create_redis(self, name: str, args: GatewayArgs, labels: dict, namespace: pulumi.Resource,
                      after: list) -> pulumi.Output:
        """Redis with a generated password, kept in a Secret that Redis reads as its config and the
        rate-limit service as REDIS_AUTH (returned: the Secret's name); a NetworkPolicy admits only
        the rate-limit service's pods."""
        password = random_passwords(self, f"{name}-redis", [objects.REDIS_PASSWORD_KEY])[objects.REDIS_PASSWORD_KEY]
        auth = replaceable_secret(self, f"{name}-redis-auth", namespace=namespace.metadata.name, labels=labels, string_data={
            objects.REDIS_PASSWORD_KEY: password,
            objects.REDIS_CONFIG_KEY: pulumi.Output.concat(*objects.redis_config(password)),
        })
        deployment, service, policy = objects.redis(args.system, labels, auth.metadata.name)
        opts = child(self, depends_on=[namespace, *after])
        k8s.apps.v1.Deployment(f"{name}-redis", **resource_kwargs(deployment), opts=opts)
        k8s.core.v1.Service(f"{name}-redis-service", **resource_kwargs(service), opts=opts)
        k8s.networking.v1.NetworkPolicy(f"{name}-redis-netpol", **resource_kwargs(policy), opts=opts)
        return auth.metadata.name

    def _create_pool_crd(self, name: str, labels: dict, after: list) -> pulumi.Resource:
        """The InferencePool CRD (GIE v1.5.0's, shipped with the package): before AI Gateway's controller,
        which starts its InferencePool handling only if the CRD exists when it starts."""
        crd = yaml.safe_load(POOL_CRD.read_text())
        crd.pop("status", None)  # written by the API server
        crd["metadata"]["labels"] = {**crd["metadata"].get("labels", {}), **labels}
        return k8s.apiextensions.v1.CustomResourceDefinition(
            f"{name}-inferencepool-crd", **resource_kwargs(crd), opts=child(self, depends_on=after or None))

    def _warn_unpicked(self, args: GatewayArgs) -> None:
        for model in args.models:
            if endpoint_picker.routed_by_picker(model.replicas_max):
                pulumi.log.warn(
                    f"{model.name}: its replicas are chosen by the reused Gateway's load balancing, not by prefix cache: "
                    "an InferencePool route needs the cluster's Envoy Gateway to list InferencePool among its extension "
                    "manager's backendResources and the InferencePool CRD; once it does, set gateway.reuse.inferencePools",
                    resource=self)

    def _create_pickers(self, name: str, args: GatewayArgs, labels: dict, after: list) -> None:
        """Per model with several replicas: its endpoint picker and the InferencePool that names it."""
        for model in args.picked:
            attributed = {**labels, **args.cost.for_model(model.name)}  # its pods cost what its model costs
            for manifest in endpoint_picker.objects(model.name, args.namespace, attributed, args.system):
                kind = manifest["kind"]
                resource = {"ServiceAccount": k8s.core.v1.ServiceAccount, "Role": k8s.rbac.v1.Role,
                            "RoleBinding": k8s.rbac.v1.RoleBinding, "ConfigMap": k8s.core.v1.ConfigMap,
                            "Deployment": k8s.apps.v1.Deployment, "Service": k8s.core.v1.Service}[kind]
                resource(f"{name}-{model.name}-epp-{kind.lower()}", **resource_kwargs(manifest), opts=child(self))
            self._custom(f"{name}-{model.name}-pool", endpoint_picker.inference_pool(model.name, args.namespace, labels), after)
            if args.scrapers is not None and args.serving_namespace is not None:
                target = ScrapeTarget(endpoint_picker.name(model.name), args.serving_namespace,
                                      endpoint_picker.picker_labels(model.name), "http-metrics")
                self._custom(f"{name}-{model.name}-epp-monitor",
                             target_service_monitor(target, labels={**attributed, **args.monitor_labels}), args.keda_ready)

    def _create_ai_gateway(self, name: str, args: GatewayArgs, labels: dict, after: list,
                           envoy: pulumi.Resource) -> pulumi.Resource:
        """AI Gateway's CRDs, then its controller: the extension server Envoy Gateway calls and the
        webhook that adds the ext_proc sidecar to Envoy pods (so it must exist before the Gateway)."""
        namespace = chart_namespace(f"{name}-ai", AI_GATEWAY, labels, self)
        crds = release(f"{name}-ai-gateway-crds", AI_GATEWAY_CRDS, namespace.metadata.name, {}, self,
                       opts=pulumi.ResourceOptions(depends_on=after or None))
        return release(f"{name}-ai-gateway", AI_GATEWAY, namespace.metadata.name, values.ai_gateway_values(args.system),
                       self, opts=pulumi.ResourceOptions(depends_on=[crds, envoy]))

    def _create_tls(self, name: str, args: GatewayArgs, labels: dict, after: list) -> None:
        """cert-manager (after the Gateway API CRDs, which it looks for at start-up), the issuers,
        and the listener's certificate; for a reused Gateway, also the grant that lets its listener
        name the certificate's Secret."""
        issuer = args.spec.tls.issuer
        part = args.spec.tls.cert_manager
        issued: list = []
        cert_manager_namespace: Any = part.namespace
        if part.install:
            namespace = chart_namespace(f"{name}-cert-manager", CERT_MANAGER, labels, self)
            cert_manager_namespace = namespace.metadata.name
            issued.append(CertManager(f"{name}-cert-manager", CertManagerArgs(
                helm_options=ReleaseArgs(
                    name=CERT_MANAGER.name, chart=CERT_MANAGER.name, version=CERT_MANAGER.version,
                    repository_opts={"repo": CERT_MANAGER.repository}, namespace=cert_manager_namespace,
                    values=values.cert_manager_values(args.system, gateway_api=args.spec.http01), max_history=10,
                ),
                **values.cert_manager_typed(args.system),
            ), opts=child(self, depends_on=after)))
        cloudflare_secret = None
        if isinstance(issuer, AcmeIssuer) and issuer.challenge == "dns01-cloudflare":
            assert args.cloudflare_api_token is not None, "checked by config validation"
            token = replaceable_secret(self, f"{name}-cloudflare-token", namespace=cert_manager_namespace, labels=labels,
                                       string_data={objects.CLOUDFLARE_KEY: args.cloudflare_api_token})
            cloudflare_secret = token.metadata.name
        for manifest in objects.issuers(args.spec, args.namespace, cert_manager_namespace, args.system, labels,
                                        cloudflare_secret):
            issued.append(self._custom(f"{name}-{manifest['kind'].lower()}-{manifest['metadata']['name']}", manifest,
                                       issued[:] or after))
        self._custom(f"{name}-certificate", objects.certificate(args.spec, args.namespace, labels), issued or after)
        if args.spec.reuse is not None:
            self._custom(f"{name}-certificate-grant", objects.certificate_grant(args.spec, args.namespace, labels), after)

    def _create_gateway(self, name: str, args: GatewayArgs, labels: dict, envoy: pulumi.Resource, ai: pulumi.Resource) -> None:
        """EnvoyProxy -> GatewayClass -> Gateway. The Gateway's Envoy pods are created with it, so it
        also waits for AI Gateway's webhook. It does not wait for its certificate: an HTTP-01
        challenge is answered through the Gateway, and the HTTPS listener serves once the Secret exists."""
        envoy_proxy = objects.envoy_proxy(args.spec, args.system, args.cluster_load_balancer_annotations, labels)
        parameters = self._custom(f"{name}-envoy-proxy", envoy_proxy, [envoy])
        klass = self._custom(f"{name}-class", objects.gateway_class(labels), [envoy, parameters])
        gateway = self._custom(f"{name}-gateway", objects.gateway(args.spec, args.namespace, labels), [envoy, ai, klass])
        self._custom(f"{name}-https-redirect", objects.https_redirect(args.namespace, labels), [gateway])

    def _create_interceptor(self, name: str, args: GatewayArgs, labels: dict, gateway_crds: list) -> pulumi.Resource:
        """KEDA's HTTP add-on (after KEDA's CRDs), reachable only from the gateway's Envoy pods (and
        its scaler and Prometheus), and, with monitoring, its metrics and (on the stack's own Gateway)
        the Envoy pods' scraped: they count what a resting model's queue refuses."""
        assert args.serving_namespace is not None, "the Gateway's models rest at zero: serving_namespace is required"
        namespace = chart_namespace(f"{name}-keda-http", KEDA_HTTP_ADD_ON, labels, self)
        add_on = release(f"{name}-keda-http", KEDA_HTTP_ADD_ON, namespace.metadata.name,
                         keda_http.helm_values(args.system, args.serving_namespace, self._longest_request(args)),
                         self, opts=pulumi.ResourceOptions(depends_on=args.keda_ready or None))
        gateway = objects.proxy_peer(args.spec, args.serving_namespace)
        policy = keda_http.interceptor_policy(gateway=gateway, scrapers=args.scrapers, labels=labels)
        k8s.networking.v1.NetworkPolicy(f"{name}-keda-http-netpol", **resource_kwargs(policy), opts=child(self, depends_on=[namespace]))
        if args.scrapers is not None:
            service = keda_http.metrics_service(namespace.metadata.name, labels)
            k8s.core.v1.Service(f"{name}-keda-http-metrics", **resource_kwargs(service), opts=child(self, depends_on=[namespace]))
            target = ScrapeTarget(keda_http.METRICS_SERVICE, keda_http.NAMESPACE, service["metadata"]["labels"],
                                  keda_http.METRICS_PORT_NAME)
            self._custom(f"{name}-keda-http-monitor", target_service_monitor(target, labels={**labels, **args.monitor_labels}),
                         [namespace, *args.keda_ready])
            if args.spec.reuse is None:
                peer = objects.proxy_peer(args.spec, args.serving_namespace)
                monitor = resting.envoy_pod_monitor(peer.namespace, peer.pod_labels, {**labels, **args.monitor_labels})
                self._custom(f"{name}-envoy-monitor", monitor, [*args.keda_ready, *gateway_crds])
        return add_on

    @staticmethod
    def _longest_request(args: GatewayArgs) -> int:
        """The longest a request through the interceptor may last (held, then answered): what a stopping
        interceptor waits for before it lets go of its requests."""
        return max(resting.route_timeout_seconds(args.spec, model.cold_start) for model in args.resting
                   if model.cold_start is not None)

    def _create_routes(self, name: str, args: GatewayArgs, labels: dict, after: list,
                       interceptor: Optional[pulumi.Resource] = None) -> None:
        """Per model: its ready pods (a headless Service), as a Backend, and the route to it; for a
        model that rests at zero, the Backend is KEDA's interceptor, with the model's route there."""
        picked = {model.name for model in args.picked}
        if picked:
            self._create_pickers(name, args, labels, after)
        for model in args.models:
            timeout = None
            if model.name in picked:
                route = objects.ai_gateway_route(args.spec, model.name, model.served_name, args.namespace, labels,
                                                 backend=endpoint_picker.pool_backend_ref(model.name))
                self._custom(f"{name}-{model.name}-route", route, after)
                continue
            if model.cold_start is None:
                endpoints = k8s.core.v1.Service(
                    f"{name}-{model.name}-endpoints",
                    **resource_kwargs(objects.endpoints_service(model.name, model.port, args.namespace, labels)), opts=child(self))
                host: Any = pulumi.Output.concat(endpoints.metadata.name, ".", endpoints.metadata.namespace, ".svc.cluster.local")
                backend = objects.backend(model.name, host, model.port, args.namespace, labels)
            else:
                assert interceptor is not None
                route = resting.interceptor_route(model.name, model.served_name, model.cold_start, model.max_num_seqs,
                                                  objects.MODEL_HEADER, args.namespace, labels)
                self._custom(f"{name}-{model.name}-interceptor-route", route, [interceptor])
                backend = objects.backend(model.name, resting.backend_host(), resting.BACKEND_PORT, args.namespace, labels)
                timeout = resting.route_timeout_seconds(args.spec, model.cold_start)
            self._custom(f"{name}-{model.name}-backend", backend, after)
            self._custom(f"{name}-{model.name}-service-backend",
                         objects.ai_service_backend(model.name, args.namespace, labels), after)
            route = objects.ai_gateway_route(args.spec, model.name, model.served_name, args.namespace, labels, timeout)
            self._custom(f"{name}-{model.name}-route", route, after)
        served = {model.name: model.served_name for model in args.models}
        self._custom(f"{name}-models-route", objects.models_list_route(args.spec, args.namespace, labels), after)
        self._custom(f"{name}-models-list", objects.models_list_policy(args.spec, served, args.namespace, labels), after)

    def _create_policies(self, name: str, args: GatewayArgs, labels: dict, after: list) -> pulumi.Output:
        """API keys and grants, retries and limits; and, on the stack's own Gateway, its listener settings."""
        tenants = args.spec.tenants
        keys = random_passwords(self, f"{name}-key", [t.name for t in tenants], API_KEY_LENGTH)
        # Envoy Gateway's API key Secret: one entry per tenant, the tenant's name mapping to its key.
        secret = replaceable_secret(self, f"{name}-api-keys", namespace=args.namespace, labels=labels, string_data=keys)
        served = {model.name: model.served_name for model in args.models}
        policy = objects.security_policy(args.spec, served, secret.metadata.name, args.namespace, labels)
        self._custom(f"{name}-security-policy", policy, after)
        extra = {model.name: resting.resting_traffic(args.spec, model.served_name, model.cold_start)
                 for model in args.resting if model.cold_start is not None}
        main, *per_route = objects.backend_traffic_policy(args.spec, list(served), args.namespace, labels, extra)
        self._custom(f"{name}-backend-traffic-policy", main, after)
        for policy in per_route:
            self._custom(f"{name}-{policy['metadata']['name']}-traffic-policy", policy, after)
        if args.spec.reuse is None:
            client = objects.client_traffic_policy(args.spec, args.namespace, labels)
            self._custom(f"{name}-client-traffic-policy", client, after)
        return pulumi.Output.secret(pulumi.Output.all(**keys))

