"""The AKS platform in every AKS stack's plan: agent pools the serving layer can schedule on from
zero, AKS's driver with the GPU Operator on AKS's runtime, the model cache kept and reachable only
from the nodes, and a resource graph that deletes in the right order."""

from __future__ import annotations

import pytest

from components.azure.platform import RUNTIME_CLASS
from components.azure.spec import SPOT_TAINT, AksClusterSpec
from components.azure.vm_sizes import VM_SIZES
from components.core.catalog.charts import GPU_OPERATOR, NFS_SUBDIR_PROVISIONER
from components.core.catalog.gpus import GPU_RESOURCE
from tests.conftest import ALL_STACKS, dependencies, stack_config

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
AGENT_POOL = "azure-native:containerservice:AgentPool"
CLUSTER = "azure-native:containerservice:ManagedCluster"
AKS_STACKS = [s for s in ALL_STACKS if isinstance(stack_config(s).cluster, AksClusterSpec)]


def test_an_aks_stack_is_shipped():
    assert "prod-aks" in AKS_STACKS


@pytest.fixture(params=AKS_STACKS)
def plan(request, plans):
    return plans[request.param]


def of_type(plan, type_: str) -> list[dict]:
    return [r for r in plan.resources if r["type"] == type_]


def aks_spec(plan) -> AksClusterSpec:
    return stack_config(plan.stack).cluster


def creation_labels(pool: dict) -> dict[str, str]:
    """What every node of an agent pool carries from the moment the autoscaler predicts it: its
    nodeLabels and AKS's own agentpool label."""
    return {**pool["inputs"].get("nodeLabels", {}), "kubernetes.azure.com/agentpool": pool["inputs"]["agentPoolName"]}


def taints_of(pool: dict) -> list[dict]:
    out = []
    for text in pool["inputs"].get("nodeTaints", []):
        key_value, effect = text.rsplit(":", 1)
        key, value = key_value.split("=", 1)
        out.append({"key": key, "value": value, "effect": effect})
    return out


def tolerated(taints: list[dict], tolerations: list[dict]) -> bool:
    return all(any(t.get("key") == taint["key"] and t.get("effect", taint["effect"]) == taint["effect"]
                   and (t.get("operator") == "Exists" or t.get("value") == taint["value"]) for t in tolerations)
               for taint in taints)


def satisfies(expression: dict, labels: dict[str, str]) -> bool:
    assert expression["operator"] in ("In", "Exists"), expression
    value = labels.get(expression["key"])
    return value is not None if expression["operator"] == "Exists" else value in expression["values"]


def test_every_gpu_deployment_fits_an_agent_pool_by_the_labels_it_is_created_with(plan):
    """GFD's labels exist only on running nodes, so a pool at zero is chosen by its nodeLabels."""
    pools = of_type(plan, AGENT_POOL)
    vm_gpus = {size.name: size.gpus for size in VM_SIZES.values()}
    for deployment in plan.model_deployments():
        pod = deployment["spec"]["template"]["spec"]
        gpus = int(pod["containers"][0]["resources"]["limits"].get(GPU_RESOURCE, 0))
        terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        fits = [p["inputs"]["agentPoolName"] for p in pools
                if any(all(satisfies(e, creation_labels(p)) for e in term["matchExpressions"]) for term in terms)
                and tolerated(taints_of(p), pod.get("tolerations", [])) and vm_gpus[p["inputs"]["vmSize"]] >= gpus]
        assert fits, f"{deployment['metadata']['name']} fits no agent pool by its creation labels"


def test_agent_pools_match_the_pools_the_serving_layer_was_promised(plan):
    spec = aks_spec(plan)
    pools = {p["inputs"]["agentPoolName"]: p for p in of_type(plan, AGENT_POOL)}
    assert sorted(pools) == sorted(n for p in spec.gpu_pools for n in p.node_pool_names)
    for config in spec.gpu_pools:
        spot_name, *twins = config.node_pool_names
        first = pools[spot_name]["inputs"]
        assert first["maxCount"] == config.max_nodes and first["enableAutoScaling"] is True
        assert (first.get("scaleSetPriority") == "Spot") == (config.capacity_type == "spot")
        assert (f"{SPOT_TAINT.key}={SPOT_TAINT.value}:{SPOT_TAINT.effect}" in first["nodeTaints"]) == (config.capacity_type == "spot")
        assert first["gpuProfile"] == {"driver": "Install"}, "AKS installs the driver, once"
        for twin in twins:
            assert "scaleSetPriority" not in pools[twin]["inputs"]
    for pool in pools.values():
        assert "count" in pool["options"]["ignoreChanges"] and pool["options"]["deleteBeforeReplace"] is True
        assert {"scaleSetPriority", "availabilityZones", "vnetSubnetID"} <= set(pool["options"]["replaceOnChanges"])
    (cluster,) = of_type(plan, CLUSTER)
    (system,) = cluster["inputs"]["agentPoolProfiles"]
    assert system["mode"] == "System" and "scaleSetPriority" not in system
    assert cluster["options"]["ignoreChanges"] == ["agentPoolProfiles"]


def test_the_cluster_enforces_network_policies_with_workload_identity(plan):
    (cluster,) = of_type(plan, CLUSTER)
    inputs = cluster["inputs"]
    assert inputs["networkProfile"]["networkPolicy"] == "cilium" and inputs["networkProfile"]["networkPluginMode"] == "overlay"
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"]["workloadIdentity"] == {"enabled": True}
    spec = aks_spec(plan)
    ranges = inputs["apiServerAccessProfile"].get("authorizedIPRanges")
    assert ranges == (None if spec.public_access_cidrs == ["0.0.0.0/0"] else spec.public_access_cidrs)


def test_the_gpu_operator_runs_on_akss_driver_and_runtime_on_every_gpu_pool(plan):
    releases = {r["inputs"]["chart"]: r["inputs"] for r in of_type(plan, HELM_RELEASE)}
    values = releases[GPU_OPERATOR.name]["values"]
    assert values["driver"]["enabled"] is False and values["toolkit"]["enabled"] is False
    assert values["operator"]["runtimeClass"] == RUNTIME_CLASS
    for pool in of_type(plan, AGENT_POOL):
        assert tolerated(taints_of(pool), values["daemonsets"]["tolerations"]), pool["name"]


def test_the_model_cache_is_kept_and_reachable_only_from_the_nodes(plan):
    spec = aks_spec(plan)
    (account,) = of_type(plan, "azure-native:storage:StorageAccount")
    (share,) = of_type(plan, "azure-native:storage:FileShare")
    retain = spec.storage.retain_model_cache
    for resource in (account, share):
        assert resource.get("options", {}).get("protect", False) == retain
    assert account["inputs"]["kind"] == "FileStorage" and account["inputs"]["sku"]["name"].startswith("Premium_")
    rules = account["inputs"]["networkRuleSet"]
    assert rules["defaultAction"] == "Deny" and len(rules["virtualNetworkRules"]) == 1
    assert share["inputs"]["enabledProtocols"] == "NFS" and share["inputs"]["shareQuota"] == spec.storage.files.share_gib
    releases = {r["inputs"]["chart"]: r["inputs"] for r in of_type(plan, HELM_RELEASE)}
    nfs = releases[NFS_SUBDIR_PROVISIONER.name]["values"]
    assert nfs["nfs"]["server"] == f"{account['inputs']['accountName']}.file.core.windows.net"
    assert nfs["storageClass"]["reclaimPolicy"] == ("Retain" if retain else "Delete")


def test_serving_layer_is_created_after_and_deleted_before_the_platform(plan):
    name = stack_config(plan.stack).serving.namespace
    (namespace,) = [r for r in of_type(plan, "kubernetes:core/v1:Namespace") if r["inputs"]["metadata"]["name"] == name]
    platform_parts = [r["urn"] for r in plan.resources if r["type"] in (AGENT_POOL, CLUSTER, HELM_RELEASE)
                      and "llmstack:azure:" in r["urn"]]
    assert platform_parts
    missing = set(platform_parts) - dependencies(plan, namespace["urn"])
    assert not missing, f"the serving namespace does not wait for {sorted(missing)}"
    (cluster,) = of_type(plan, CLUSTER)
    for release in of_type(plan, HELM_RELEASE):
        assert cluster["urn"] in dependencies(plan, release["urn"]), f"{release['name']} needs the system nodes to start"


def test_the_gateway_gets_tcp_load_balancer_probes(plan):
    (proxy,) = plan.objects("EnvoyProxy")
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["annotations"]["service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol"] == "Tcp"


def test_kubeconfig_is_a_secret_output(plan):
    assert plan.outputs["kubeconfig"] == "[secret]"


def test_the_populate_job_can_write_its_cache_as_uid_2000(plan):
    """The share does not squash root, and the provisioner (the same pinned chart and image as on
    GKE, whose 0777 directories are checked there) makes each claim's directory."""
    spec = aks_spec(plan)
    (share,) = of_type(plan, "azure-native:storage:FileShare")
    assert share["inputs"]["rootSquash"] == "NoRootSquash"
    claims = {c["metadata"]["name"]: c for c in plan.objects("PersistentVolumeClaim")}
    for job in plan.objects("Job"):
        pod = job["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == 2000
        (claim,) = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
        assert claims[claim]["spec"]["storageClassName"] == spec.storage.model_cache_class


def test_the_autoscaler_tries_spot_first_and_lets_gpu_nodes_go(plan):
    """The priority expander ranks each spot agent pool's scale set above its on-demand twin, and
    nodes with emptyDir volumes (every vLLM pod has one) may scale down."""
    import re

    import yaml

    (cluster,) = of_type(plan, CLUSTER)
    profile = cluster["inputs"]["autoScalerProfile"]
    assert profile["expander"] == "priority" and profile["skipNodesWithLocalStorage"] == "false"
    config = plan.manifests["configmap-kube-system-cluster-autoscaler-priority-expander.yaml"]
    priorities = yaml.safe_load(config["data"]["priorities"])

    def rank(scale_set: str) -> int:
        return max(p for p, patterns in priorities.items() if any(re.match(x, scale_set) for x in patterns))

    for pool in aks_spec(plan).gpu_pools:
        names = pool.node_pool_names
        if len(names) == 2:
            spot, twin = (f"aks-{n}-12345678-vmss" for n in names)
            assert rank(spot) > rank(twin) > 1
