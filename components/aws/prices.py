"""EC2 prices: Linux on-demand USD per hour, per region and instance type.

Source, us-east-1: aws/karpenter-provider-aws, pkg/providers/pricing/zz_generated.pricing_aws.go
(map InitialOnDemandPricesAWS["us-east-1"]), header "generated at 2026-07-20T13:44:30Z for us-east-1",
last changed in commit 6fc13b5236fd04fd16ff3f9dc7490d0813994099 (2026-07-20, "chore: Update data from
AWS APIs (#9435)"), read at repository HEAD 1d927085dd81a9df9301e613f371dac5b4d16bfe (2026-08-21).
Karpenter generates it from the AWS Price List API. It holds us-east-1 only, and no spot prices.
p5e.48xlarge is not in it (no us-east-1 on-demand price listed), so it is absent here.

Other regions: no dated price list was found, so none is kept (a price needs its source and date).
The plan then shows us-east-1's price and says so.

Every figure is copied from a source; none is estimated or computed.

Other regions (us-east-2, us-west-2, eu-west-1, eu-central-1) and spot prices: SkyPilot's AWS
catalog (skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv @00148f2af367), rows of 17 of our
instance types in those regions and us-east-1, copied to ec2_prices_skypilot.csv beside this module.
Its commit's date is not known here (the catalog is refreshed every 7 hours); its us-east-1
on-demand figures equal Karpenter's dated ones, and every figure taken from it says "undated". A
region's spot price is the median of its zones' (Local Zones left out): a node group spreads over
the zones, and spot prices move.
"""

from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

SOURCE = "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go @6fc13b5236fd, generated 2026-07-20"
PRICED_REGION = "us-east-1"

ON_DEMAND_USD_PER_HOUR: dict[str, dict[str, float]] = {
    "us-east-1": {
        "g4dn.xlarge": 0.526,
        "g4dn.2xlarge": 0.752,
        "g4dn.4xlarge": 1.204,
        "g4dn.8xlarge": 2.176,
        "g4dn.12xlarge": 3.912,
        "g4dn.16xlarge": 4.352,
        "g4dn.metal": 7.824,
        "g5.xlarge": 1.006,
        "g5.2xlarge": 1.212,
        "g5.4xlarge": 1.624,
        "g5.8xlarge": 2.448,
        "g5.12xlarge": 5.672,
        "g5.16xlarge": 4.096,
        "g5.24xlarge": 8.144,
        "g5.48xlarge": 16.288,
        "g6.xlarge": 0.8048,
        "g6.2xlarge": 0.9776,
        "g6.4xlarge": 1.3232,
        "g6.8xlarge": 2.0144,
        "g6.12xlarge": 4.6016,
        "g6.16xlarge": 3.3968,
        "g6.24xlarge": 6.6752,
        "g6.48xlarge": 13.3504,
        "g6e.xlarge": 1.861,
        "g6e.2xlarge": 2.24208,
        "g6e.4xlarge": 3.00424,
        "g6e.8xlarge": 4.52856,
        "g6e.12xlarge": 10.49264,
        "g6e.16xlarge": 7.57719,
        "g6e.24xlarge": 15.06559,
        "g6e.48xlarge": 30.13118,
        "p4d.24xlarge": 21.957642,
        "p4de.24xlarge": 27.44705,
        "p5.4xlarge": 6.88,
        "p5.48xlarge": 55.04,
        "p5en.48xlarge": 63.296,
        "p6-b200.48xlarge": 113.9328,
        "m6i.large": 0.096,
        "m6i.xlarge": 0.192,
        "m6i.2xlarge": 0.384,
        "m6i.4xlarge": 0.768,
        "m6i.8xlarge": 1.536,
        "m7i.large": 0.1008,
        "m7i.xlarge": 0.2016,
        "m7i.2xlarge": 0.4032,
        "m7i.4xlarge": 0.8064,
        "m7i.8xlarge": 1.6128,
    },
}

SKYPILOT_SOURCE = "SkyPilot's AWS catalog @00148f2af367 (an undated snapshot)"
_SKYPILOT_FILE = Path(__file__).with_name("ec2_prices_skypilot.csv")
_STANDARD_ZONE = re.compile(r"^[a-z]+[0-9]+-az[0-9]+$")


def _skypilot() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """On-demand and spot prices per region and type, from the copied SkyPilot rows."""
    lines = [line for line in _SKYPILOT_FILE.read_text().splitlines() if not line.startswith("#")]
    on_demand: dict[str, dict[str, float]] = {}
    spot_by_zone: dict[tuple[str, str], list[float]] = {}
    for row in csv.DictReader(lines):
        region, instance = row["Region"], row["InstanceType"]
        if not _STANDARD_ZONE.match(row["AvailabilityZone"]):
            continue
        if row["Price"]:
            on_demand.setdefault(region, {}).setdefault(instance, float(row["Price"]))
        if row["SpotPrice"]:
            spot_by_zone.setdefault((region, instance), []).append(float(row["SpotPrice"]))
    spot_prices: dict[str, dict[str, float]] = {}
    for (region, instance), prices in spot_by_zone.items():
        spot_prices.setdefault(region, {})[instance] = round(statistics.median(prices), 4)
    return on_demand, spot_prices


SKYPILOT_ON_DEMAND, SPOT_USD_PER_HOUR = _skypilot()


def on_demand(region: str, instance_type: str) -> tuple[float | None, str]:
    """The on-demand price of one node and where it comes from: Karpenter's dated list for us-east-1,
    SkyPilot's snapshot for the other regions it covers, else us-east-1's (said so), else none."""
    price = ON_DEMAND_USD_PER_HOUR.get(region, {}).get(instance_type)
    if price is not None:
        return price, f"EC2 on-demand, {SOURCE}"
    price = SKYPILOT_ON_DEMAND.get(region, {}).get(instance_type)
    if price is not None:
        return price, f"EC2 on-demand in {region}, {SKYPILOT_SOURCE}"
    price = ON_DEMAND_USD_PER_HOUR.get(PRICED_REGION, {}).get(instance_type)
    if price is not None:
        return price, f"EC2 on-demand, {SOURCE} ({PRICED_REGION}'s: the catalog has no {region} price for it)"
    return None, f"no price for {instance_type} in the EC2 price catalog"


def spot(region: str, instance_type: str) -> float | None:
    """The region's spot price of one node (the median of its zones'), where the catalog has one."""
    return SPOT_USD_PER_HOUR.get(region, {}).get(instance_type)


def spot_note(region: str, instance_type: str) -> str:
    if spot(region, instance_type) is None:
        return f"no spot price for {instance_type} in {region} in the EC2 price catalog"
    return f"EC2 spot in {region}, the median of its zones, {SKYPILOT_SOURCE}"
