"""The cloud platform in every stack's plan: node pools the serving layer can schedule on, nodes
locked down, storage kept, autoscaling bounded by the pools, charts pinned, and a resource graph
that deletes in the right order."""

from __future__ import annotations

import json

import pytest
import yaml

from components.aws.spec import EksClusterSpec
from components.core.catalog.charts import CLUSTER_AUTOSCALER, GPU_OPERATOR
from components.core.catalog.gpus import GPU_RESOURCE
from tests.conftest import ALL_STACKS, dependencies, stack_config

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def of_type(plan, type_: str) -> list[dict]:
    return [r for r in plan.resources if r["type"] == type_]


def children(plan, parent: dict, type_: str) -> list[dict]:
    return [r for r in plan.resources if r["parent"] == parent["urn"] and r["type"] == type_]


EKS_STACKS = [s for s in ALL_STACKS if isinstance(stack_config(s).cluster, EksClusterSpec)]


@pytest.fixture(params=EKS_STACKS)
def plan(request, plans):
    """Only the stacks that build an EKS platform (the other stacks have no cloud resources)."""
    return plans[request.param]


def eks_spec(plan) -> EksClusterSpec:
    return stack_config(plan.stack).cluster


def test_node_groups_match_the_pools_the_serving_layer_was_promised(plan):
    contract = eks_spec(plan).contract()
    groups = of_type(plan, "aws:eks/nodeGroup:NodeGroup")
    for pool in contract.pools:
        mine = [g["inputs"] for g in groups if g["inputs"]["labels"] == pool.labels]
        assert mine, f"no node group carries pool {pool.name}'s labels"
        for group in mine:
            taints = {(t["key"], t["value"]) for t in group.get("taints", [])}
            assert taints == {(t.key, t.value) for t in pool.taints}, pool.name
            assert group["scalingConfig"]["maxSize"] == pool.max_nodes
            assert group["amiType"].endswith("_NVIDIA") == pool.is_gpu
    assert len({g["inputs"]["nodeGroupNamePrefix"] for g in groups}) == len(groups)


def test_autoscaler_owns_the_desired_size(plan):
    eks_spec(plan)
    for group in of_type(plan, "aws:eks/nodeGroup:NodeGroup"):
        assert "scalingConfig.desiredSize" in group["options"]["ignoreChanges"]


def test_every_node_requires_imdsv2_and_an_encrypted_root_volume(plan):
    eks_spec(plan)
    components = of_type(plan, "llmstack:aws:NodeGroup")
    assert components
    for component in components:
        (template,) = children(plan, component, "aws:ec2/launchTemplate:LaunchTemplate")
        (group,) = children(plan, component, "aws:eks/nodeGroup:NodeGroup")
        assert template["inputs"]["metadataOptions"]["httpTokens"] == "required"
        (device,) = template["inputs"]["blockDeviceMappings"]
        assert device["ebs"]["encrypted"] == "true" and device["ebs"]["volumeType"] == "gp3"
        assert "diskSize" not in group["inputs"], "disk size belongs in the launch template"
        assert template["urn"] in group["dependsOn"]


def test_gpu_groups_can_scale_up_from_zero(plan):
    """The Auto Scaling group tags give the autoscaler the GPU product label and GPU count that
    serving pods require, before any node of the group exists."""
    contract = eks_spec(plan).contract()
    for component in of_type(plan, "llmstack:aws:NodeGroup"):
        (group,) = children(plan, component, "aws:eks/nodeGroup:NodeGroup")
        pool = contract.pool(group["inputs"]["labels"]["llmstack.dev/pool"])
        tags = {t["inputs"]["tag"]["key"]: t["inputs"]["tag"]["value"] for t in children(plan, component, "aws:autoscaling/tag:Tag")}
        template = "k8s.io/cluster-autoscaler/node-template"
        if pool.is_gpu:
            assert tags[f"{template}/label/nvidia.com/gpu.product"] in pool.product_labels
            assert int(tags[f"{template}/resources/{GPU_RESOURCE}"]) == pool.gpus_per_node * pool.gpu_sharing
            assert tags[f"{template}/taint/nvidia.com/gpu"] == "present:NoSchedule"
        assert tags[f"{template}/label/llmstack.dev/pool"] == pool.name


def test_model_weights_are_encrypted_reachable_only_from_nodes_and_kept(plan):
    spec = eks_spec(plan)
    (store,) = of_type(plan, "aws:efs/fileSystem:FileSystem")
    assert store["inputs"]["encrypted"] is True
    assert store.get("options", {}).get("protect", False) == spec.storage.retain_model_cache
    mounts = of_type(plan, "aws:efs/mountTarget:MountTarget")
    assert len(mounts) == len(spec.network.availability_zones or spec.network.subnet_ids)
    (rule,) = of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (2049, 2049)
    assert "cidrIpv4" not in rule["inputs"], "NFS must be open to the nodes' security group only"
    efs_class = plan.manifests[f"storageclass-cluster-{spec.storage.model_cache_class}.yaml"]
    assert efs_class["reclaimPolicy"] == ("Retain" if spec.storage.retain_model_cache else "Delete")
    block = plan.manifests[f"storageclass-cluster-{spec.storage.block_class}.yaml"]
    assert block["parameters"]["encrypted"] == "true" and block["volumeBindingMode"] == "WaitForFirstConsumer"


def test_charts_are_pinned_and_their_controllers_avoid_gpu_nodes(plan):
    spec = eks_spec(plan)
    releases = {r["inputs"]["chart"]: r["inputs"] for r in of_type(plan, HELM_RELEASE)}
    assert {GPU_OPERATOR.name, CLUSTER_AUTOSCALER.name} <= set(releases)
    for chart in (GPU_OPERATOR, CLUSTER_AUTOSCALER):
        release = releases[chart.name]
        assert (release["version"], release["repositoryOpts"]["repo"]) == (chart.version, chart.repository)
    system = spec.contract().system.node_selector
    autoscaler = releases[CLUSTER_AUTOSCALER.name]["values"]
    operator = releases[GPU_OPERATOR.name]["values"]
    assert system.items() <= autoscaler["nodeSelector"].items()
    assert system.items() <= operator["operator"]["nodeSelector"].items()
    for tolerations in (autoscaler["tolerations"], operator["operator"]["tolerations"]):
        assert all(t.get("key") != "nvidia.com/gpu" for t in tolerations)
    assert autoscaler["autoDiscovery"]["clusterName"] == spec.name
    assert operator["driver"]["enabled"] is False, "the AL2023 NVIDIA AMI ships the driver"


def test_priority_expander_prefers_spot_groups(plan):
    spec = eks_spec(plan)
    config = plan.manifests["configmap-kube-system-cluster-autoscaler-priority-expander.yaml"]
    priorities = yaml.safe_load(config["data"]["priorities"])
    spot = [p for p in spec.gpu_pools if p.capacity_type == "spot"]
    for pool in spot:
        tiers = {priority for priority, patterns in priorities.items() for p in patterns if f"-{pool.name}-spot-" in p}
        fallback = {priority for priority, patterns in priorities.items() for p in patterns if f"-{pool.name}-on-demand-" in p}
        assert len(tiers) == 1 and (not pool.on_demand_fallback or max(tiers) > max(fallback))


def test_serving_layer_is_created_after_and_deleted_before_the_platform(plan):
    eks_spec(plan)
    name = stack_config(plan.stack).serving.namespace
    (namespace,) = [r for r in of_type(plan, "kubernetes:core/v1:Namespace") if r["inputs"]["metadata"]["name"] == name]
    platform_parts = [r["urn"] for r in plan.resources if r["type"] in (
        "aws:eks/nodeGroup:NodeGroup", HELM_RELEASE, "kubernetes:storage.k8s.io/v1:StorageClass", "aws:eks/addon:Addon",
        "aws:efs/mountTarget:MountTarget")
        and "llmstack:kubernetes:Monitoring" not in r["urn"] and "llmstack:kubernetes:Gateway" not in r["urn"]]
    missing = set(platform_parts) - dependencies(plan, namespace["urn"])
    assert not missing, f"the serving namespace does not wait for {sorted(missing)}"
    system_nodes = [r["urn"] for r in of_type(plan, "aws:eks/nodeGroup:NodeGroup") if r["inputs"]["labels"]["llmstack.dev/pool"] == "system"]
    for release in of_type(plan, HELM_RELEASE):
        assert set(system_nodes) <= dependencies(plan, release["urn"]), \
            f"{release['name']} needs the system nodes to start, and must be removed while they still run"
    for group in of_type(plan, "aws:eks/nodeGroup:NodeGroup"):
        addons = {r["urn"] for r in of_type(plan, "aws:eks/addon:Addon") if r["inputs"]["addonName"] == "vpc-cni"}
        assert addons <= dependencies(plan, group["urn"]), "nodes become Ready only with pod networking"


def test_kubeconfig_is_a_secret_output(plan):
    eks_spec(plan)
    assert plan.outputs["kubeconfig"] == "[secret]"
    provider = next(r for r in plan.resources if r["type"] == "pulumi:providers:kubernetes")
    assert json.dumps(provider["inputs"].get("kubeconfig")) in ('"[secret]"', '"[unknown until deployed]"')
