"""A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics) for tests: is a connection from
one endpoint to another on a port allowed by a set of policies?

A pod is isolated for a direction once any policy selecting it lists that direction in
policyTypes; it then accepts only what some such policy's rules allow. A connection needs both
the source's egress and the destination's ingress to allow it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Optional, Union

NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict = field(default_factory=dict)
    ip: str = "10.1.2.3"


@dataclass(frozen=True)
class External:
    ip: str


Endpoint = Union[Pod, External]


def selects(selector: Optional[dict], labels: dict) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if (op == "In" and (not present or labels[key] not in values)) or (op == "NotIn" and present and labels[key] in values) \
                or (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _peer_matches(peer: dict, endpoint: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        address = ipaddress.ip_address(endpoint.ip)
        block = peer["ipBlock"]
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(c) for c in block.get("except", []))
    if not isinstance(endpoint, Pod):
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], {NAME_LABEL: endpoint.namespace}):
            return False
    elif endpoint.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector"), endpoint.labels)


def _port_matches(ports: Optional[list], port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and ("port" not in p or p["port"] == port) for p in ports)


def _direction_allows(policies: list[dict], pod: Pod, direction: str, peer: Endpoint, port: int, protocol: str) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    applicable = [p for p in policies if p["metadata"]["namespace"] == pod.namespace
                  and selects(p["spec"]["podSelector"], pod.labels) and direction in p["spec"].get("policyTypes", ["Ingress"])]
    if not applicable:
        return True
    for policy in applicable:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(p, peer, pod.namespace) for p in peers)) and \
                    _port_matches(rule.get("ports"), port, protocol):
                return True
    return False


def allowed(policies: list[dict], source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
    if isinstance(source, Pod) and not _direction_allows(policies, source, "Egress", destination, port, protocol):
        return False
    if isinstance(destination, Pod) and not _direction_allows(policies, destination, "Ingress", source, port, protocol):
        return False
    return True
