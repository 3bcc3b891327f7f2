"""The changes users make in daily operation never replace or delete anything that holds data.

Each shipped stack is planned as it is, then with every routine change applied at once (more
replicas, a larger cache, a new model revision, other engine settings, an image bump, a new
tenant and new limits, monitoring switched over, a larger pool), then with the opposite changes.
Every change that the stack's own validation accepts is applied. Between the plans, the providers'
replace-on-change properties (tests/data/replacement/properties.yaml) decide what would be
replaced; no claim, file system, cluster, node group, generated key or fixed-name Secret may be.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest
import yaml

from components.core.errors import ConfigError
from tests.conftest import ALL_STACKS, EXTRA_STACKS, ROOT
from tools.plan import flatten_config, project_name, readable_config
from tools.recorder import record
from tools.replacements import STATEFUL, changes, config_changes, data_losses

Mutation = Callable[[dict], None]
NEW_REVISION = "0123456789abcdef0123456789abcdef01234567"


def _models(config: dict) -> list[dict]:
    return config["llmstack:models"]


def _tenants(config: dict) -> list[dict]:
    return config["llmstack:gateway"]["tenants"]


def _pools(config: dict) -> list[dict]:
    cluster = config["llmstack:cluster"]
    return cluster.get("gpuPools") or cluster.get("pools") or []


def _each_model(change: Callable[[dict], None]) -> Mutation:
    return lambda config: [change(model) for model in _models(config)]


def _monitoring_on(config: dict) -> None:
    config["llmstack:monitoring"] = {"retention": "7d", "storageSize": "20Gi"}


def _monitoring_off(config: dict) -> None:
    config.pop("llmstack:monitoring", None)


def _toggle_monitoring(config: dict) -> None:
    (_monitoring_off if "llmstack:monitoring" in config else _monitoring_on)(config)


GROW: dict[str, Mutation] = {
    "replicas.max + 1": _each_model(lambda m: m.setdefault("replicas", {}).update(max=m.get("replicas", {}).get("max", 1) + 1)),
    "replicas.min + 1": _each_model(lambda m: m["replicas"].update(min=m["replicas"].get("min", 1) + 1)),
    "cache.size + 20Gi": _each_model(lambda m: m["cache"].update(size=f"{int(m['cache']['size'].rstrip('Gi')) + 20}Gi")),
    "new revision": _each_model(lambda m: m.update(revision=NEW_REVISION)),
    "engine settings": _each_model(lambda m: m.setdefault("engine", {}).update(
        gpuMemoryUtilization=0.85, enablePrefixCaching=not m.get("engine", {}).get("enablePrefixCaching", False),
        maxNumSeqs=16, extraArgs=["--enable-chunked-prefill"])),
    "image bump": _each_model(lambda m: m.update(image="vllm/vllm-openai:v0.33.1")),
    "startup budget": _each_model(lambda m: m.update(startupTimeoutSeconds=3000)),
    "resources": _each_model(lambda m: m["resources"].update(cpu=str(int(m["resources"]["cpu"]) + 1))),
    "a new tenant": lambda c: _tenants(c).append({"name": "new-team", "models": ["*"], "requestsPerMinute": 30}),
    "new limits": lambda c: [t.update(requestsPerMinute=t.get("requestsPerMinute", 100) * 2, tokensPerDay=10**7)
                             for t in _tenants(c)],
    "monitoring switched": _toggle_monitoring,
    "gateway settings": lambda c: c["llmstack:gateway"].update(replicas=3, requestTimeoutSeconds=1200),
    "a larger pool": lambda c: [p.update(maxNodes=p.get("maxNodes", 1) + 2) for p in _pools(c)],
}

SHRINK: dict[str, Mutation] = {
    "replicas.max - 1": _each_model(lambda m: m["replicas"].update(max=max(m["replicas"].get("min", 1), m["replicas"]["max"] - 1))),
    "new revision": _each_model(lambda m: m.update(revision=NEW_REVISION)),
    "engine settings": _each_model(lambda m: m.setdefault("engine", {}).update(maxModelLen=2048)),
    "a tenant removed": lambda c: _tenants(c).pop() if len(_tenants(c)) > 1 else None,
    "limits removed": lambda c: [t.pop(k, None) for t in _tenants(c) for k in ("tokensPerMinute", "tokensPerDay")],
    "monitoring switched": _toggle_monitoring,
}


def stack_document(stack: str) -> dict:
    path = EXTRA_STACKS.get(stack, ROOT / f"Pulumi.{stack}.yaml")
    return yaml.safe_load(path.read_text())["config"]


def accepted(config: dict, mutation: Mutation, stack: str) -> bool:
    """Whether the stack's own validation takes the mutated config (a change it refuses is no routine change)."""
    from infra.config import load

    trial = copy.deepcopy(config)
    mutation(trial)
    values, secret_keys = flatten_config(trial, project_name())
    prefix = f"{project_name()}:"
    raw = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}
    try:
        load(raw, {k[len(prefix):] for k in secret_keys}, stack)
    except ConfigError:
        return False
    return True


def planned(config: dict, stack: str) -> dict[str, Any]:
    from infra import program

    values, secret_keys = flatten_config(config, project_name())
    recording = record(program.main, project=project_name(), stack=stack, config=values, secret_keys=secret_keys)
    return {"config": readable_config(values, secret_keys),
            "resources": [{**r.to_json(), "inputs": r.inputs} for r in recording.registrations]}


def apply_routine(config: dict, mutations: dict[str, Mutation], stack: str) -> tuple[dict, list[str]]:
    changed, applied = copy.deepcopy(config), []
    for name, mutation in mutations.items():
        if accepted(changed, mutation, stack):
            mutation(changed)
            applied.append(name)
    return changed, applied


def removed_on_purpose(change, before: dict, after: dict, planned_after: dict) -> bool:
    """Deleting what the change removes (a tenant's key, the monitoring layer, the rate limiter's
    Redis once no tenant has limits) is what was asked for."""
    tenants = {t["name"] for t in before["llmstack:gateway"]["tenants"]} - {t["name"] for t in after["llmstack:gateway"]["tenants"]}
    if any(change.urn.endswith(f"-key-{tenant}") for tenant in tenants):
        return True
    if "-redis-" in change.urn and not any("-redis" in r["urn"] for r in planned_after["resources"]):
        return True
    return "llmstack:monitoring" not in after and "llmstack:kubernetes:Monitoring" in change.urn


@pytest.fixture(scope="module")
def baselines() -> dict[str, tuple[dict, dict]]:
    return {stack: (stack_document(stack), planned(stack_document(stack), stack)) for stack in ALL_STACKS}


@pytest.mark.parametrize("direction", ["grow", "shrink"])
@pytest.mark.parametrize("stack", ALL_STACKS)
def test_routine_changes_lose_no_data(baselines, stack, direction):
    config, before = baselines[stack]
    changed, applied = apply_routine(config, GROW if direction == "grow" else SHRINK, stack)
    assert len(applied) >= 4, f"too few routine changes apply to {stack}: {applied}"
    after = planned(changed, stack)
    lost = [c for c in data_losses(before["resources"], after["resources"]) if not removed_on_purpose(c, config, changed, after)]
    assert not lost, (f"routine changes ({', '.join(applied)}) to {stack} would lose data:\n"
                      + "\n".join(map(str, lost)) + f"\nconfig changes: {config_changes(before['config'], after['config'])}")
    assert changes(before["resources"], after["resources"]) or applied == [], "the plans differ: the comparison must see it"


def test_raising_replicas_keeps_the_claim_of_a_class_with_both_modes():
    """One replica from EFS, which offers ReadWriteOnce and ReadWriteMany, then two."""
    single = stack_document("eks-adopt")
    _models(single)[0]["replicas"] = {"min": 1, "max": 1}
    before = planned(single, "eks-adopt")
    changed = copy.deepcopy(single)
    _models(changed)[0]["replicas"]["max"] = 2
    after = planned(changed, "eks-adopt")
    claims = [r for r in after["resources"] if r["type"] == "kubernetes:core/v1:PersistentVolumeClaim"]
    assert [c["inputs"]["spec"]["accessModes"] for c in claims] == [["ReadWriteMany"]]
    assert data_losses(before["resources"], after["resources"]) == []


def test_every_secret_is_replaced_by_creating_its_successor_first(baselines):
    """A Secret's data is secret, so a plan cannot show which change alters it (a new tenant's key, a
    rotated token); every change of it replaces it. So every Secret must be auto-named: the new one is
    created and its readers switched before the old one is deleted, never a moment without keys."""
    for stack, (_, plan) in baselines.items():
        secrets = [r for r in plan["resources"] if r["type"] == "kubernetes:core/v1:Secret"]
        assert secrets, stack
        fixed = [r["name"] for r in secrets if not r.get("autonamed")]
        assert not fixed, f"{stack}: Secrets with a fixed name are deleted before they are re-created: {fixed}"


def test_the_detector_sees_what_a_routine_change_used_to_replace():
    """A guard: a fixed-name Secret or a claim whose access mode flips is reported, with the property."""
    claim = {"urn": "u1", "type": "kubernetes:core/v1:PersistentVolumeClaim", "name": "c",
             "inputs": {"metadata": {"name": "c"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}}}
    grown = copy.deepcopy(claim)
    grown["inputs"]["spec"]["resources"]["requests"]["storage"] = "50Gi"
    assert data_losses([claim], [grown]) == [], "a larger claim is resized in place"
    flipped = copy.deepcopy(claim)
    flipped["inputs"]["spec"]["accessModes"] = ["ReadWriteMany"]
    (loss,) = data_losses([claim], [flipped])
    assert loss.properties == ("spec.accessModes",)
    secret = {"urn": "u2", "type": "kubernetes:core/v1:Secret", "name": "s",
              "inputs": {"metadata": {"name": "keys"}, "stringData": {"a": "[secret]"}}}
    more = copy.deepcopy(secret)
    more["inputs"]["stringData"]["b"] = "[secret]"
    assert [c.action for c in data_losses([secret], [more])] == ["replace"]
    assert data_losses([{**secret, "autonamed": True}], [{**more, "autonamed": True}]) == []
    assert [c.action for c in data_losses([claim], [])] == ["delete"]


def test_every_stateful_type_is_in_the_replacement_catalog():
    from tools.replacements import replace_on

    assert set(STATEFUL) <= set(replace_on()), "a stateful type without replace-on-change facts would never be reported"


def test_gke_pools_and_cache_keep_their_nodes_and_data_through_routine_changes_and_report_the_rest():
    """On GKE: a larger pool, a new minimum, more zones for a pool, reordered cluster zones and a larger
    Filestore instance are updates; a pool that turns spot (nodeConfig.spot) or changes its GPU count is replaced, and said so."""
    base = stack_document("prod-gke")
    before = planned(base, "prod-gke")
    routine = copy.deepcopy(base)
    cluster = routine["llmstack:cluster"]
    cluster["gpuPools"][0].update(minNodes=2, maxNodes=9)
    cluster["gpuPools"][1]["zones"] = ["us-central1-a", "us-central1-b"]
    cluster["storage"]["filestore"]["capacityGib"] = 4096
    cluster["zones"] = ["us-central1-c", "us-central1-b", "us-central1-a"]   # the Filestore zone is pinned
    after = planned(routine, "prod-gke")
    assert data_losses(before["resources"], after["resources"]) == []
    by_name = {r["name"]: r["inputs"] for r in after["resources"]}
    assert by_name["gcp-gke-l4"]["autoscaling"]["totalMaxNodeCount"] == 9, "the change reached the plan"
    assert by_name["gcp-storage-models"]["fileShares"]["capacityGb"] == 4096
    two_gpus = copy.deepcopy(base)
    two_gpus["llmstack:cluster"]["gpuPools"][0]["machineType"] = "g2-standard-24"
    (replaced,) = data_losses(before["resources"], planned(two_gpus, "prod-gke")["resources"])
    assert (replaced.type, replaced.action, replaced.properties) == (
        "gcp:container/nodePool:NodePool", "replace", ("nodeConfig.guestAccelerators.count",))
    spot = copy.deepcopy(base)
    spot["llmstack:cluster"]["gpuPools"][0]["capacityType"] = "spot"
    (deleted,) = data_losses(before["resources"], planned(spot, "prod-gke")["resources"])
    assert (deleted.name, deleted.action) == ("gcp-gke-l4", "delete"), "the pool becomes l4-spot"
    moved = copy.deepcopy(base)
    moved["llmstack:cluster"]["network"] = {"controlPlaneCidr": "172.16.1.0/28"}
    (cluster,) = data_losses(before["resources"], planned(moved, "prod-gke")["resources"])
    assert cluster.properties == ("privateClusterConfig.masterIpv4CidrBlock",)


def test_aks_pools_and_cache_keep_their_nodes_and_data_through_routine_changes_and_report_the_rest():
    """On AKS: a larger pool, a new minimum and a larger share are updates; a pool's new GPU size,
    spot priority or zones replace the agent pool (the last two by the pool's own replaceOnChanges:
    AKS cannot change them in place), and the plan says so."""
    base = stack_document("prod-aks")
    before = planned(base, "prod-aks")
    routine = copy.deepcopy(base)
    cluster = routine["llmstack:cluster"]
    cluster["gpuPools"][0].update(minNodes=2, maxNodes=9)
    cluster["storage"]["files"]["shareGib"] = 2048
    after = planned(routine, "prod-aks")
    assert data_losses(before["resources"], after["resources"]) == []
    by_name = {r["name"]: r["inputs"] for r in after["resources"]}
    assert by_name["azure-aks-a100"]["maxCount"] == 9 and by_name["azure-storage-models-share"]["shareQuota"] == 2048
    bigger = copy.deepcopy(base)
    bigger["llmstack:cluster"]["gpuPools"][0]["vmSize"] = "Standard_NC48ads_A100_v4"
    (replaced,) = data_losses(before["resources"], planned(bigger, "prod-aks")["resources"])
    assert (replaced.name, replaced.action, replaced.properties) == ("azure-aks-a100", "replace", ("vmSize",))
    zoned = copy.deepcopy(base)
    zoned["llmstack:cluster"]["availabilityZones"] = ["1", "2"]
    lost = data_losses(before["resources"], planned(zoned, "prod-aks")["resources"])
    assert {(c.name, c.properties) for c in lost} >= {("azure-aks-a100", ("availabilityZones",))}
