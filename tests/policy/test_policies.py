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


def violations(policy_name: str, resource_type: str, props: dict) -> list[str]:
    policy = POLICIES[policy_name]
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[str] = []
    args = ResourceValidationArgs(resource_type, props, f"urn:pulumi:test::llmstack::{resource_type}::x", "x", _options(),
                                  None, rules.DEFAULT_CONFIG)
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
    assert len(POLICIES) == 12


def test_policy_facts_match_the_catalogs():
    from components.core.catalog.gpus import GPU_PRODUCT_LABEL, GPU_RESOURCE
    from components.core.gateway.objects import GATEWAY_API
    from components.core.labels import CostLabels
    from components.core.manifests import cache, vllm as vllm_manifests

    assert (rules.GPU_RESOURCE, rules.GPU_PRODUCT_LABEL, rules.GATEWAY_API) == (GPU_RESOURCE, GPU_PRODUCT_LABEL, GATEWAY_API)
    assert set(rules.COST_LABELS) | {rules.MODEL_LABEL} == set(CostLabels(team="t", environment="e").for_model("m"))
    assert set(rules.MODEL_COMPONENTS) == {vllm_manifests.COMPONENT, cache.COMPONENT}


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
    without = [r for r in resources if not (r[0] == "kubernetes:policy/v1:PodDisruptionBudget" and "qwen3-8b" in r[2])]
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
