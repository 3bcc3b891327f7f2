"""The GKE cluster component under recording mocks, with the real
pulumi-gcp 10.2.0 SDK: what it registers, and that the properties the issue asks for are set."""

from __future__ import annotations

import json

import pytest

from components.core.labels import CostLabels, GPU_LABEL, POOL_LABEL
from components.gcp.cluster import GkeCluster, GkeClusterArgs
from components.gcp.spec import GkeClusterSpec
from tests.unit.test_gke_spec import BASE
from tools.recorder import PreviewMocks, RecordingMonitor, record


@pytest.fixture(scope="module")
def recording():
    spec = GkeClusterSpec.model_validate(BASE)

    def program():
        GkeCluster("gke", GkeClusterArgs(spec=spec, cost=CostLabels(team="ml", environment="prod")))

    return record(program, project="p", stack="s", config={}, secret_keys=[], monitor=RecordingMonitor(PreviewMocks()))


def one(recording, type_: str) -> dict:
    (found,) = recording.by_type(type_)
    return found.inputs


def test_the_cluster_is_private_vpc_native_with_workload_identity_and_dataplane_v2(recording):
    cluster = one(recording, "gcp:container/cluster:Cluster")
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [{"cidrBlock": "0.0.0.0/0", "displayName": "allowed-0"}]
    assert cluster["workloadIdentityConfig"] == {"workloadPool": "acme-llm-prod.svc.id.goog"}
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["addonsConfig"]["gcpFilestoreCsiDriverConfig"] == {"enabled": True}
    assert cluster["removeDefaultNodePool"] is True and cluster["deletionProtection"] is True
    assert cluster["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    subnet = one(recording, "gcp:compute/subnetwork:Subnetwork")
    assert {r["rangeName"] for r in subnet["secondaryIpRanges"]} == {"pods", "services"}
    assert one(recording, "gcp:compute/routerNat:RouterNat")["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"


def test_gpu_pools_are_tainted_autoscaled_from_zero_and_labelled_at_creation(recording):
    pools = {r.inputs["name"]: r for r in recording.by_type("gcp:container/nodePool:NodePool")}
    assert set(pools) == {"system", "l4", "h100-spot", "h100-on-demand"}
    for name in ("l4", "h100-spot", "h100-on-demand"):
        inputs = pools[name].inputs
        config = inputs["nodeConfig"]
        assert config["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
        assert config["labels"][POOL_LABEL] == name.split("-")[0] and GPU_LABEL in config["labels"]
        assert inputs["initialNodeCount"] == 0 and inputs["autoscaling"]["totalMinNodeCount"] == 0
        (accelerator,) = config["guestAccelerators"]
        assert accelerator["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "DEFAULT"}
        assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert "initialNodeCount" in pools[name].options.get("ignoreChanges", []), "a new minimum replaces no pool"
    assert pools["h100-spot"].inputs["nodeConfig"]["spot"] is True
    assert pools["h100-spot"].inputs["autoscaling"]["locationPolicy"] == "ANY"
    assert pools["h100-on-demand"].inputs["nodeConfig"]["spot"] is False
    assert pools["l4"].inputs["nodeConfig"]["guestAccelerators"][0]["count"] == 2
    system = pools["system"].inputs
    assert "guestAccelerators" not in system["nodeConfig"] and not system["nodeConfig"]["taints"]


def test_nodes_run_as_a_least_privilege_service_account(recording):
    roles = sorted(r.inputs["role"] for r in recording.by_type("gcp:projects/iAMMember:IAMMember"))
    assert roles == ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]
    assert recording.by_type("gcp:serviceaccount/account:Account")


def test_every_google_resource_uses_the_stacks_provider(recording):
    for registration in recording.registrations:
        if registration.type.startswith("gcp:") and registration.custom and not registration.type.startswith("pulumi:providers"):
            assert registration.provider and registration.provider.endswith("::gke-gcp"), registration.type


def test_the_kubeconfig_uses_the_gcloud_auth_plugin():
    from components.gcp.builders import kubeconfig

    config = json.loads(kubeconfig("llm", "203.0.113.10", "Q0E="))
    assert config["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"
    assert config["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"


# -- Storage: one Filestore instance, a subdirectory per model claim ----------------------------------

def test_model_caches_share_one_protected_filestore_instance():
    import pulumi
    import pulumi_gcp as gcp
    import pulumi_kubernetes as k8s

    from components.core.cluster import SystemPlacement
    from components.core.manifests.nfs_cache import NFS_PROVISIONER
    from components.gcp.storage import GkeStorage, GkeStorageArgs

    spec = GkeClusterSpec.model_validate(BASE)

    def program():
        google = gcp.Provider("google", project=spec.project, region=spec.region)
        kubernetes = k8s.Provider("kubernetes", kubeconfig="{}")
        GkeStorage("storage", GkeStorageArgs(
            spec=spec.storage, location=spec.filestore_location, network="llm-vpc",
            system=SystemPlacement(node_selector={POOL_LABEL: "system"}), gcp_provider=google, kubernetes=kubernetes,
            cost=CostLabels(team="ml", environment="prod")), pulumi.ResourceOptions(providers=[kubernetes]))

    recording = record(program, project="p", stack="s", config={}, secret_keys=[], monitor=RecordingMonitor(PreviewMocks()))
    (instance,) = recording.by_type("gcp:filestore/instance:Instance")
    assert instance.inputs["tier"] == "BASIC_SSD" and instance.inputs["fileShares"]["capacityGb"] == 2560
    assert instance.inputs["location"] == "us-central1-a", "a Basic instance lives in a zone"
    assert instance.options.get("protect") is True and instance.inputs["deletionProtectionEnabled"] is True
    (release,) = [r for r in recording.registrations if r.type == "kubernetes:helm.sh/v3:Release"]
    values = release.inputs["values"]
    assert values["storageClass"]["name"] == "filestore-models" and values["storageClass"]["reclaimPolicy"] == "Retain"
    assert values["nfs"]["path"] == "/models" and values["nodeSelector"] == {POOL_LABEL: "system"}
    # The class the chart creates is named by its release: cluster.local/<release name> (_helpers.tpl).
    assert NFS_PROVISIONER == f"cluster.local/{release.inputs['name']}"
    contract = spec.contract()
    assert contract.storage_class("filestore-models").provisioner == NFS_PROVISIONER
    (namespace,) = [r for r in recording.registrations if r.type == "kubernetes:core/v1:Namespace"]
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    (block,) = [r for r in recording.registrations if r.type == "kubernetes:storage.k8s.io/v1:StorageClass"]
    assert block.inputs["parameters"] == {"type": "pd-balanced"} and block.inputs["volumeBindingMode"] == "WaitForFirstConsumer"


def test_the_provisioners_values_exist_in_its_chart():
    from components.core.catalog.charts import NFS_SUBDIR_PROVISIONER
    from components.core.cluster import SystemPlacement
    from components.core.manifests.nfs_cache import provisioner_values
    from tests.unit.test_chart_values import check

    spec = GkeClusterSpec.model_validate(BASE).storage
    assert check(NFS_SUBDIR_PROVISIONER, provisioner_values(spec.model_cache_class, True, "10.0.0.2", "/models", ["nfsvers=3"], SystemPlacement())) == []
    assert check(NFS_SUBDIR_PROVISIONER, {"storageClass": {"provisionerNam": "x"}}) == ["storageClass.provisionerNam"]


TIME_SHARED = {**BASE, "gpuPools": [{**BASE["gpuPools"][0], "timeSharing": 4}, BASE["gpuPools"][1]]}


@pytest.mark.parametrize("config", [BASE, TIME_SHARED], ids=["whole-gpus", "time-shared"])
def test_every_gpu_deployment_can_be_placed_by_labels_its_pool_sets_at_creation(config):
    """A model's required node affinity names only labels the node pool is created with, so the
    autoscaler can scale a pool at zero: the pool, GPU and GPU product labels (no GFD on GKE; a
    time-shared pool's product label carries GFD's -SHARED suffix, as the contract selects)."""
    from components.core.placement import node_affinity_for
    from components.gcp.builders import node_pools

    spec = GkeClusterSpec.model_validate(config)
    contract = {p.name: p for p in spec.contract().pools}
    for plan in node_pools(spec):
        if plan.gpu is None:
            continue
        affinity = node_affinity_for(contract[plan.pool])
        (term,) = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        for expression in term["matchExpressions"]:
            assert expression["operator"] == "In", expression
            assert plan.labels.get(expression["key"]) in expression["values"], (plan.key, expression)


def test_the_platform_gives_the_serving_layer_the_contract_and_waits():
    """GkePlatform: the contract (pools, storage classes, the passthrough load balancer annotation),
    storage that waits for the system pool, and `ready` holding every node pool and storage class."""
    from components.gcp.platform import GkePlatform, GkePlatformArgs
    from components.gcp.spec import LOAD_BALANCER_ANNOTATIONS

    spec = GkeClusterSpec.model_validate(BASE)
    holder = {}

    def program():
        holder["platform"] = GkePlatform("gcp", GkePlatformArgs(spec=spec, cost=CostLabels(team="ml", environment="prod")))

    recording = record(program, project="p", stack="s", config={}, secret_keys=[], monitor=RecordingMonitor(PreviewMocks()))
    platform = holder["platform"].platform
    assert platform.cluster.load_balancer_annotations == LOAD_BALANCER_ANNOTATIONS == {"cloud.google.com/l4-rbs": "enabled"}
    assert {c.name for c in platform.cluster.storage_classes} == {"filestore-models", "pd-balanced"}
    assert len(platform.ready) == 4 + 2 + 1, "four node pools, two storage classes, the DCGM exporter"
    assert platform.gpu_metrics is not None and platform.gpu_metrics.namespace == "dcgm-exporter"
    names = {r.urn: r.name for r in recording.registrations}
    releases = [r for r in recording.registrations if r.type == "kubernetes:helm.sh/v3:Release"]
    assert len(releases) == 2, "the NFS provisioner and the DCGM exporter"
    for release in releases:
        assert "gcp-gke-system" in {names.get(u) for u in release.dependencies}, f"{release.name} waits for a node"
        assert release.provider and release.provider.endswith("::gcp-gke-kubernetes")


def test_a_time_shared_pool_advertises_each_gpu_to_its_share_of_containers():
    from components.gcp.builders import node_pools

    spec = GkeClusterSpec.model_validate(TIME_SHARED)
    l4 = spec.contract().pool("l4")
    assert l4.gpu_sharing == 4 and l4.product_labels == ("NVIDIA-L4-SHARED",)
    plans = {p.key: p for p in node_pools(spec)}
    (accelerator,) = plans["l4"].node_config("sa")["guest_accelerators"]
    assert accelerator["gpu_sharing_config"] == {"gpu_sharing_strategy": "TIME_SHARING", "max_shared_clients_per_gpu": 4}
    (whole,) = plans["h100-spot"].node_config("sa")["guest_accelerators"]
    assert "gpu_sharing_config" not in whole
