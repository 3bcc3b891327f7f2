"""The GKE platform's typed config (work in progress for #16): each GKE-specific mistake is one clear
error naming its path and the fix, and the contract gives the serving layer what the pools are."""

from __future__ import annotations

import copy

import pytest

from components.core.labels import GPU_LABEL, POOL_LABEL
from components.gcp.spec import GkeClusterSpec

from tests.unit.spec_errors import first_pool, spec_error

BASE = {"type": "gke", "name": "llm", "project": "acme-llm-prod", "region": "us-central1",
        "zones": ["us-central1-a", "us-central1-c"],
        "gpuPools": [{"name": "l4", "machineType": "g2-standard-24", "maxNodes": 4},
                     {"name": "h100", "machineType": "a3-highgpu-8g", "capacityType": "spot", "onDemandFallback": True,
                      "maxNodes": 2}]}


def error(mutate) -> str:
    return spec_error(GkeClusterSpec, BASE, mutate)


pool = first_pool


@pytest.mark.parametrize("mutate, expected", [
    (pool(accelerator="nvidia-tesla-a100"),
     "gpuPools.0: accelerator: g2-standard-24 comes with nvidia-l4, not nvidia-tesla-a100; nvidia-tesla-a100 comes "
     "with a2-highgpu-*, a2-megagpu-*"),
    (pool(gpusPerNode=4),
     "gpuPools.0: gpusPerNode: g2-standard-24 has 2 x L4, not 4; 4 x L4: g2-standard-48"),
    (lambda d: d["gpuPools"][1].update(zones=["us-central1-f"]),
     "gpuPools[1]: us-central1-f does not offer nvidia-h100-80gb (a3-highgpu-8g); set gpuPools[1].zones to some of "
     "us-central1-a, us-central1-b, us-central1-c"),
    (lambda d: d["gpuPools"][1].update(name="h100-inference-pool-for-long-contexts"),
     "gpuPools.1: name: 'h100-inference-pool-for-long-contexts' makes the GKE node pool "
     "'h100-inference-pool-for-long-contexts-on-demand' (47 characters), but GKE allows 40: use a pool name of at "
     "most 30 characters"),
    (lambda d: d.update(storage={"filestore": {"tier": "BASIC_SSD", "capacityGib": 1024}}),
     "storage.filestore: capacityGib: 1024 GiB is outside what a BASIC_SSD Filestore instance holds (2,560-65,434 GiB); "
     "use at least 2,560, or another tier"),
    (pool(machineType="n1-standard-8"),
     "gpuPools.0.machineType: 'n1-standard-8' has no GPUs: use a GPU machine type (g2-standard-*, a2-highgpu-*, "
     "a2-ultragpu-*, a3-highgpu-*)"),
    (pool(machineType="g2-standard-20"),
     "gpuPools.0.machineType: unknown machine type 'g2-standard-20'; did you mean 'g2-standard-32'? (known series: "
     "a2-highgpu, a2-megagpu, a2-ultragpu, a3-highgpu, a3-megagpu, g2-standard, n1-standard)"),
    (lambda d: d.update(systemPool={"spot": True}),
     "systemPool.spot: the system pool is never spot: a preempted node takes the gateway, the platform's controllers "
     "and monitoring with it; drop spot (GPU pools may use capacityType: spot)"),
    (lambda d: d.update(project="Acme LLM"),
     "project: 'Acme LLM' is not a project id: 6-30 lower-case letters, digits or hyphens, starting with a letter (the "
     "id, not the project's display name or number)"),
    (lambda d: d.update(zones=["us-east1-b"]), "zones: us-east1-b not zones of us-central1 (e.g. us-central1-a)"),
])
def test_a_gke_mistake_is_one_clear_error(mutate, expected):
    assert error(mutate) == expected


def test_every_label_a_model_selects_is_set_on_its_node_pool():
    """The pool and GPU labels models select on are the node pool's own (set at creation), not ones
    that appear only once a node runs (nvidia.com/gpu.product), so a pool at zero can scale up."""
    contract = GkeClusterSpec.model_validate(BASE).contract()
    gpu = {p.name: p for p in contract.pools if p.gpu}
    assert gpu["l4"].labels == {POOL_LABEL: "l4", GPU_LABEL: "L4"} and gpu["l4"].gpus_per_node == 2
    assert gpu["h100"].gpu == "H100-80GB" and gpu["h100"].gpus_per_node == 8
    assert all(t.key == "nvidia.com/gpu" and t.effect == "NoSchedule" for p in gpu.values() for t in p.taints)
    assert gpu["l4"].price_per_node_hour == 2.0008


def test_a_region_the_catalog_does_not_know_is_not_refused():
    data = copy.deepcopy(BASE)
    data.update(region="asia-east1", zones=["asia-east1-a"])
    GkeClusterSpec.model_validate(data)


def test_the_filestore_zone_is_pinned_or_the_first_cluster_zone():
    spec = GkeClusterSpec.model_validate(BASE)
    assert spec.filestore_location == spec.zones[0]
    pinned = GkeClusterSpec.model_validate({**BASE, "storage": {"filestore": {"zone": BASE["zones"][-1]}}})
    assert pinned.filestore_location == BASE["zones"][-1]
    regional = GkeClusterSpec.model_validate({**BASE, "storage": {"filestore": {"tier": "REGIONAL", "capacityGib": 1024}}})
    assert regional.filestore_location == BASE["region"]
    assert error(lambda d: d.update(storage={"filestore": {"tier": "ENTERPRISE", "capacityGib": 1024, "zone": "us-central1-a"}})) == (
        "storage.filestore: zone: a ENTERPRISE instance spans the region; drop zone, or use a zonal tier")
    assert error(lambda d: d.update(storage={"filestore": {"zone": "us-east1-b"}})) == (
        "storage.filestore.zone: us-east1-b not zones of us-central1 (e.g. us-central1-a)")
