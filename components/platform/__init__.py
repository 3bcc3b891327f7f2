"""Cluster components, each producing the same Platform contract."""

from .contract import Platform
from .existing import ExistingCluster, ExistingClusterArgs

__all__ = ["Platform", "ExistingCluster", "ExistingClusterArgs"]
