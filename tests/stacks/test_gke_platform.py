"""The GKE platform in every GKE stack's plan: node pools the serving layer can schedule on from
zero, GKE's own GPU driver with one DCGM exporter scraped by the stack's Prometheus, the model
cache kept, and a resource graph that deletes in the right order."""

from __future__ import annotations

import pytest

from components.core.catalog.charts import DCGM_EXPORTER, KUBE_PROMETHEUS_STACK, NFS_SUBDIR_PROVISIONER
from components.core.catalog.gpus import GPU_RESOURCE
from components.gcp.builders import gpu_node_ceiling, node_pools
from components.gcp.gpu_metrics import ACCELERATOR_LABEL
from components.gcp.spec import GkeClusterSpec
from tests.conftest import ALL_STACKS, dependencies, stack_config

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "gcp:container/nodePool:NodePool"
GKE_STACKS = [s for s in ALL_STACKS if isinstance(stack_config(s).cluster, GkeClusterSpec)]
# Labels GKE itself puts on every node of a pool from its creation (GKE's node labels docs).
GKE_BUILT_IN = ("cloud.google.com/gke-nodepool", ACCELERATOR_LABEL)


def test_a_gke_stack_is_shipped():
    assert "prod-gke" in GKE_STACKS


@pytest.fixture(params=GKE_STACKS)
def plan(request, plans):
    return plans[request.param]


def of_type(plan, type_: str) -> list[dict]:
    return [r for r in plan.resources if r["type"] == type_]


def gke_spec(plan) -> GkeClusterSpec:
    return stack_config(plan.stack).cluster


def creation_labels(pool: dict) -> dict[str, str]:
    """The labels every node of a GKE node pool has from the moment the autoscaler predicts it."""
    inputs = pool["inputs"]
    labels = dict(inputs["nodeConfig"].get("labels", {}))
    labels["cloud.google.com/gke-nodepool"] = inputs["name"]
    for accelerator in inputs["nodeConfig"].get("guestAccelerators", []):
        labels[ACCELERATOR_LABEL] = accelerator["type"]
    return labels


def satisfies(expression: dict, labels: dict[str, str]) -> bool:
    value = labels.get(expression["key"])
    operator = expression["operator"]
    if operator == "In":
        return value in expression["values"]
    if operator == "Exists":
        return value is not None
    raise AssertionError(f"operator {operator} not handled by this test")


def tolerated(taints: list[dict], tolerations: list[dict]) -> bool:
    effects = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
    for taint in taints:
        effect = effects[taint["effect"]]
        if not any(t.get("key") == taint["key"] and t.get("effect", effect) == effect
                   and (t.get("operator") == "Exists" or t.get("value") == taint["value"]) for t in tolerations):
            return False
    return True


def test_every_gpu_deployment_fits_a_pool_by_the_labels_it_is_created_with(plan):
    """The rendered Deployment's required node affinity and tolerations against the node pools'
    creation labels and taints: a pool at zero can be scaled up for it (GKE's autoscaler does not
    track labels added after creation, and no GPU Feature Discovery runs here)."""
    pools = of_type(plan, NODE_POOL)
    for deployment in plan.model_deployments():
        pod = deployment["spec"]["template"]["spec"]
        gpus = int(pod["containers"][0]["resources"]["limits"].get(GPU_RESOURCE, 0))
        terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        fits = [p["inputs"]["name"] for p in pools
                if any(all(satisfies(e, creation_labels(p)) for e in term["matchExpressions"]) for term in terms)
                and tolerated(p["inputs"]["nodeConfig"].get("taints", []), pod.get("tolerations", []))
                and sum(a["count"] for a in p["inputs"]["nodeConfig"].get("guestAccelerators", [])) >= gpus]
        assert fits, f"{deployment['metadata']['name']} fits no node pool by its creation labels"


def test_node_pools_match_the_pools_the_serving_layer_was_promised(plan):
    spec = gke_spec(plan)
    pools = of_type(plan, NODE_POOL)
    assert sorted(p["inputs"]["name"] for p in pools) == sorted(plan_.key for plan_ in node_pools(spec))
    for promised in spec.contract().pools:
        mine = [p["inputs"] for p in pools if promised.labels.items() <= p["inputs"]["nodeConfig"]["labels"].items()]
        assert mine, f"no node pool carries pool {promised.name}'s labels"
        for pool in mine:
            taints = {(t["key"], t["value"]) for t in pool["nodeConfig"].get("taints", [])}
            assert taints == {(t.key, t.value) for t in promised.taints}, promised.name
            assert pool["autoscaling"]["totalMaxNodeCount"] == promised.max_nodes
            assert bool(pool["nodeConfig"].get("guestAccelerators")) == promised.is_gpu
    for pool in pools:
        assert "initialNodeCount" in pool["options"]["ignoreChanges"], "a new minimum must not replace a node pool"
        for accelerator in pool["inputs"]["nodeConfig"].get("guestAccelerators", []):
            assert accelerator["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "DEFAULT"}, "GKE installs the driver, once"


def test_gpu_metrics_come_from_one_pinned_exporter_that_prometheus_scrapes(plan):
    (cluster,) = of_type(plan, "gcp:container/cluster:Cluster")
    assert "DCGM" not in cluster["inputs"]["monitoringConfig"]["enableComponents"], "one DCGM host engine per node"
    releases = {r["inputs"]["chart"]: r for r in of_type(plan, HELM_RELEASE)}
    exporter = releases[DCGM_EXPORTER.name]
    assert (exporter["inputs"]["version"], exporter["inputs"]["repositoryOpts"]["repo"]) == (DCGM_EXPORTER.version, DCGM_EXPORTER.repository)
    values = exporter["inputs"]["values"]
    gpu_pools = [p for p in of_type(plan, NODE_POOL) if p["inputs"]["nodeConfig"].get("guestAccelerators")]
    for pool in gpu_pools:
        assert tolerated(pool["inputs"]["nodeConfig"]["taints"], values["tolerations"])
        (term,) = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert all(satisfies(e, creation_labels(pool)) for e in term["matchExpressions"])
    monitor = plan.manifests[f"servicemonitor-{DCGM_EXPORTER.namespace}-dcgm-exporter.yaml"]
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": DCGM_EXPORTER.name,
                                                          "app.kubernetes.io/instance": exporter["inputs"]["name"]}
    (resource,) = [r for r in plan.resources if r["type"] == "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
                   and r["name"].endswith("scrape-dcgm-exporter")]
    stack = releases[KUBE_PROMETHEUS_STACK.name]
    assert stack["urn"] in dependencies(plan, resource["urn"]), "the ServiceMonitor needs the Prometheus Operator's CRD"
    quota = plan.manifests[f"resourcequota-{DCGM_EXPORTER.namespace}-system-critical-pods.yaml"]
    assert int(quota["spec"]["hard"]["pods"]) == gpu_node_ceiling(node_pools(gke_spec(plan)))
    assert values["priorityClassName"] in quota["spec"]["scopeSelector"]["matchExpressions"][0]["values"]
    namespace = plan.manifests[f"namespace-cluster-{DCGM_EXPORTER.namespace}.yaml"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_the_model_cache_is_kept_and_reachable_from_the_cluster(plan):
    spec = gke_spec(plan)
    (instance,) = of_type(plan, "gcp:filestore/instance:Instance")
    retain = spec.storage.retain_model_cache
    assert instance.get("options", {}).get("protect", False) == retain
    assert instance["inputs"]["deletionProtectionEnabled"] == retain
    assert instance["inputs"]["fileShares"]["capacityGb"] == spec.storage.filestore.capacity_gib
    releases = {r["inputs"]["chart"]: r["inputs"] for r in of_type(plan, HELM_RELEASE)}
    storage_class = releases[NFS_SUBDIR_PROVISIONER.name]["values"]["storageClass"]
    assert storage_class["name"] == spec.storage.model_cache_class
    assert storage_class["reclaimPolicy"] == ("Retain" if retain else "Delete")
    block = plan.manifests[f"storageclass-cluster-{spec.storage.block_class}.yaml"]
    assert block["volumeBindingMode"] == "WaitForFirstConsumer"
    assert block["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_the_gateway_gets_a_passthrough_load_balancer(plan):
    (proxy,) = plan.objects("EnvoyProxy")
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["annotations"]["cloud.google.com/l4-rbs"] == "enabled"


def test_serving_layer_is_created_after_and_deleted_before_the_platform(plan):
    name = stack_config(plan.stack).serving.namespace
    (namespace,) = [r for r in of_type(plan, "kubernetes:core/v1:Namespace") if r["inputs"]["metadata"]["name"] == name]
    platform_parts = [r["urn"] for r in plan.resources if r["type"] in (NODE_POOL, HELM_RELEASE, "kubernetes:storage.k8s.io/v1:StorageClass")
                      and "llmstack:gcp:" in r["urn"]]
    assert platform_parts
    missing = set(platform_parts) - dependencies(plan, namespace["urn"])
    assert not missing, f"the serving namespace does not wait for {sorted(missing)}"
    system = [r["urn"] for r in of_type(plan, NODE_POOL) if r["inputs"]["name"] == "system"]
    for release in of_type(plan, HELM_RELEASE):
        assert set(system) <= dependencies(plan, release["urn"]), f"{release['name']} needs the system nodes to start"


def test_kubeconfig_is_a_secret_output(plan):
    assert plan.outputs["kubeconfig"] == "[secret]"
    assert "clusterName" in plan.outputs


def test_the_populate_job_can_write_its_cache_as_uid_2000(plan):
    """NFS ignores fsGroup, so the claim's directory itself must admit uid 2000: the pinned provisioner
    image (v4.0.2, chart 4.0.18's default) makes each claim's directory with mode 0777
    (cmd/nfs-subdir-external-provisioner/provisioner.go at tag v4.0.2, commit fab8b562: MkdirAll and
    Chmod 0777), and the stack does not override the image."""
    from tests.unit.test_chart_values import chart_values

    spec = gke_spec(plan)
    releases = {r["inputs"]["chart"]: r["inputs"] for r in of_type(plan, HELM_RELEASE)}
    assert "image" not in releases[NFS_SUBDIR_PROVISIONER.name]["values"]
    assert chart_values(NFS_SUBDIR_PROVISIONER)["image"]["tag"] == "v4.0.2"
    claims = {c["metadata"]["name"]: c for c in plan.objects("PersistentVolumeClaim")}
    jobs = plan.objects("Job")
    assert jobs
    for job in jobs:
        pod = job["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == 2000
        (claim,) = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
        assert claims[claim]["spec"]["storageClassName"] == spec.storage.model_cache_class
