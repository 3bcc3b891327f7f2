from __future__ import annotations

import pytest

from components.core.cluster import NodePool, Taint
from components.core.errors import ConfigError
from components.core.manifests import vllm
from components.core.model import ModelSpec
from components.core.validation import parse

GPU_POOL = NodePool(name="l40s", gpu="L40S", gpus_per_node=4, max_nodes=2, labels={"pool": "l40s"},
                    taints=[Taint(key="nvidia.com/gpu", value="present")])
CPU_POOL = NodePool(name="cpu")


def model(**overrides) -> ModelSpec:
    """A resolved model, as builders take it (the planner sets the start-up budget the config leaves unset)."""
    data = {
        "name": "m", "repo": "Org/Model-7B", "revision": "a" * 40, "pool": "l40s",
        "cache": {"storageClass": "rwx", "size": "40Gi"}, "resources": {"cpu": "4", "memory": "32Gi"},
        "startupTimeoutSeconds": 900,
    }
    for key, value in overrides.items():
        data[key] = value
    return parse(ModelSpec, data)


def flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_gpu_args_serve_the_cached_revision_with_typed_flags():
    args = vllm.vllm_args(model(engine={"tensorParallelSize": 2, "maxModelLen": 8192, "enablePrefixCaching": False,
                                        "kvCacheDtype": "fp8", "extraArgs": ["--enable-chunked-prefill"]}), GPU_POOL)
    assert args[0] == "/models/Org--Model-7B/" + "a" * 40
    assert flag(args, "--served-model-name") == "Org/Model-7B"
    assert flag(args, "--tensor-parallel-size") == "2"
    assert flag(args, "--gpu-memory-utilization") == "0.9"
    assert flag(args, "--max-model-len") == "8192"
    assert flag(args, "--kv-cache-dtype") == "fp8"
    assert "--no-enable-prefix-caching" in args
    assert args[-1] == "--enable-chunked-prefill"
    assert "--kv-cache-memory-bytes" not in args
    assert "--quantization" not in args


def test_cpu_args_size_the_kv_cache_from_the_pod_not_the_host():
    spec = model(pool="cpu", resources={"cpu": "3", "memory": "8Gi", "shmSize": "1Gi"})
    args = vllm.vllm_args(spec, CPU_POOL)
    assert "--tensor-parallel-size" not in args and "--gpu-memory-utilization" not in args
    assert int(flag(args, "--kv-cache-memory-bytes")) == 2 * 2**30
    env = {e["name"]: e["value"] for e in vllm.vllm_env(spec, CPU_POOL)}
    assert env["OMP_NUM_THREADS"] == "3" and env["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"


def test_gpu_limit_equals_tensor_parallel_size_and_pool_placement_is_derived():
    spec = model(engine={"tensorParallelSize": 4})
    pod = vllm.pod_spec(spec, GPU_POOL, image="img:1", claim="c", service_account="sa")
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 4
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}]
    expressions = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "pool", "operator": "In", "values": ["l40s"]} in expressions
    assert {"key": "nvidia.com/gpu.product", "operator": "In", "values": ["NVIDIA-L40S"]} in expressions


def test_cpu_pool_without_labels_has_no_affinity_or_tolerations():
    pod = vllm.pod_spec(model(pool="cpu"), CPU_POOL, image="img:1", claim="c", service_account="sa")
    assert "affinity" not in pod and "tolerations" not in pod


def test_startup_budget_and_drain_timing():
    spec = model(startupTimeoutSeconds=1205, drainSeconds=200)
    container = vllm.container(spec, GPU_POOL, "img:1")
    assert container["startupProbe"]["failureThreshold"] * container["startupProbe"]["periodSeconds"] >= 1205
    assert int(flag(container["args"], "--shutdown-timeout")) == 200 - 10 - 10


@pytest.mark.parametrize("extra, message", [
    (["--tensor-parallel-size", "2"], "'--tensor-parallel-size' is set by this stack; use engine.tensorParallelSize"),
    (["--disable-log-stats"], "'--disable-log-stats' is set by this stack"),
    (["-tp", "2"], "'-tp' (read by vLLM as --tensor-parallel-size) is set by this stack"),
])
def test_extra_args_cannot_override_managed_flags(extra, message):
    with pytest.raises(ConfigError) as err:
        model(engine={"extraArgs": extra})
    assert message in str(err.value)


@pytest.mark.parametrize("field, value, message", [
    ("revision", "v1.0", "is not a commit SHA"),
    ("repo", "just-a-name", "is not a Hugging Face repo id"),
    ("name", "Bad_Name", "must be a DNS label"),
    ("drainSeconds", 60, "must be >= 120"),
    ("image", "vllm/vllm-openai", "is not pinned"),
])
def test_model_spec_rejects(field, value, message):
    with pytest.raises(ConfigError) as err:
        model(**{field: value})
    assert message in str(err.value)
    assert str(err.value).splitlines()[1].strip().startswith(field)


def test_shm_must_fit_in_memory():
    with pytest.raises(ConfigError, match=r"resources: shmSize \(8Gi\) must be smaller than memory \(8Gi\)"):
        model(resources={"cpu": "1", "memory": "8Gi", "shmSize": "8Gi"})


def test_tensor_parallel_must_be_a_power_of_two():
    with pytest.raises(ConfigError, match=r"engine.tensorParallelSize: must be a power of two"):
        model(engine={"tensorParallelSize": 3})


def test_every_container_of_a_serving_pod_is_guaranteed_qos():
    pod = vllm.pod_spec(model(), GPU_POOL, image="img:1", claim="c", service_account="sa")
    for container in [*pod["initContainers"], *pod["containers"]]:
        assert container["resources"]["requests"] == container["resources"]["limits"], container["name"]


def test_builders_refuse_a_model_that_was_not_planned():
    unresolved = model().model_copy(update={"startup_timeout_seconds": None})
    with pytest.raises(ValueError, match="is not resolved: render from its plan"):
        vllm.deployment(unresolved, GPU_POOL, namespace="ml", labels={}, image="x:1", claim="c", service_account="m")
