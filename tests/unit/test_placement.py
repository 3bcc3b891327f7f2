from __future__ import annotations

from components.core.cluster import ClusterSpec
from components.capacity.stack import check_models
from components.core.placement import cache_access_mode
from components.core.validation import parse
from components.core.model import ModelSpec

CLUSTER = parse(ClusterSpec, {
    "pools": [{"name": "cpu"}, {"name": "a10g", "gpu": "A10G", "gpusPerNode": 1, "maxNodes": 3}],
    "storageClasses": [
        {"name": "local", "provisioner": "rancher.io/local-path", "accessModes": ["ReadWriteOnce"]},
        {"name": "nfs", "provisioner": "nfs.csi.k8s.io", "accessModes": ["ReadWriteMany"]},
    ],
})


def spec(**overrides):
    data = {"name": "m", "repo": "Qwen/Qwen2.5-1.5B-Instruct", "revision": "b" * 40, "pool": "a10g",
            "cache": {"storageClass": "nfs", "size": "20Gi"}, "resources": {"cpu": "2", "memory": "16Gi"}}
    data.update(overrides)
    return parse(ModelSpec, data)


def test_access_mode_follows_the_number_of_pods_and_the_class():
    local, nfs = CLUSTER.storage_classes
    assert cache_access_mode(spec(), local) == "ReadWriteOnce"
    assert cache_access_mode(spec(), nfs) == "ReadWriteMany"
    assert cache_access_mode(spec(replicas={"min": 1, "max": 2}), nfs) == "ReadWriteMany"
    assert cache_access_mode(spec(replicas={"min": 1, "max": 2}), local) is None


def test_a_read_only_class_cannot_be_populated():
    read_only = parse(ClusterSpec, {**CLUSTER.model_dump(by_alias=True), "storageClasses": [
        {"name": "rox", "provisioner": "x", "accessModes": ["ReadOnlyMany"]}]})
    [problem] = check_models([spec(cache={"storageClass": "rox", "size": "20Gi"})], read_only)
    assert problem.message == ("class 'rox' supports ReadOnlyMany, but the populate Job writes the cache, which needs "
                               "ReadWriteOnce or ReadWriteMany: add a ReadWriteMany storage class (NFS, EFS, Filestore, Azure Files)")


def test_a_valid_placement_has_no_problems():
    assert check_models([spec(), spec(name="n", servedModelName="n", pool="cpu", cache={"storageClass": "local", "size": "20Gi"})], CLUSTER) == []


def test_rwo_class_for_several_pods_names_the_rwx_alternative():
    [problem] = check_models([spec(replicas={"min": 1, "max": 3}, cache={"storageClass": "local", "size": "20Gi"})], CLUSTER)
    assert problem.path == "models[0].cache.storageClass"
    assert "use a ReadWriteMany class (nfs)" in problem.message


def test_more_gpus_than_a_node_has():
    [problem] = check_models([spec(engine={"tensorParallelSize": 2})], CLUSTER)
    assert problem.path == "models[0].engine.tensorParallelSize"
    assert "nodes of pool 'a10g' have 1 x A10G" in problem.message


def test_tensor_parallel_on_a_cpu_pool():
    [problem] = check_models([spec(pool="cpu", engine={"tensorParallelSize": 2})], CLUSTER)
    assert "has no GPUs" in problem.message


def test_duplicate_served_names():
    problems = check_models([spec(), spec(name="other")], CLUSTER)
    assert [p.path for p in problems] == ["models[1].servedModelName"]


def test_a_class_offering_both_modes_always_gets_read_write_many():
    """A claim's access modes cannot change: they must not follow replicas.max, which users change daily."""
    both = parse(ClusterSpec, {**CLUSTER.model_dump(by_alias=True), "storageClasses": [
        {"name": "efs", "provisioner": "efs.csi.aws.com", "accessModes": ["ReadWriteOnce", "ReadWriteMany"]}]})
    (efs,) = both.storage_classes
    assert {cache_access_mode(spec(replicas={"min": 1, "max": n}), efs) for n in (1, 2, 10)} == {"ReadWriteMany"}
