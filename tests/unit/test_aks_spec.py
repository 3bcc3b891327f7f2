"""The AKS spec (work in progress for #17): each AKS-specific mistake is one clear error naming its
path and the fix, and the contract promises only labels the agent pools are created with."""

from __future__ import annotations

import copy

import pytest

from components.azure.spec import SPOT_TAINT, AksClusterSpec, pool_labels
from components.core.catalog.gpus import GPU_PRODUCT_LABEL
from components.core.labels import GPU_LABEL, POOL_LABEL
from components.core.placement import node_affinity_for

from tests.unit.spec_errors import first_pool, spec_error

BASE = {"type": "aks", "name": "llm", "region": "eastus",
        "gpuPools": [{"name": "a100", "vmSize": "Standard_NC24ads_A100_v4", "maxNodes": 4},
                     {"name": "h100", "vmSize": "Standard_ND96isr_H100_v5", "capacityType": "spot",
                      "onDemandFallback": True, "maxNodes": 2}]}


def error(mutate) -> str:
    return spec_error(AksClusterSpec, BASE, mutate)


pool = first_pool


@pytest.mark.parametrize("mutate, expected", [
    (pool(vmSize="Standard_D8s_v5"),
     "gpuPools.0.vmSize: 'Standard_D8s_v5' has no GPU: use a GPU size (Standard_NC*as_T4_v3, Standard_NC*ads_A100_v4, "
     "Standard_NC*ads_H100_v5, Standard_ND96isr_H100_v5 ...)"),
    (pool(vmSize="Standard_NC24ads_A100_v5"),
     "gpuPools.0.vmSize: unknown VM size 'Standard_NC24ads_A100_v5'; did you mean 'Standard_NC24ads_A100_v4'? (known "
     "series: D*ds_v5, D*s_v5, NC*adis_H100_v5, NC*ads_A100_v4, NC*ads_H100_v5, NC*as_T4_v3, ND*amsr_A100_v4, "
     "ND*asr_v4, ND*isr_H100_v5)"),
    (pool(vmSize="Standard_NV36ads_A10_v5"),
     "gpuPools.0.vmSize: Standard_NV36ads_A10_v5 runs NVIDIA's vGPU (GRID) driver R570 on AKS, older than the R580 the "
     "vLLM image needs: use Standard_NC*as_T4_v3, Standard_NC*ads_A100_v4 or Standard_NC*ads_H100_v5"),
    (pool(name="a100inference"),
     "gpuPools.0: name: 'a100inference' makes the AKS agent pool 'a100inference', but AKS takes a lower-case letter and "
     "at most 12 lower-case letters or digits: use a pool name of at most 12 letters or digits, such as 'a100inferenc'"),
    (lambda d: d["gpuPools"][1].update(name="h100large"),
     "gpuPools.1: name: 'h100large' makes the AKS agent pool 'h100largespot', but AKS takes a lower-case letter and at "
     "most 12 lower-case letters or digits: use a pool name of at most 8 letters or digits, such as 'h100larg'"),
    (pool(name="gpu-a100"),
     "gpuPools.0: name: 'gpu-a100' makes the AKS agent pool 'gpu-a100', but AKS takes a lower-case letter and at most "
     "12 lower-case letters or digits: use a pool name of at most 12 letters or digits, such as 'gpua100'"),
    (lambda d: d.update(systemPool={"spot": True}),
     "systemPool.spot: the system pool is never spot: AKS requires System-mode pools to be Regular priority, and an "
     "evicted node takes the gateway and the platform's controllers with it; drop spot (GPU pools may use capacityType: spot)"),
    (lambda d: d.update(storage={"files": {"shareGib": 50}}),
     "storage.files.shareGib: 50 GiB is outside what a premium file share holds (100-102,400 GiB); use at least 100"),
    (lambda d: d.update(region="northeurope", gpuPools=[{"name": "x", "vmSize": "Standard_NC24ads_A100_v4"}]), None),
    (lambda d: d.update(region="westeurope", systemPool={"vmSize": "Standard_D4s_v5"}), None),
    (lambda d: d.update(kubernetesVersion="1.34.2"),
     "kubernetesVersion: '1.34.2' is not a Kubernetes minor AKS offers generally; use one of 1.35, 1.36, 1.34 "
     "(major.minor: AKS picks and upgrades the patch)"),
    (lambda d: d.update(subscriptionId="my-subscription"),
     "subscriptionId: 'my-subscription' is not a subscription id (a GUID: az account show --query id)"),
    (lambda d: d.update(network={"nodesCidr": "10.50.0.0/16"}),
     "network: nodesCidr 10.50.0.0/16 is not inside vnetCidr 10.224.0.0/12"),
    (lambda d: d.update(network={"podsCidr": "10.224.0.0/16"}),
     "network: vnetCidr 10.224.0.0/12 overlaps podsCidr 10.224.0.0/16: the ranges must be disjoint"),
])
def test_an_aks_mistake_is_one_clear_error(mutate, expected):
    if expected is None:  # accepted: the region is unknown to the catalog, or sells the size
        data = copy.deepcopy(BASE)
        mutate(data)
        AksClusterSpec.model_validate(data)
        return
    assert error(mutate) == expected


def test_a_size_the_region_does_not_sell_is_refused_where_the_catalog_knows_the_region(monkeypatch):
    from components.azure import prices

    monkeypatch.setitem(prices.PRICES_USD_PER_HOUR, "westeurope",
                        {k: v for k, v in prices.PRICES_USD_PER_HOUR["westeurope"].items() if k != "Standard_ND96isr_H100_v5"})
    assert error(lambda d: d.update(region="westeurope")) == (
        "gpuPools[1].vmSize: westeurope does not sell Standard_ND96isr_H100_v5; it is sold in eastus")


def test_every_label_a_model_selects_is_set_on_its_agent_pool():
    """Models select pool, GPU and GFD product labels; each is in the agent pool's nodeLabels, and a
    spot pool's models tolerate AKS's spot taint."""
    spec = AksClusterSpec.model_validate(BASE)
    contract = spec.contract()
    for config in spec.gpu_pools:
        promised = contract.pool(config.name)
        labels = pool_labels(spec, config)
        assert labels[POOL_LABEL] == config.name and labels[GPU_LABEL] == promised.gpu
        affinity = node_affinity_for(promised)
        (term,) = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        for expression in term["matchExpressions"]:
            assert labels.get(expression["key"]) in expression["values"], (config.name, expression)
        assert labels[GPU_PRODUCT_LABEL] in promised.product_labels
    assert SPOT_TAINT in contract.pool("h100").taints and SPOT_TAINT not in contract.pool("a100").taints
    assert spec.gpu_pools[1].node_pool_names == ["h100spot", "h100od"]


def test_the_contract_prices_and_sizes_pools_from_the_catalog():
    contract = AksClusterSpec.model_validate(BASE).contract()
    a100 = contract.pool("a100")
    assert (a100.gpu, a100.gpus_per_node, a100.price_per_node_hour) == ("A100-80GB", 1, 3.673)
    assert contract.pool("h100").spot_price_per_node_hour is None, "no sourced spot price for H100"
    assert {c.name for c in contract.storage_classes} == {"azurefile-models", "managed-csi-premium"}
