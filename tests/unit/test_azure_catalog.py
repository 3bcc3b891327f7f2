"""The Azure VM size catalog and prices: consistent with the GPU catalog, AKS's reservations as its
documentation tabulates them, and every price from its source."""

from __future__ import annotations

import pytest

from components.azure import prices
from components.azure import vm_sizes as vs


def test_the_catalog_agrees_with_the_gpu_catalog():
    vs.check_catalog()


@pytest.mark.parametrize("vcpus, reserved", [(1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740)])
def test_cpu_reservations_are_akss_table(vcpus, reserved):
    """node-resource-reservations.md's kube-reserved CPU per core count."""
    assert vs.kube_reserved(vs.VmSize("x", vcpus, 64))[0] == reserved


def test_memory_reservations_follow_aks_1_29():
    """A default cluster's D8ds_v5 kubelet: --max-pods=250 --kube-reserved=cpu=180m,memory=5050Mi;
    under about 20 GiB the 25 % cap is the smaller (D4s_v5: 4096 MiB)."""
    assert vs.kube_reserved(vs.VM_SIZES["Standard_D8ds_v5"]) == (180, 5050)
    assert vs.kube_reserved(vs.VM_SIZES["Standard_D4s_v5"]) == (140, 4096)
    cpu, memory = vs.allocatable(vs.VM_SIZES["Standard_D16s_v5"])
    assert cpu == "15740m", "Azure/AKS#4524: a 16-core node's allocatable CPU"
    assert int(memory.removesuffix("Mi")) == int(64 * 1024 * (1 - vs.VM_MEMORY_OVERHEAD) - 5050 - 100)


def test_refused_sizes_say_why_and_what_instead():
    for name, reason in vs.REFUSED.items():
        assert name in reason and "R580" in reason and "Standard_NC*ads_A100_v4" in reason
        assert name not in vs.VM_SIZES


def test_every_gpu_size_has_a_price_in_each_known_region():
    for region in prices.PRICES_USD_PER_HOUR:
        for size in vs.VM_SIZES.values():
            price, source = prices.on_demand(region, size.name)
            assert price is not None and price > 0, (region, size.name, source)
    assert prices.spot("eastus", "Standard_ND96isr_H100_v5") is None, "the spot source repeats on-demand for H100: not kept"
    assert prices.on_demand("northeurope", "Standard_D4s_v5")[0] is None


def test_spot_is_cheaper_where_priced():
    for region, sizes in prices.PRICES_USD_PER_HOUR.items():
        for name, (on_demand, spot) in sizes.items():
            assert spot is None or spot < on_demand, (region, name)
