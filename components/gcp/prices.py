"""Compute Engine prices: USD per hour, per region and machine type, on-demand and spot.

Source: Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml @fd66b26ff84fee5cdd94f341ea89206e76c06b99,
"generated: Thu Jul 30 06:13:17 2026" from Google's Cloud Billing Catalog (SKUs), read 2026-12-03. A
G2, A2 or A3 machine's price includes its GPUs, and an A2 Ultra's or A3's also its bundled local SSD.
Spot prices are Google's list spot prices of that day; they change often. a3-megagpu-8g has no
us-central1 price in the source, so none is kept for it there (a price needs its source).
Every figure is copied from the source; none is estimated.
"""

from __future__ import annotations

SOURCE = "Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml @fd66b26, generated 2026-07-30"

# machine type -> (on-demand, spot), per region
PRICES_USD_PER_HOUR: dict[str, dict[str, tuple[float, float]]] = {
    "us-central1": {
        "g2-standard-4": (0.7068, 0.3973), "g2-standard-8": (0.8536, 0.4799), "g2-standard-12": (1.0004, 0.5624),
        "g2-standard-16": (1.1472, 0.6449), "g2-standard-24": (2.0008, 1.1248), "g2-standard-32": (1.7344, 0.9751),
        "g2-standard-48": (4.0017, 2.2496), "g2-standard-96": (8.0033, 4.4993),
        "a2-highgpu-1g": (3.6734, 1.9280), "a2-highgpu-2g": (7.3468, 3.8560), "a2-highgpu-4g": (14.6935, 7.7121),
        "a2-highgpu-8g": (29.3871, 15.4242), "a2-megagpu-16g": (55.7395, 29.2557),
        "a2-ultragpu-1g": (5.0688, 2.7595), "a2-ultragpu-2g": (10.1376, 5.5191), "a2-ultragpu-4g": (20.2752, 11.0382),
        "a2-ultragpu-8g": (40.5504, 22.0764),
        "a3-highgpu-1g": (11.0612, 6.3262), "a3-highgpu-2g": (22.1225, 12.6524), "a3-highgpu-4g": (44.2450, 25.3048),
        "a3-highgpu-8g": (88.4900, 50.6095),
        "n1-standard-2": (0.0950, 0.0335), "n1-standard-4": (0.1900, 0.0670), "n1-standard-8": (0.3800, 0.1340),
        "n1-standard-16": (0.7600, 0.2680), "n1-standard-32": (1.5200, 0.5361),
    },
    "europe-west4": {
        "g2-standard-4": (0.7429, 0.3899), "g2-standard-8": (0.8972, 0.4708), "g2-standard-12": (1.0515, 0.5518),
        "g2-standard-16": (1.2058, 0.6327), "g2-standard-24": (2.1030, 1.1036), "g2-standard-32": (1.8229, 0.9566),
        "g2-standard-48": (4.2060, 2.2071), "g2-standard-96": (8.4119, 4.4142),
        "a2-highgpu-1g": (3.7480, 1.6928), "a2-highgpu-2g": (7.4959, 3.3857), "a2-highgpu-4g": (14.9919, 6.7713),
        "a2-highgpu-8g": (29.9838, 13.5427), "a2-megagpu-16g": (56.6266, 25.5762),
        "a2-ultragpu-1g": (5.5809, 2.9452), "a2-ultragpu-2g": (11.1618, 5.8904), "a2-ultragpu-4g": (22.3237, 11.7808),
        "a2-ultragpu-8g": (44.6473, 23.5617),
        "a3-highgpu-1g": (14.0676, 5.5148), "a3-highgpu-2g": (28.1351, 11.0297), "a3-highgpu-4g": (56.2702, 22.0594),
        "a3-highgpu-8g": (112.5405, 44.1188), "a3-megagpu-8g": (118.2368, 46.2436),
        "n1-standard-2": (0.1046, 0.0608), "n1-standard-4": (0.2092, 0.1215), "n1-standard-8": (0.4183, 0.2431),
        "n1-standard-16": (0.8367, 0.4861), "n1-standard-32": (1.6733, 0.9722),
    },
}


def on_demand(region: str, machine_type: str) -> tuple[float | None, str]:
    """The on-demand price and where it comes from; None where the source has none."""
    price = PRICES_USD_PER_HOUR.get(region, {}).get(machine_type)
    if price is None:
        return None, f"no price for {machine_type} in {region} in {SOURCE}"
    return price[0], SOURCE


def spot(region: str, machine_type: str) -> float | None:
    price = PRICES_USD_PER_HOUR.get(region, {}).get(machine_type)
    return None if price is None else price[1]


def spot_note(region: str, machine_type: str) -> str:
    if spot(region, machine_type) is None:
        return f"no spot price in {SOURCE}"
    return f"{SOURCE} (list spot price of that day; it changes often)"
