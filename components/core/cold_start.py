"""A model that rests at zero replicas, as planned: how long it takes to wake, how long the gateway
holds a request for it, and what resting saves. Computed once per model by the planner
(capacity/planning.cold_start_plan) and rendered by the gateway, the autoscaler and the plan summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class ColdStart:
    seconds: int
    """Estimated time from the first request to a ready replica: a GPU node, the image, then the
    model's start-up budget."""
    hold_seconds: int
    """How long the gateway holds a request while the model starts: the cold start, at most the cap."""
    idle_seconds: int
    """Time without requests before the model scales to zero."""
    queue_length: int
    """Requests the model takes at once through the gateway, held ones included."""
    replica_price_per_hour: Optional[float] = None
    """USD per hour one replica's GPUs cost on its pool (its share of a node); None when unpriced."""

    @property
    def retry_after_seconds(self) -> int:
        """What a client refused at the hold cap is told to wait: the rest of the cold start, at least a minute."""
        return max(60, self.seconds - self.hold_seconds)

    @property
    def idle_cost_usd(self) -> Optional[float]:
        """What the idle window after the last request costs before the model rests again."""
        if self.replica_price_per_hour is None:
            return None
        return round(self.replica_price_per_hour * self.idle_seconds / 3600, 2)
