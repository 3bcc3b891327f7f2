"""Offline plan: run the real stack program under Pulumi's mocks with a stack's config.

    python -m tools.plan --stack dev            (what `make plan STACK=dev` runs)

Writes build/<stack>/manifests/<kind>-<namespace|cluster>-<name>.yaml (every Kubernetes object
the program declares), build/<stack>/resources.json (every registered resource) and prints a
summary. No cloud, cluster or Pulumi CLI is needed. Secrets in the stack file cannot be decrypted
here; they are replaced by a placeholder and stay marked secret, so they are masked in the output.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.core.catalog.gpus import GPU_RESOURCE  # noqa: E402
from components.core.errors import ConfigError, Problem  # noqa: E402
from components.core.gateway.objects import TENANT_HEADER  # noqa: E402
from components.core.labels import POOL_LABEL  # noqa: E402
from components.kubernetes._base import TOKEN_PREFIX  # noqa: E402
from tools.replacements import report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "offline-plan-placeholder-secret"


@functools.lru_cache(maxsize=4)
def project_name(root: Path = ROOT) -> str:
    return yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]


def stack_config(stack: str, root: Path = ROOT, path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """Config as the Pulumi engine hands it to a program: namespaced keys, structured values as JSON."""
    path = path or root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise SystemExit(f"no stack file {path.name}; stacks: {', '.join(stacks)}")
    document = read_stack_file(path)
    return flatten_config(document.get("config") or {}, project_name(root))


def read_stack_file(path: Path) -> dict:
    """The stack file as YAML, or a ConfigError naming the file, line and column of what is wrong."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path.name
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        hint = "; indent with spaces, not tabs" if "\t" in path.read_text() else ""
        raise ConfigError(Problem(where, f"not valid YAML: {reason}{hint}")) from None
    except UnicodeDecodeError:
        raise ConfigError(Problem(path.name, "not a UTF-8 text file")) from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise ConfigError(Problem(path.name, "must be a YAML mapping with a `config:` mapping of keys to values"))
    return document


def flatten_config(config: dict[str, Any], project: str) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = PLACEHOLDER_SECRET
            secret_keys.append(full)
        elif _holds_secure(value):
            # A structured value with secure parts (`pulumi config set --secret --path`): Pulumi passes
            # it decrypted, as JSON, and marks the whole key secret.
            values[full] = json.dumps(_placeholders(value))
            secret_keys.append(full)
        elif isinstance(value, str):
            values[full] = value
        else:
            values[full] = json.dumps(value)
    return values, secret_keys


def _holds_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_holds_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secure(v) for v in value)
    return False


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return PLACEHOLDER_SECRET if set(value) == {"secure"} else {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def manifest_filename(obj: dict) -> str:
    metadata = obj.get("metadata") or {}
    scope = metadata.get("namespace") or "cluster"
    return f"{obj['kind'].lower()}-{scope}-{metadata.get('name')}.yaml"


HEAD_KEYS = ("apiVersion", "kind", "metadata")


def canonical(obj: dict) -> dict:
    """Deterministic key order for review: apiVersion, kind, metadata first, then sorted."""
    ordered = {k: _sorted(obj[k]) for k in HEAD_KEYS if k in obj}
    ordered.update({k: _sorted(obj[k]) for k in sorted(obj) if k not in HEAD_KEYS})
    return ordered


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def write_plan(recording: Any, out: Path, config: dict | None = None) -> None:
    if out.exists():
        shutil.rmtree(out)
    manifests = out / "manifests"
    manifests.mkdir(parents=True)
    for obj in recording.kubernetes_objects():
        target = manifests / manifest_filename(obj)
        if target.exists():
            raise RuntimeError(f"two objects would be written to {target.name}")
        target.write_text(yaml.safe_dump(canonical(obj), sort_keys=False, width=120))
    for release in recording.helm_releases():
        releases = out / "releases"
        releases.mkdir(exist_ok=True)
        target = releases / f"{release['namespace']}-{release['name']}.yaml"
        target.write_text(yaml.safe_dump(_sorted(release), sort_keys=False, width=120))
    document = {
        "config": config or {},
        "resources": [{**r.to_json(), "inputs": _sorted(r.inputs)} for r in recording.registrations],
        "outputs": recording.outputs,
    }
    (out / "resources.json").write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")


def summary(recording: Any, stack: str) -> str:
    lines = [f"stack {stack}: {len(recording.registrations)} resources"]
    models = recording.by_type(f"{TOKEN_PREFIX}:VllmModel")
    deployments = {r.inputs["metadata"]["name"]: r.inputs for r in recording.by_type("kubernetes:apps/v1:Deployment")}
    scaled = {o["metadata"]["name"]: o["spec"] for o in recording.kubernetes_objects() if o.get("kind") == "ScaledObject"}
    lines.append("models:")
    for component in models:
        deployment = deployments.get(component.name)
        if deployment is None:
            continue
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        gpus = container["resources"]["limits"].get(GPU_RESOURCE, 0)
        image = container["image"]
        lines.append(
            f"  {component.name:<24} pool={labels.get(POOL_LABEL, '?'):<12} "
            f"gpus/pod={gpus} replicas={_replicas(deployment, scaled.get(component.name))} image={image}"
        )
    groups = recording.by_type("aws:eks/nodeGroup:NodeGroup")
    if groups:
        lines.append("node groups:")
    for group in groups:
        inputs = group.inputs
        scaling = inputs["scalingConfig"]
        taints = ",".join(f"{t['key']}={t['value']}:{t['effect']}" for t in inputs.get("taints", [])) or "-"
        lines.append(
            f"  {inputs['nodeGroupNamePrefix'].rstrip('-'):<24} {inputs['instanceTypes'][0]:<16} {inputs['capacityType']:<9} "
            f"nodes={scaling['minSize']}..{scaling['maxSize']} ami={inputs['amiType']} taints={taints}"
        )
    lines += gke_node_pools(recording.by_type("gcp:container/nodePool:NodePool"))
    lines += aks_agent_pools(recording.by_type("azure-native:containerservice:ManagedCluster"),
                             recording.by_type("azure-native:containerservice:AgentPool"))
    for release in recording.helm_releases():
        lines.append(f"chart {release['chart']} {release['version']} in {release['namespace']}")
    lines += gateway_summary(recording.kubernetes_objects())
    lines.append("resources by type:")
    for type_, count in sorted(Counter(r.type for r in recording.registrations).items()):
        lines.append(f"  {count:>3}  {type_}")
    return "\n".join(lines)


def gke_node_pools(pools: list) -> list[str]:
    """Each GKE node pool: machine, GPUs, spot, autoscaling totals, taints and the labels set at creation."""
    lines = ["node pools:"] if pools else []
    for pool in pools:
        inputs, config = pool.inputs, pool.inputs["nodeConfig"]
        scaling = inputs["autoscaling"]
        gpus = ",".join(f"{a['count']}x{a['type']}" for a in config.get("guestAccelerators", [])) or "-"
        taints = ",".join(f"{t['key']}={t['value']}:{t['effect']}" for t in config.get("taints", [])) or "-"
        labels = ",".join(f"{k}={v}" for k, v in sorted(config.get("labels", {}).items()))
        lines.append(
            f"  {inputs['name']:<24} {config['machineType']:<16} {'spot' if config.get('spot') else 'on-demand':<9} "
            f"gpus={gpus} nodes={scaling['totalMinNodeCount']}..{scaling['totalMaxNodeCount']} taints={taints} labels={labels}"
        )
    return lines


def aks_agent_pools(clusters: list, pools: list) -> list[str]:
    """Each AKS agent pool (the system pool inline in the cluster): VM size, priority, bounds, taints
    and the labels it is created with."""
    rows = [profile for cluster in clusters for profile in cluster.inputs.get("agentPoolProfiles", [])]
    rows += [{**pool.inputs, "name": pool.inputs["agentPoolName"]} for pool in pools]
    lines = ["agent pools:"] if rows else []
    for row in rows:
        labels = ",".join(f"{k}={v}" for k, v in sorted(row.get("nodeLabels", {}).items()))
        lines.append(
            f"  {row['name']:<24} {row['vmSize']:<26} {'spot' if row.get('scaleSetPriority') == 'Spot' else 'on-demand':<9} "
            f"nodes={row['minCount']}..{row['maxCount']} taints={','.join(row.get('nodeTaints', [])) or '-'} labels={labels}"
        )
    return lines


def platform_parts(config: Any) -> list[str]:
    """Each platform part the stack can install, and whether it installs it or uses the cluster's."""
    from components.aws.spec import EksClusterSpec
    from components.core.catalog.charts import CERT_MANAGER, DCGM_EXPORTER, GPU_OPERATOR, KEDA, KUBE_PROMETHEUS_STACK
    from components.azure.spec import AksClusterSpec
    from components.gcp.spec import GkeClusterSpec

    from components.core import endpoint_picker
    from components.core.catalog.charts import AI_GATEWAY, ENVOY_GATEWAY, KEDA_HTTP_ADD_ON
    from components.core.catalog.images import ENDPOINT_PICKER

    gateway = config.gateway
    cert_manager = gateway.tls.cert_manager
    monitoring = config.monitoring if config.monitoring is not None and config.monitoring.enabled else None
    existing = monitoring.reuse.prometheus if monitoring is not None else None
    reused = gateway.reuse
    rows = [
        ("cert-manager", "not used (the reused Gateway's listener holds its own certificate)"
         if not gateway.issues_certificate else f"installed ({CERT_MANAGER.version})" if cert_manager.install
         else f"reused (the cluster's, in {cert_manager.namespace})"),
        ("Envoy Gateway and AI Gateway", f"installed ({ENVOY_GATEWAY.version}, {AI_GATEWAY.version})" if reused is None
         else f"reused (Gateway {reused.namespace}/{reused.name}, listener {reused.listener}; Envoy Gateway "
              f"{reused.envoy_gateway_version}, AI Gateway {reused.ai_gateway_version})"),
        ("kube-prometheus-stack", "off (monitoring unset)" if monitoring is None else
         f"installed ({KUBE_PROMETHEUS_STACK.version})" if existing is None else f"reused ({existing.url})"),
        ("KEDA", "off (monitoring unset)" if monitoring is None else
         "reused (the cluster's)" if monitoring.reuse.keda else f"installed ({KEDA.version})"),
        ("GPU Operator", _gpu_operator_part(config.cluster, (EksClusterSpec, AksClusterSpec), GkeClusterSpec,
                                            GPU_OPERATOR.version, DCGM_EXPORTER.version)),
    ]
    resting = [m.name for m in config.models if m.rests_at_zero]
    if resting:
        rows.append(("KEDA HTTP add-on", f"installed ({KEDA_HTTP_ADD_ON.version}; holds requests for {', '.join(resting)} "
                                         "while they wake from zero)"))
    picked = [m.name for m in config.models if endpoint_picker.routed_by_picker(m.replicas.max)]
    if picked:
        rows.append(("endpoint pickers", f"one per model ({ENDPOINT_PICKER.tag}; {', '.join(picked)})"
                     + ("; InferencePool CRD installed" if reused is None else "")
                     if endpoint_picker.gateway_routes_pools(gateway)
                     else "off: the reused Gateway does not route InferencePools (gateway.reuse.inferencePools)"))
    lines = ["platform parts:", *(f"  {part:<30} {state}" for part, state in rows)]
    if reused is not None:
        lines += [f"  the reused Gateway must: {need}" for need in reused_gateway_needs(config)]
    return lines


def _gpu_operator_part(cluster: Any, operated: tuple, gke: type, operator: str, exporter: str) -> str:
    if isinstance(cluster, gke):
        return (f"not used: GKE installs the driver and runs the device plugin; DCGM exporter installed ({exporter}, "
                "scraped by the monitoring layer)")
    if not isinstance(cluster, operated):
        return "the cluster's own (an existing cluster's GPU drivers and device plugin are not managed)"
    drivers = "drivers and toolkit from AKS" if cluster.type == "aks" else "drivers from the EKS NVIDIA AMI"
    if cluster.gpu_operator.install:
        return f"installed ({operator}; {drivers})"
    return f"reused (the cluster's; {drivers})"


def reused_gateway_needs(config: Any) -> list[str]:
    """What the stack cannot see from here and the reused Gateway's owner must provide."""
    from components.core.gateway import objects as gw

    gateway, reused = config.gateway, config.gateway.reuse
    needs = [
        f"admit routes from namespace {config.serving.namespace} on listener {reused.listener} (allowedRoutes), "
        f"for host {gateway.host}",
        "run Envoy Gateway with AI Gateway's extension server and Backend resources enabled (the AI Gateway "
        "install's Envoy Gateway values); without them requests are not routed by their model nor their tokens counted",
    ]
    if gateway.issues_certificate:
        needs.append(f"name Secret {config.serving.namespace}/{gw.TLS_SECRET} in that listener's certificateRefs "
                     "(the stack's ReferenceGrant allows it)")
    if any(t.rate_limits for t in gateway.tenants):
        needs.append("keep its global rate limit backend (tenants' limits are counted there)")
    if reused.inference_pools:
        needs.append("list InferencePool (inference.networking.k8s.io/v1) among its Envoy Gateway's extension manager "
                     "backendResources, with the InferencePool CRD installed before its AI Gateway started")
    needs.append("send TCP keepalives on that listener well inside its load balancer's idle timeout, so quiet "
                 "streams keep their connection (the routes set their own timeouts and request buffer)")
    return needs


def gateway_summary(objects: list[dict]) -> list[str]:
    """The endpoint, its certificate's issuer, each route, and each tenant's grants and limits."""
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    routes = by_kind.get("AIGatewayRoute", [])
    if not routes:
        return []
    parent = routes[0]["spec"]["parentRefs"][0]
    attached = f"{parent.get('namespace', routes[0]['metadata'].get('namespace'))}/{parent['name']}:{parent['sectionName']}"
    issuers = [c["spec"]["issuerRef"]["name"] for c in by_kind.get("Certificate", []) if not c["spec"].get("isCA")]
    certificate = f"certificate from ClusterIssuer {', '.join(issuers)}" if issuers else "the listener's own certificate"
    lines = [f"gateway https://{routes[0]['spec']['hostnames'][0]}/v1 on Gateway {attached}  {certificate}"]
    held = {r["metadata"]["name"]: r["spec"]["timeouts"]["readiness"] for r in by_kind.get("InterceptorRoute", [])}
    for route in by_kind.get("AIGatewayRoute", []):
        for rule in route["spec"]["rules"]:
            model = rule["matches"][0]["headers"][0]["value"]
            name = route["metadata"]["name"]
            via = f"  held up to {held[name]} at zero (KEDA's interceptor)" if name in held else ""
            if any(ref.get("kind") == "InferencePool" for ref in rule["backendRefs"]):
                via = "  pod picked by prefix cache (InferencePool, endpoint picker)"
            lines.append(f"  route {name:<20} model={model}  timeout={rule['timeouts']['request']}{via}")
    limits: dict[str, list[str]] = {}
    for policy in by_kind.get("BackendTrafficPolicy", []):
        for rule in policy["spec"].get("rateLimit", {}).get("global", {}).get("rules", []):
            tenant = rule["clientSelectors"][0]["headers"][0]["value"]
            what = "tokens" if "cost" in rule else "requests"
            limits.setdefault(tenant, []).append(f"{rule['limit']['requests']} {what}/{rule['limit']['unit'].lower()}")
    for policy in by_kind.get("SecurityPolicy", []):
        for rule in policy["spec"]["authorization"]["rules"]:
            headers = {h["name"]: h["values"] for h in rule["principal"]["headers"]}
            models = [v for name, values in headers.items() if name != TENANT_HEADER for v in values] or ["*"]
            lines.append(f"  tenant {rule['name']:<19} models={','.join(models)}  limits={', '.join(limits.get(rule['name'], ['none']))}")
    return lines


def _replicas(deployment: dict, scaled: dict | None) -> str:
    if scaled is None:
        return str(deployment["spec"]["replicas"])
    return f"{scaled['minReplicaCount']}..{scaled['maxReplicaCount']}(autoscaled)"


def plan(stack: str, out: Path, stack_file: Path | None = None) -> Any:
    from infra import program
    from tools.recorder import record

    config, secret_keys = stack_config(stack, path=stack_file)
    recording = record(program.main, project=project_name(), stack=stack, config=config, secret_keys=secret_keys)
    write_plan(recording, out, readable_config(config, secret_keys))
    return recording


def readable_config(config: dict[str, str], secret_keys: list[str]) -> dict[str, Any]:
    """The project's config keys as the stack file writes them, secrets masked: what the plan was made from."""
    prefix = f"{project_name()}:"
    readable = {}
    for key, value in config.items():
        if not key.startswith(prefix):
            continue
        try:
            decoded = json.loads(value) if value[:1] in "{[" else value
        except json.JSONDecodeError:
            decoded = value
        if key in secret_keys:
            decoded = {name: "[secret]" for name in decoded} if isinstance(decoded, dict) else "[secret]"
        readable[key[len(prefix):]] = decoded
    return dict(sorted(readable.items()))


def load_stack(stack: str, stack_file: Path | None = None) -> Any:
    """The validated config of a stack and its models' plan, as the program sees them."""
    from infra.config import PROJECT, load

    values, secret_keys = stack_config(stack, path=stack_file)
    prefix = f"{PROJECT}:"
    raw = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}
    return load(raw, {k[len(prefix):] for k in secret_keys}, stack)


def load_config(stack: str, stack_file: Path | None = None) -> Any:
    """The validated StackConfig of a stack, as the program sees it."""
    return load_stack(stack, stack_file).config


def capacity_summary(stack: Any) -> str:
    """Each model's capacity estimate on its pool's GPU, and what was derived from it (its plan)."""
    lines = ["capacity per pod (estimated with vLLM 0.33's accounting):"]
    for model in stack.config.models:
        plan = stack.plan.models[model.name]
        est = plan.estimate
        if est is None:
            lines.append(f"  {model.name:<24} CPU pool: no GPU estimate; startup budget {plan.startup_timeout_seconds}s")
            lines += [f"    warning: {warning}" for warning in plan.warnings]
            continue
        lines.append(
            f"  {model.name:<24} {est.gpus} x {est.gpu}: weights {est.weights_gib:.1f} GiB/GPU, KV cache "
            f"{est.kv_cache_gib:.1f} GiB/GPU = {est.kv_cache_tokens:,} tokens ({est.max_concurrency:.1f} x "
            f"{est.max_model_len:,}); max_num_seqs {plan.max_num_seqs}; startup budget {plan.startup_timeout_seconds}s"
        )
        lines += resting_summary(model, plan.cold_start)
        lines += [f"    warning: {warning}" for warning in plan.warnings]
    lines += ["demand at replicas.min..max, of what each pool holds at maxNodes:"]
    lines += [f"  {pool.describe()}" for pool in stack.plan.pools if pool.models]
    notes = getattr(stack.config.cluster, "price_notes", lambda: [])()
    return "\n".join(lines + cost_summary(stack.plan.pools) + [f"  price of {note}" for note in notes])


def resting_summary(model: Any, cold: Any) -> list[str]:
    """For a model that rests at zero: how it wakes, and the idle GPU-hours resting avoids, priced."""
    if cold is None:
        return []
    gpus = model.gpus_per_replica
    price = cold.replica_price_per_hour

    def usd(hours: float) -> str:
        return "" if price is None else f" (${price * hours:,.2f} at its pool's price)"

    idle_hours = cold.idle_seconds / 3600
    return [f"    rests at zero after {cold.idle_seconds}s idle; wakes in ~{cold.seconds}s (a GPU node, the image, its start-up "
            f"budget), holding requests up to {cold.hold_seconds}s, {cold.queue_length} at most",
            f"    each hour at rest saves {gpus} GPU-hour(s){usd(1)}; each wake keeps it up at least its idle window, "
            f"{gpus * idle_hours:.1f} GPU-hour(s){usd(idle_hours)}"]


def cost_summary(pools: list) -> list[str]:
    """Monthly cost of each pool with models, and of them all, at replicas.min and replicas.max."""
    def usd(value: float | None) -> str:
        return "unknown" if value is None else f"${value:,.0f}"

    lines = ["cost per month (730 h) at replicas.min..max, nodes the models need (at least each pool's minNodes):"]
    totals: dict[str, float | None] = {"min": 0.0, "max": 0.0}
    for pool in pools:
        figures = f"on-demand {usd(pool.monthly_usd('min'))}..{usd(pool.monthly_usd('max'))}"
        if pool.spot:
            figures = f"spot {usd(pool.monthly_usd('min', spot=True))}..{usd(pool.monthly_usd('max', spot=True))}, {figures}"
        nodes = "..".join("?" if n is None else str(n) for n in (pool.nodes("min"), pool.nodes("max")))
        kept = "" if pool.models else " (no models: the nodes it keeps running, minNodes)"
        lines.append(f"  pool {pool.pool}: {nodes} nodes{kept}, {figures}")
        for at in totals:
            value = pool.monthly_usd(at, spot=pool.spot) if pool.spot and pool.spot_price_per_node_hour is not None else pool.monthly_usd(at)
            current = totals[at]
            totals[at] = None if value is None or current is None else current + value
    lines.append(f"  stack (these pools; spot pools at spot where priced; not the control plane, storage or traffic): "
                 f"{usd(totals['min'])}..{usd(totals['max'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path, help="default: build/<stack>")
    parser.add_argument("--stack-file", type=Path, help="default: Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / args.stack
    previous = _previous_plan(out)
    try:
        recording = plan(args.stack, out, args.stack_file)
    except ConfigError as err:
        shutil.rmtree(out, ignore_errors=True)  # no stale plan that looks current
        print(f"stack {args.stack}: {err}", file=sys.stderr)
        return 1
    print(summary(recording, args.stack))
    stack_loaded = load_stack(args.stack, args.stack_file)
    print("\n".join(platform_parts(stack_loaded.config)))
    print(capacity_summary(stack_loaded))
    print(f"wrote {out}/manifests and {out}/resources.json")
    if previous is not None:
        print("\n".join(report(previous, json.loads((out / "resources.json").read_text())))
              or "against the previous plan: nothing stateful is replaced or deleted")
    return 0


def _previous_plan(out: Path) -> dict | None:
    """The plan this run replaces, to say what the change would replace or delete."""
    try:
        previous = json.loads((out / "resources.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return previous if "resources" in previous else None


if __name__ == "__main__":
    sys.exit(main())
