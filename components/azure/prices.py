"""Azure VM prices: USD per hour, Linux, per region and VM size, on-demand and spot.

On-demand: Azure/karpenter-provider-azure `pkg/providers/pricing/zz_generated.pricing.go`, generated
2026-06-18T03:43:41Z from the Azure Retail Prices API (Linux meters); its GPU and D-series figures
equal SkyPilot's for the US regions, and did not change from its April 2026 run.
Spot: skypilot-org/skypilot-catalog `catalogs/v6/azure/vms.csv` @098741e7 (undated; US regions only,
so none for westeurope). Its H100 rows repeat the on-demand price as spot, an error of that source,
so no H100 spot price is kept. Every figure is copied from a source; none is estimated.
"""

from __future__ import annotations

SOURCE = "Azure/karpenter-provider-azure zz_generated.pricing.go, generated 2026-06-18 (Azure Retail Prices API, Linux)"
SPOT_SOURCE = "skypilot-org/skypilot-catalog catalogs/v6/azure/vms.csv @098741e7 (undated)"

# VM size -> (on-demand, spot or None), per region
PRICES_USD_PER_HOUR: dict[str, dict[str, tuple[float, float | None]]] = {
    "eastus": {
        "Standard_NC4as_T4_v3": (0.526, 0.062699), "Standard_NC8as_T4_v3": (0.752, 0.089638),
        "Standard_NC16as_T4_v3": (1.204, 0.143517), "Standard_NC64as_T4_v3": (4.352, 0.518758),
        "Standard_NC24ads_A100_v4": (3.673, 0.444433), "Standard_NC48ads_A100_v4": (7.346, 0.888866),
        "Standard_NC96ads_A100_v4": (14.692, 1.777732), "Standard_ND96asr_v4": (27.197, 2.99167),
        "Standard_ND96amsr_A100_v4": (32.77, 3.6047),
        "Standard_NC40ads_H100_v5": (6.98, None), "Standard_NC80adis_H100_v5": (13.96, None),
        "Standard_ND96isr_H100_v5": (98.32, None),
        "Standard_D4s_v5": (0.192, 0.02112), "Standard_D8s_v5": (0.384, 0.04224), "Standard_D16s_v5": (0.768, None),
        "Standard_D4ds_v5": (0.226, 0.02486), "Standard_D8ds_v5": (0.452, 0.04972), "Standard_D16ds_v5": (0.904, None),
    },
    "westeurope": {
        "Standard_NC4as_T4_v3": (0.658, None), "Standard_NC8as_T4_v3": (0.94, None),
        "Standard_NC16as_T4_v3": (1.505, None), "Standard_NC64as_T4_v3": (5.44, None),
        "Standard_NC24ads_A100_v4": (4.775, None), "Standard_NC48ads_A100_v4": (9.55, None),
        "Standard_NC96ads_A100_v4": (19.1, None), "Standard_ND96asr_v4": (35.357, None),
        "Standard_ND96amsr_A100_v4": (40.962, None),
        "Standard_NC40ads_H100_v5": (9.08, None), "Standard_NC80adis_H100_v5": (18.16, None),
        "Standard_ND96isr_H100_v5": (127.816, None),
        "Standard_D4s_v5": (0.23, None), "Standard_D8s_v5": (0.46, None), "Standard_D16s_v5": (0.92, None),
        "Standard_D4ds_v5": (0.272, None), "Standard_D8ds_v5": (0.544, None), "Standard_D16ds_v5": (1.088, None),
    },
}


def on_demand(region: str, vm_size: str) -> tuple[float | None, str]:
    """The on-demand price and where it comes from; None where the source has none."""
    price = PRICES_USD_PER_HOUR.get(region, {}).get(vm_size)
    if price is None:
        return None, f"no price for {vm_size} in {region} in {SOURCE}"
    return price[0], SOURCE


def spot(region: str, vm_size: str) -> float | None:
    price = PRICES_USD_PER_HOUR.get(region, {}).get(vm_size)
    return None if price is None else price[1]


def spot_note(region: str, vm_size: str) -> str:
    return SPOT_SOURCE if spot(region, vm_size) is not None else f"no spot price for {vm_size} in {region} in {SPOT_SOURCE}"


def offered(region: str) -> set[str] | None:
    """The VM sizes a region sells, where the catalog knows the region: a size has a price meter
    there (the on-demand source lists every size Azure prices in the region)."""
    known = PRICES_USD_PER_HOUR.get(region)
    return None if known is None else set(known)
