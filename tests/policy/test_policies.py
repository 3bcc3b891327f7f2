"""The policy pack: each policy catches a planted violation and passes the compliant object, through
pulumi-policy's own classes (as `pulumi preview --policy-pack policy` runs them), and every stack's
plan passes the whole pack."""

from __future__ import annotations

import copy
import sys

import pytest
from pulumi_policy import (PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs)

from tests.conftest import ALL_STACKS, ROOT

sys.path.insert(0, str(ROOT / "policy"))  # the pack's own modules, imported as its __main__ imports them
import llmstack_policies as rules  # noqa: E402
import pack  # noqa: E402

POLICIES = {p.name: p for p in pack.policies()}
DEPLOYMENT, JOB, SERVICE = "kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job", "kubernetes:core/v1:Service"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[])


def violations(policy_name: str, resource_type: str, props: dict, config: dict | None = None) -> list[str]:
    policy = POLICIES[policy_name]
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[str] = []
    args = ResourceValidationArgs(resource_type, props, f"urn:pulumi:test::llmstack::{resource_type}::x", "x", _options(),
                                  None, config or rules.DEFAULT_CONFIG)
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found


def stack_violations(resources: list[tuple[str, dict, str]]) -> list[str]:
    found: list[str] = []
    policy_resources = [PolicyResource(kind, props, urn, urn.rsplit("::", 1)[-1], _options(), None, None, [], {})
                        for kind, props, urn in resources]
    for policy in POLICIES.values():
        if not isinstance(policy, ResourceValidationPolicy):
            policy.validate(StackValidationArgs(policy_resources, rules.DEFAULT_CONFIG),
                            lambda message, urn=None: found.append(f"{policy.name}: {message} ({urn})"))
    return found


def plan_resources(plans, stack: str) -> list[tuple[str, dict, str]]:
    return [(r["type"], r["inputs"], r["urn"]) for r in plans[stack].resources if r["custom"]]


def of_kind(plans, stack: str, kind: str, name_part: str = "") -> dict:
    return copy.deepcopy(next(props for t, props, urn in plan_resources(plans, stack) if t == kind and name_part in urn))


def vllm(plans) -> dict:
    return of_kind(plans, "prod", DEPLOYMENT, "qwen3-8b-deployment")


def pod(props: dict) -> dict:
    return props["spec"]["template"]["spec"]


POD_KINDS = [
    "kubernetes:core/v1:Pod", "kubernetes:core/v1:PodTemplate", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:extensions/v1beta1:ReplicaSet", "kubernetes:core/v1:ReplicationController", "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob", "kubernetes:batch/v1beta1:CronJob",
    "kubernetes:apps/v1:ReplicaSetList",
]
"""Every kind that carries a pod spec, as pulumi-kubernetes types (older API versions and a list included)."""


def as_kind(deployment: dict, resource_type: str) -> dict:
    """The pods of a real Deployment of the plan, declared by an object of another type."""
    group_version, kind = resource_type.split(":")[1:]
    if kind.endswith("List"):
        return {"apiVersion": group_version, "kind": kind,
                "items": [as_kind(deployment, resource_type[:-len("List")])]}
    meta, spec = deployment["metadata"], deployment["spec"]
    template, selector = spec["template"], spec["selector"]
    replicated = {"replicas": spec["replicas"], "selector": selector, "template": template}
    body = {
        "Pod": {"metadata": {**template["metadata"], "name": meta["name"], "namespace": meta["namespace"]},
                "spec": template["spec"]},
        "PodTemplate": {"metadata": meta, "template": template},
        "Deployment": {"metadata": meta, "spec": spec},
        "ReplicaSet": {"metadata": meta, "spec": replicated},
        "ReplicationController": {"metadata": meta, "spec": {**replicated, "selector": selector["matchLabels"]}},
        "StatefulSet": {"metadata": meta, "spec": {**replicated, "serviceName": meta["name"]}},
        "DaemonSet": {"metadata": meta, "spec": {"selector": selector, "template": template}},
        "Job": {"metadata": meta, "spec": {"template": template}},
        "CronJob": {"metadata": meta, "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}},
    }[kind]
    return copy.deepcopy({"apiVersion": group_version.removeprefix("core/"), "kind": kind, **body})


def pod_spec_of(props: dict) -> dict:
    """The one pod spec of an object built by `as_kind`, found without the pack's own extraction."""
    for path in (("items", 0, "spec", "template"), ("spec", "jobTemplate", "spec", "template"), ("spec", "template"),
                 ("template",), ()):
        target = props
        try:
            for key in path:
                target = target[key]
        except (KeyError, IndexError):
            continue
        if "spec" in target and "containers" in target["spec"]:
            return target["spec"]
    raise AssertionError("no pod spec")


def resource_violations(resource_type: str, props: dict, config: dict | None = None) -> list[str]:
    return [f"{name}: {m}" for name, policy in POLICIES.items() if isinstance(policy, ResourceValidationPolicy)
            for m in violations(name, resource_type, props, config)]


# -- every stack passes -----------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_stack_passes_the_pack(plans, stack):
    found = []
    for kind, props, urn in plan_resources(plans, stack):
        for name, policy in POLICIES.items():
            if isinstance(policy, ResourceValidationPolicy):
                found += [f"{name}: {urn}: {m}" for m in violations(name, kind, props)]
    found += stack_violations(plan_resources(plans, stack))
    assert not found, "\n".join(found)


def test_the_pack_has_every_policy_the_issue_asks_for():
    assert set(POLICIES) == {r.name for r in rules.RESOURCE_RULES + rules.STACK_RULES}
    assert len(POLICIES) == 13


def test_policy_facts_match_the_catalogs():
    from components.core.catalog.gpus import GPU_PRODUCT_LABEL, GPU_RESOURCE
    from components.core.gateway.objects import GATEWAY_API
    from components.core.labels import CostLabels
    from components.core.manifests import cache, vllm as vllm_manifests

    assert (rules.GPU_RESOURCE, rules.GPU_PRODUCT_LABEL, rules.GATEWAY_API) == (GPU_RESOURCE, GPU_PRODUCT_LABEL, GATEWAY_API)
    assert set(rules.COST_LABELS) | {rules.MODEL_LABEL} == set(CostLabels(team="t", environment="e").for_model("m"))
    assert set(rules.MODEL_COMPONENTS) == {vllm_manifests.COMPONENT, cache.COMPONENT}
    from components.aws.spec import GPU_TAINT

    assert rules.GPU_TAINT == GPU_TAINT.model_dump() and rules.DEFAULT_CONFIG["gpuTaints"] == [rules.GPU_TAINT]


# -- each policy: a planted violation is caught, the compliant object passes ------------------------

def test_images_pinned(plans):
    props = vllm(plans)
    assert not violations("llmstack-images-pinned", DEPLOYMENT, props)
    for image in ("vllm/vllm-openai:latest", "vllm/vllm-openai", "registry:5000/vllm"):
        pod(props)["containers"][0]["image"] = image
        assert violations("llmstack-images-pinned", DEPLOYMENT, props), image
    pod(props)["containers"][0]["image"] = "registry:5000/vllm@sha256:" + "a" * 64
    assert not violations("llmstack-images-pinned", DEPLOYMENT, props)


def test_resource_limits(plans):
    props = of_kind(plans, "prod", JOB)
    assert not violations("llmstack-resource-limits", JOB, props)
    del pod(props)["containers"][0]["resources"]["limits"]["memory"]
    assert violations("llmstack-resource-limits", JOB, props) == ["container 'populate' has no memory limit"]
    props = vllm(plans)
    pod(props)["containers"][-1]["resources"]["limits"].pop("nvidia.com/gpu")
    assert violations("llmstack-resource-limits", DEPLOYMENT, props)


def test_gpu_pods_placed(plans):
    props = vllm(plans)
    assert not violations("llmstack-gpu-pods-placed", DEPLOYMENT, props)
    no_toleration = copy.deepcopy(props)
    pod(no_toleration)["tolerations"] = []
    assert "tolerates none of the GPU taints" in violations("llmstack-gpu-pods-placed", DEPLOYMENT, no_toleration)[0]
    no_product = copy.deepcopy(props)
    for term in pod(no_product)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]:
        term["matchExpressions"] = [e for e in term["matchExpressions"] if e["key"] != rules.GPU_PRODUCT_LABEL]
    assert "does not require a GPU product" in violations("llmstack-gpu-pods-placed", DEPLOYMENT, no_product)[0]


def test_gpu_taint_only_for_gpu_pods(plans):
    props = of_kind(plans, "prod", JOB)
    assert not violations("llmstack-gpu-nodes-for-gpu-pods", JOB, props)
    pod(props)["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert violations("llmstack-gpu-nodes-for-gpu-pods", JOB, props)
    pod(props)["tolerations"] = [{"operator": "Exists"}]   # tolerates everything, the GPU taint included
    assert violations("llmstack-gpu-nodes-for-gpu-pods", JOB, props)


def test_cost_labels(plans):
    props = vllm(plans)
    assert not violations("llmstack-cost-labels", DEPLOYMENT, props)
    del props["spec"]["template"]["metadata"]["labels"]["model"]
    assert violations("llmstack-cost-labels", DEPLOYMENT, props) == ["pods have no 'model' label"]
    redis = of_kind(plans, "prod", DEPLOYMENT, "redis")
    assert not violations("llmstack-cost-labels", DEPLOYMENT, redis), "a shared workload needs no model label"
    del redis["metadata"]["labels"]["team"]
    assert violations("llmstack-cost-labels", DEPLOYMENT, redis) == ["no 'team' label"]


def test_vllm_startup_probe(plans):
    props = vllm(plans)
    assert not violations("llmstack-vllm-startup-probe", DEPLOYMENT, props)
    del pod(props)["containers"][0]["startupProbe"]
    assert violations("llmstack-vllm-startup-probe", DEPLOYMENT, props)


def test_vllm_pdb(plans):
    resources = plan_resources(plans, "prod")
    assert not stack_violations(resources)
    without = [r for r in resources if not (r[0] == "kubernetes:policy/v1:PodDisruptionBudget" and r[2].endswith("::qwen3-8b-pdb"))]
    (found,) = stack_violations(without)
    assert "qwen3-8b-deployment" in found and "PodDisruptionBudget" in found


def test_cache_offline(plans):
    props = vllm(plans)
    assert not violations("llmstack-cache-offline", DEPLOYMENT, props)
    main = pod(props)["containers"][0]
    main["env"] = [e for e in main["env"] if e["name"] != "HF_HUB_OFFLINE"]
    assert violations("llmstack-cache-offline", DEPLOYMENT, props) == [
        "container 'vllm' mounts the model cache without HF_HUB_OFFLINE=1"]
    job = of_kind(plans, "prod", JOB)
    assert not violations("llmstack-cache-offline", JOB, job), "the populate Job fills the cache: it must be online"


def test_no_exposed_services(plans):
    props = of_kind(plans, "prod", SERVICE, "qwen3-8b")
    assert not violations("llmstack-no-exposed-services", SERVICE, props)
    for kind in ("LoadBalancer", "NodePort"):
        props["spec"]["type"] = kind
        assert violations("llmstack-no-exposed-services", SERVICE, props)


def test_https_certificates(plans):
    kind = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
    props = of_kind(plans, "prod", kind)
    assert not violations("llmstack-https-certificates", kind, props)
    https = next(listener for listener in props["spec"]["listeners"] if listener["protocol"] == "HTTPS")
    https["tls"]["certificateRefs"] = []
    assert violations("llmstack-https-certificates", kind, props)


@pytest.mark.parametrize("kind, name, path", [
    ("aws:efs/fileSystem:FileSystem", "", ("encrypted",)),
    ("aws:ec2/launchTemplate:LaunchTemplate", "l40s", ("blockDeviceMappings", 0, "ebs", "encrypted")),
    ("kubernetes:storage.k8s.io/v1:StorageClass", "gp3", ("parameters", "encrypted")),
])
def test_volumes_encrypted(plans, kind, name, path):
    props = of_kind(plans, "prod", kind, name)
    assert not violations("llmstack-volumes-encrypted", kind, props)
    target = props
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = False if path[-1] == "encrypted" and kind.startswith("aws:efs") else "false"
    assert violations("llmstack-volumes-encrypted", kind, props)


def test_imdsv2(plans):
    kind = "aws:ec2/launchTemplate:LaunchTemplate"
    props = of_kind(plans, "prod", kind)
    assert not violations("llmstack-imdsv2", kind, props)
    props["metadataOptions"]["httpTokens"] = "optional"
    assert violations("llmstack-imdsv2", kind, props)


@pytest.mark.parametrize("mode", ["GCE_METADATA", "MODE_UNSPECIFIED", None])
def test_gke_metadata_server(plans, mode):
    kind = "gcp:container/nodePool:NodePool"
    props = of_kind(plans, "prod-gke", kind)
    assert not violations("llmstack-gke-metadata-server", kind, props)
    if mode is None:
        del props["nodeConfig"]["workloadMetadataConfig"]
    else:
        props["nodeConfig"]["workloadMetadataConfig"]["mode"] = mode
    assert violations("llmstack-gke-metadata-server", kind, props)


# -- every kind that carries a pod spec is checked like a Deployment ---------------------------------

def _latest_image(props, spec):
    spec["containers"][0]["image"] = "vllm/vllm-openai:latest"


def _no_memory_limit(props, spec):
    del spec["containers"][0]["resources"]["limits"]["memory"]


def _no_gpu_toleration(props, spec):
    spec["tolerations"] = []


def _no_gpu_request(props, spec):
    for container in spec["containers"]:
        for part in ("limits", "requests"):
            container["resources"].get(part, {}).pop(rules.GPU_RESOURCE, None)


def _no_pod_team_label(props, spec):
    for labels in _all_labels(props):
        labels.pop("team", None)


def _no_startup_probe(props, spec):
    del spec["containers"][0]["startupProbe"]


def _online_cache(props, spec):
    spec["containers"][0]["env"] = [e for e in spec["containers"][0]["env"] if e["name"] != "HF_HUB_OFFLINE"]


def _all_labels(props):
    if isinstance(props, dict):
        if isinstance(props.get("labels"), dict):
            yield props["labels"]
        for value in props.values():
            yield from _all_labels(value)
    elif isinstance(props, list):
        for value in props:
            yield from _all_labels(value)


POD_VIOLATIONS = {
    "llmstack-images-pinned": _latest_image,
    "llmstack-resource-limits": _no_memory_limit,
    "llmstack-gpu-pods-placed": _no_gpu_toleration,
    "llmstack-gpu-nodes-for-gpu-pods": _no_gpu_request,
    "llmstack-cost-labels": _no_pod_team_label,
    "llmstack-vllm-startup-probe": _no_startup_probe,
    "llmstack-cache-offline": _online_cache,
}


@pytest.mark.parametrize("kind", POD_KINDS)
@pytest.mark.parametrize("policy_name", POD_VIOLATIONS)
def test_every_pod_rule_checks_every_kind_that_carries_pods(plans, kind, policy_name):
    props = as_kind(vllm(plans), kind)
    assert resource_violations(kind, props) == [], "the compliant workload passes every policy, whatever its kind"
    POD_VIOLATIONS[policy_name](props, pod_spec_of(props))
    assert violations(policy_name, kind, props), f"{policy_name} misses a {kind}"


def test_pods_of_finds_the_pod_spec_of_every_kind_and_nothing_else(plans):
    deployment = vllm(plans)
    for kind in POD_KINDS:
        props = as_kind(deployment, kind)
        assert [p.spec for p in rules.pods_of(kind, props)] == [pod_spec_of(props)], kind
    assert rules.pods_of("ReplicaSet", as_kind(deployment, "kubernetes:apps/v1:ReplicaSet")), "a bare kind, as in a manifest"
    for kind, props, _ in plan_resources(plans, "prod"):
        if rules.kind_of(kind) not in rules.POD_TEMPLATES:
            assert rules.pods_of(kind, props) == [], kind
    assert rules.pods_of("aws:batch/jobDefinition:JobDefinition", {"spec": {"template": {"spec": {}}}}) == []


@pytest.mark.parametrize("kind", ["kubernetes:apps/v1:ReplicaSet", "kubernetes:apps/v1:StatefulSet",
                                  "kubernetes:core/v1:ReplicationController"])
def test_vllm_pdb_for_every_replicated_kind(plans, kind):
    resources = [(kind, as_kind(props, kind), urn) if "qwen3-8b-deployment" in urn else (t, props, urn)
                 for t, props, urn in plan_resources(plans, "prod")]
    assert not stack_violations(resources)
    without = [r for r in resources if not (r[0] == "kubernetes:policy/v1:PodDisruptionBudget" and r[2].endswith("::qwen3-8b-pdb"))]
    (found,) = stack_violations(without)
    assert "qwen3-8b-deployment" in found and f"vLLM {kind.rsplit(':', 1)[-1]} without a PodDisruptionBudget" in found


# -- GPU tolerations match the GPU taint by Kubernetes' rules ----------------------------------------

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


@pytest.mark.parametrize("toleration, tolerated", [
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}, True),   # no operator means Equal
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present"}, True),      # no effect matches every effect
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Exists", "value": "ignored"}, True),
    ({"operator": "Exists"}, True),                                                  # no key: every taint
    ({"operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Equal", "effect": "NoSchedule"}, False),  # empty value is a value
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoExecute"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "PreferNoSchedule"}, False),
    ({"operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "nvidia.com/GPU", "operator": "Exists"}, False),                        # keys are case-sensitive
    ({"key": "nvidia.com/gpu", "operator": "exists"}, False),                        # so are operators
    ({"key": "nvidia.com/gpu", "operator": "In", "value": "present"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Gt", "value": "1"}, False),              # a value that is no integer
])
def test_tolerates_follows_kubernetes(toleration, tolerated):
    assert rules.tolerates(toleration, GPU_TAINT) is tolerated


@pytest.mark.parametrize("operator, value, tolerated", [
    ("Gt", "8", True), ("Gt", "9", False), ("Lt", "10", True), ("Lt", "9", False), ("Lt", "+10", True),
    ("Gt", "-1", True), ("Gt", "8.5", False), ("Gt", " 8", False), ("Gt", "8_0", False), ("Lt", str(2**63), False),
])
def test_tolerates_compares_integers_with_lt_and_gt(operator, value, tolerated):
    taint = {"key": "gpu-generation", "value": "9", "effect": "NoSchedule"}
    assert rules.tolerates({"key": "gpu-generation", "operator": operator, "value": value}, taint) is tolerated


@pytest.mark.parametrize("kind", [DEPLOYMENT, "kubernetes:apps/v1:ReplicaSet", "kubernetes:batch/v1:CronJob"])
@pytest.mark.parametrize("toleration", [
    {"key": "nvidia.com/gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"},
    {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoExecute"},
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"},
    {"key": "nvidia.com/gpu", "operator": "Equal", "effect": "NoSchedule"},
])
def test_a_gpu_toleration_that_does_not_match_the_taint_is_reported(plans, kind, toleration):
    props = as_kind(vllm(plans), kind)
    pod_spec_of(props)["tolerations"] = [toleration]
    (found,) = violations("llmstack-gpu-pods-placed", kind, props)
    assert "tolerates none of the GPU taints ['nvidia.com/gpu=present:NoSchedule']" in found


@pytest.mark.parametrize("toleration", [
    {"key": "nvidia.com/gpu", "operator": "Exists"},
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "nvidia.com/gpu", "value": "present"},
    {"operator": "Exists"},
])
def test_a_gpu_toleration_that_matches_the_taint_passes(plans, toleration):
    props = vllm(plans)
    pod(props)["tolerations"] = [toleration]
    assert not violations("llmstack-gpu-pods-placed", DEPLOYMENT, props)


def test_gpu_taint_only_for_gpu_pods_by_kubernetes_matching(plans):
    props = of_kind(plans, "prod", JOB)
    pod(props)["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}]
    assert not violations("llmstack-gpu-nodes-for-gpu-pods", JOB, props), "it does not tolerate the GPU taint"
    pod(props)["tolerations"] = [{"key": "nvidia.com/gpu", "value": "present"}]
    assert violations("llmstack-gpu-nodes-for-gpu-pods", JOB, props)


def test_gpu_taints_are_configurable(plans):
    """A cluster whose GPU pools carry another taint (an existing cluster's `nvidia.com/gpu=true`)."""
    config = {"gpuTaints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]}
    props = vllm(plans)
    assert violations("llmstack-gpu-pods-placed", DEPLOYMENT, props, config)
    pod(props)["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert not violations("llmstack-gpu-pods-placed", DEPLOYMENT, props, config)
    assert violations("llmstack-gpu-pods-placed", DEPLOYMENT, props)


# -- Services exposed through externalIPs ------------------------------------------------------------

@pytest.mark.parametrize("service_type", [None, "ClusterIP"])
def test_a_service_with_external_ips_is_exposed(plans, service_type):
    props = of_kind(plans, "prod", SERVICE, "qwen3-8b")
    props["spec"]["externalIPs"] = []
    assert not violations("llmstack-no-exposed-services", SERVICE, props), "an empty list exposes nothing"
    if service_type is None:
        del props["spec"]["type"]
    props["spec"]["externalIPs"] = ["203.0.113.10"]
    assert violations("llmstack-no-exposed-services", SERVICE, props) == [
        "Service with externalIPs ['203.0.113.10']: expose models only through the gateway"]
