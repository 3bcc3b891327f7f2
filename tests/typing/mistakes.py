"""Mistakes a type checker must catch in the public API (tests/unit/test_typing.py expects exactly
these errors, one per marked line): it proves the Args keep their typed signatures."""

from __future__ import annotations

from components.core.cluster import NodePool
from components.core.labels import CostLabels
from components.kubernetes import ServingNamespaceArgs

NodePool(name="a", gpu="L40S", gpus_per_nod=4)  # MISTAKE: misspelt argument
ServingNamespaceArgs(name="llm")  # MISTAKE: cost is required
CostLabels(team=1, environment="dev")  # MISTAKE: team is text
