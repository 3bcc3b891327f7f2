"""The GKE machine catalog: consistent with the GPU catalog, allocatable as GKE reserves it, and
priced from its one dated source."""

from __future__ import annotations

import pytest

from components.core.quantity import parse_quantity
from components.core.cluster import tiered
from components.gcp import machine_types as mt
from components.gcp import prices


def test_the_catalog_agrees_with_the_gpu_catalog():
    mt.check_catalog()
    assert mt.MACHINE_TYPES["g2-standard-24"].gpus == 2 and mt.MACHINE_TYPES["g2-standard-32"].gpus == 1
    assert mt.MACHINE_TYPES["a3-highgpu-8g"].accelerator == "nvidia-h100-80gb"
    assert {m.accelerator for m in mt.MACHINE_TYPES.values() if m.series == "g2-standard"} == {"nvidia-l4"}


def test_allocatable_stays_under_what_google_shows_for_a_node():
    """Google's example node (4 vCPU, 16 GiB class) offers 3920m and 13,182 MiB; ours is not above it."""
    cpu, memory = mt.allocatable(mt.MACHINE_TYPES["g2-standard-4"])
    assert cpu == "3920m"
    assert 13_000 <= parse_quantity(memory) / 2**20 <= 13_182


@pytest.mark.parametrize("name, kube_reserved_mib", [("g2-standard-4", 2623), ("g2-standard-48", 10692),
                                                     ("a3-highgpu-8g", 45098)])
def test_kube_reserved_memory_is_the_autoscalers(name, kube_reserved_mib):
    """Figures of cluster-autoscaler's reserved.go (tiers in 1000 MiB), worked by hand for these sizes."""
    machine = mt.MACHINE_TYPES[name]
    assert int(tiered(machine.memory_gib * 1024, mt._MEMORY_TIERS_MIB)) == kube_reserved_mib


def test_every_price_is_of_a_catalog_type_and_every_gpu_type_is_priced():
    for region, table in prices.PRICES_USD_PER_HOUR.items():
        assert set(table) <= set(mt.MACHINE_TYPES), region
        for name, (on_demand, spot) in table.items():
            assert 0 < spot < on_demand, (region, name)
    unpriced = {m.name for m in mt.MACHINE_TYPES.values() if m.gpu} - set(prices.PRICES_USD_PER_HOUR["us-central1"])
    assert unpriced == {"a3-megagpu-8g"}, "only the one the source has no price for"
    assert prices.on_demand("us-central1", "a3-megagpu-8g")[0] is None


def test_zones_offering_an_accelerator():
    assert mt.zones_offering("us-central1", "nvidia-a100-80gb") == ("us-central1-a", "us-central1-c")
    assert mt.zones_offering("asia-east1", "nvidia-l4") is None, "a region the catalog does not know"
