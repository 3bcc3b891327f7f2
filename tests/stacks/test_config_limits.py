"""Configs that a real cluster, cloud or controller would refuse at deploy time are refused at
preview instead: each with one line naming the config path, the limit and the fix. In-process
through the program's own loader (the subprocess path is covered by test_config_errors)."""

from __future__ import annotations

import copy

import pytest
import yaml

from components.core.errors import ConfigError
from tests.conftest import EXTRA_STACKS, ROOT
from tests.stacks.test_config_errors import broken_stack
from tests.stacks.test_config_errors import fail_in_process as problems
from tools.plan import load_config

EXISTING_GPU = EXTRA_STACKS["existing-gpu"]
DEV = ROOT / "Pulumi.dev.yaml"


def model(config, index=0) -> dict:
    return config["llmstack:models"][index]


def pools(config) -> list:
    return config["llmstack:cluster"]["gpuPools"]


@pytest.mark.parametrize("namespace", ["monitoring", "cert-manager", "envoy-gateway-system", "keda", "gpu-operator",
                                       "kube-system", "default", "kube-public", "kube-node-lease"])
def test_the_serving_namespace_cannot_be_one_the_platform_or_kubernetes_uses(tmp_path, namespace):
    (line,) = problems(tmp_path, lambda c: c.update({"llmstack:serving": {"namespace": namespace}}))
    assert line.startswith(f"serving.namespace: '{namespace}' is a namespace Kubernetes or this stack's platform uses")


@pytest.mark.parametrize("value", [True, False])
def test_true_or_false_is_not_a_number(tmp_path, value):
    assert problems(tmp_path, lambda c: model(c)["replicas"].update(max=value)) == [
        f"models[0].replicas.max: must be a number, not {str(value).lower()}"]
    assert problems(tmp_path, lambda c: model(c)["engine"].update(maxNumSeqs=value)) == [
        f"models[0].engine.maxNumSeqs: must be a number, not {str(value).lower()}"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: model(c)["replicas"].update(max=10**6),
     "models[0].replicas.max: Input should be less than or equal to 1000"),
    (lambda c: model(c).update(startupTimeoutSeconds=2**31),
     "models[0].startupTimeoutSeconds: Input should be less than or equal to 21600"),
    (lambda c: model(c)["engine"].update(maxNumBatchedTokens=2**40),
     "models[0].engine.maxNumBatchedTokens: must be at most 2,147,483,647 (the largest integer Kubernetes takes)"),
    (lambda c: model(c)["cache"].update(populateTimeoutSeconds=10**9),
     "models[0].cache.populateTimeoutSeconds: Input should be less than or equal to 86400"),
    (lambda c: model(c).update(drainSeconds=10**7),
     "models[0].drainSeconds: Input should be less than or equal to 3600"),
])
def test_integers_have_upper_bounds(tmp_path, mutate, expected):
    assert problems(tmp_path, mutate) == [expected]


@pytest.mark.parametrize("arg, read_as", [
    ("--tensor_parallel_size=8", "--tensor-parallel-size"),
    ("--tensor-parallel", "--tensor-parallel-size"),
    ("-tp", "--tensor-parallel-size"),
    ("--max_model_len=1024", "--max-model-len"),
])
def test_extra_args_cannot_reset_a_managed_flag_under_another_spelling(tmp_path, arg, read_as):
    (line,) = problems(tmp_path, lambda c: model(c)["engine"].update(extraArgs=[arg]))
    assert line.startswith(f"models[0].engine.extraArgs: '{arg}' (read by vLLM as {read_as}) is set by this stack")


@pytest.mark.parametrize("arg", ["--api-key=abc", "--pipeline-parallel-size=2", "-pp", "--data_parallel_size=2",
                                 "--ssl-keyfile=/k.pem", "--uds=/tmp/s"])
def test_extra_args_that_break_serving_are_refused(tmp_path, arg):
    (line,) = problems(tmp_path, lambda c: model(c)["engine"].update(extraArgs=[arg]))
    assert line.startswith(f"models[0].engine.extraArgs: '{arg}'") and "cannot be used: " in line


def test_extra_args_that_are_harmless_pass(tmp_path):
    path = broken_stack(tmp_path, lambda c: model(c)["engine"].update(
        extraArgs=["--enable-chunked-prefill", "--seed", "-1", "--model-impl=vllm"]))
    assert load_config("ok", path).models[0].engine.extra_args[1:3] == ["--seed", "-1"]


@pytest.mark.parametrize("repo, method, fits", [
    ("Qwen/Qwen3-8B", "awq", False),           # an unquantized checkpoint has no AWQ weights
    ("Qwen/Qwen3-8B", "fp8", True),            # quantized while loading
    ("Qwen/Qwen2.5-72B-Instruct-AWQ", "gptq", False),
    ("Qwen/Qwen2.5-72B-Instruct-AWQ", "awq_marlin", True),
])
def test_quantization_must_read_the_checkpoint(tmp_path, repo, method, fits):
    def mutate(config):
        model(config).update(repo=repo, replicas={"min": 1, "max": 1})
        model(config)["engine"].update(quantization=method, tensorParallelSize=4, maxModelLen=8192)
        model(config)["cache"].update(size="200Gi")

    if fits:
        load_config("ok", broken_stack(tmp_path, mutate))
        return
    (line,) = problems(tmp_path, mutate)
    assert line.startswith(f"models[0].engine.quantization: '{method}' cannot read {repo}, whose checkpoint is ")


@pytest.mark.parametrize("size", ["0", "1Gi", "17Gi"])
def test_the_cache_must_hold_the_weights(tmp_path, size):
    (line,) = problems(tmp_path, lambda c: model(c)["cache"].update(size=size))
    assert line.startswith(f"models[0].cache.size: {size} cannot hold Qwen/Qwen3-8B: its weights are 15.3 GiB")
    assert "Use size: 19Gi or more" in line


def test_a_cache_just_large_enough_passes(tmp_path):
    load_config("ok", broken_stack(tmp_path, lambda c: model(c)["cache"].update(size="19Gi")))


def test_a_context_longer_than_the_model_takes_fails_on_cpu_pools_too(tmp_path):
    (line,) = problems(tmp_path, lambda c: model(c)["engine"].update(maxModelLen=10**6), DEV)
    assert line.startswith("models[0].engine.maxModelLen: 1,000,000 tokens, but Qwen/Qwen2.5-0.5B-Instruct takes at most 32,768")


@pytest.mark.parametrize("key, value, what", [
    ("key", "nvidia gpu", "taint key"), ("key", "", "taint key"), ("value", "yes!", "taint value"),
    ("value", "x" * 64, "taint value"),
])
def test_taints_follow_kubernetes_syntax(tmp_path, key, value, what):
    def mutate(config):
        config["llmstack:cluster"]["pools"][1]["taints"][0][key] = value

    (line,) = problems(tmp_path, mutate, EXISTING_GPU)
    assert line.startswith(f"cluster.pools[1].taints[0].{key}: '{value}' is not a valid {what}")


@pytest.mark.parametrize("mutate, path", [
    (lambda c: model(c)["resources"].update(cpu="64"), "models[0].resources.cpu: 64 per pod, but a node of pool 'l40s' offers pods at most 47810m"),
    (lambda c: model(c)["resources"].update(memory="1000Gi"), "models[0].resources.memory: 1000Gi per pod, but a node of pool 'l40s' offers pods at most 360157Mi"),
])
def test_a_pod_larger_than_a_node_offers_fails(tmp_path, mutate, path):
    (line,) = problems(tmp_path, mutate)
    assert line.startswith(path)


def test_cpu_that_limits_pods_per_node_limits_replicas(tmp_path):
    # 30 CPUs per pod: one pod per g6e.12xlarge (47.8 CPUs) although it has 4 GPUs.
    (line,) = problems(tmp_path, lambda c: model(c)["resources"].update(cpu="30"))
    assert line.startswith("models[0].replicas.max: 8 pods, but a node of pool 'l40s' holds 1 of them by CPU and memory")
    assert "lower replicas.max to 4, raise maxNodes to 8" in line


def test_gpu_demand_is_summed_over_the_models_of_a_pool(tmp_path):
    def mutate(config):
        first = model(config)
        first["replicas"] = {"min": 1, "max": 10}
        second = {**copy.deepcopy(first), "name": "second", "servedModelName": "second"}
        config["llmstack:models"].append(second)
        pools(config)[0]["maxNodes"] = 4  # 16 GPUs; each model alone fits, both need 20

    (line,) = problems(tmp_path, mutate)
    assert line.startswith("models[3].replicas.max: the models on pool 'l40s' need 21 of GPUs at their replicas.max "
                           "(models[0] 10, models[2] 1, models[3] 10), but the pool has at most 16 at maxNodes 4")


def test_a_full_pool_rolls_one_pod_at_a_time(tmp_path):
    from components.core.placement import surge_rollouts

    # 15 pods of qwen3-8b and the one of qwen3-8b-fp8 fill l40s' 16 GPUs.
    config = load_config("ok", broken_stack(tmp_path, lambda c: model(c)["replicas"].update(max=15)))
    surge = surge_rollouts(config.models, config.cluster.contract())
    assert surge == {"qwen3-8b": False, "qwen-coder-32b": True, "qwen3-8b-fp8": False}
    prod = load_config("prod")
    assert surge_rollouts(prod.models, prod.cluster.contract()) == {"qwen3-8b": True, "qwen-coder-32b": True,
                                                                   "qwen3-8b-fp8": True}


def test_node_group_names_fit_the_aws_limit(tmp_path):
    name = "a" * 27  # 27 + "-on-demand" + "-" = 38 > 37
    (line,) = problems(tmp_path, lambda c: pools(c)[1].update(name=name))
    assert line.startswith(f"cluster.gpuPools[1].name: '{name}' makes the node group name prefix '{name}-on-demand-' "
                           "(38 characters), but AWS allows 37")
    assert line.endswith("use a pool name of at most 26 characters")


def test_a_pool_name_at_the_limit_passes(tmp_path):
    def mutate(config):
        pools(config)[1]["name"] = "a" * 26
        model(config, 1)["pool"] = "a" * 26

    load_config("ok", broken_stack(tmp_path, mutate))


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: model(c).update(servedModelName='qwen"}) or vector(1'),
     "models[0].servedModelName: 'qwen\"}) or vector(1' cannot be a served model name"),
    (lambda c: model(c).update(servedModelName="q" * 201), "models[0].servedModelName: '" + "q" * 201 + "' cannot be"),
    (lambda c: model(c).update(image="repo@sha256:abc"), "models[0].image: 'repo@sha256:abc' is not an image reference"),
    (lambda c: model(c).update(image="VLLM/vllm-openai:v1"), "models[0].image: 'VLLM/vllm-openai:v1' is not an image reference"),
    (lambda c: model(c).update(image="vllm/vllm-openai:v1 "), "models[0].image: 'vllm/vllm-openai:v1 ' is not an image reference"),
    (lambda c: model(c)["cache"].update(storageClass="EFS_models"), "models[0].cache.storageClass: 'EFS_models' is not a Kubernetes object name"),
    (lambda c: c["llmstack:monitoring"].update(storageClass="fast-ssd"),
     "monitoring.storageClass: no storage class 'fast-ssd'; classes: efs-models, gp3 (or leave it unset for the cluster default)"),
])
def test_names_a_controller_would_refuse(tmp_path, mutate, expected):
    (line,) = problems(tmp_path, mutate)
    assert line.startswith(expected), line


def test_digest_and_registry_images_pass(tmp_path):
    image = "registry.example.com:5000/ml/vllm-openai:v0.33.0@sha256:" + "a" * 64
    assert load_config("ok", broken_stack(tmp_path, lambda c: model(c).update(image=image))).models[0].image == image


def test_a_secret_on_a_key_that_is_not_secret_is_refused_and_never_shown(tmp_path):
    def mutate(config):
        config["llmstack:team"] = {"secure": "v1:AAAAencrypted"}

    (line,) = problems(tmp_path, mutate)
    assert line.startswith("team: is set as a secret, but only alertingSecrets, cloudflareApiToken, grafanaAdminPassword, hfToken are kept secret")
    assert "offline-plan-placeholder-secret" not in line


def test_a_newline_in_a_value_stays_on_its_problems_line(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config("broken", broken_stack(tmp_path, lambda c: model(c).update(repo="Qwen/\nQwen3-8B")))
    rendered = raised.value.render().splitlines()
    assert len(rendered) == 1 + len(raised.value.problems) == 2
    assert rendered[1].startswith("  models[0].repo: 'Qwen/\\nQwen3-8B' is not a Hugging Face repo id")


def test_a_broken_yaml_file_names_line_and_column(tmp_path):
    from tools.plan import stack_config

    path = tmp_path / "Pulumi.tabs.yaml"
    path.write_text("config:\n  llmstack:team: x\n\tllmstack:models: []\n")
    with pytest.raises(ConfigError) as raised:
        stack_config("tabs", path=path)
    assert str(raised.value.problems[0]).startswith("Pulumi.tabs.yaml:3:1: not valid YAML: ")
    assert str(raised.value.problems[0]).endswith("indent with spaces, not tabs")
    path.write_text(yaml.safe_dump(["not", "a", "mapping"]))
    with pytest.raises(ConfigError):
        stack_config("tabs", path=path)


def test_an_existing_cluster_that_declares_its_nodes_gets_the_same_fit_checks(tmp_path):
    """The same code checks pods against a node on EKS (from the instance catalog) and on an existing
    cluster (from the pool's declared allocatable): one pod, and a pool's models together."""
    def declared(config, cpu="47", memory="360Gi"):
        config["llmstack:cluster"]["pools"][1].update(allocatableCpu=cpu, allocatableMemory=memory)

    (line,) = problems(tmp_path, lambda c: (declared(c), model(c)["resources"].update(cpu="64")), EXISTING_GPU)
    assert line.startswith("models[0].resources.cpu: 64 per pod, but a node of pool 'l40s' offers pods at most 47")
    (line,) = problems(tmp_path, lambda c: (declared(c, cpu="20"), model(c).update(replicas={"min": 1, "max": 8}),
                                            model(c)["resources"].update(cpu="16")), EXISTING_GPU)
    assert line.startswith("models[0].replicas.max: 8 pods, but a node of pool 'l40s' holds 1 of them by CPU and memory")
    load_config("ok", broken_stack(tmp_path, declared, EXISTING_GPU))


def test_capacity_options_name_machines_only_of_the_platform_in_use(tmp_path):
    """A model that needs more GPUs per node than its pool's one: EKS suggests an instance type of its
    catalog; an existing cluster, which has no catalog, suggests none (never an AWS type)."""
    def big(config):
        model(config).update(repo="Qwen/Qwen2.5-72B-Instruct", replicas={"min": 1, "max": 1})
        model(config)["engine"].update(maxModelLen=8192)
        model(config)["cache"].update(size="300Gi")

    def one_gpu_nodes(config):
        big(config)
        pools(config)[0]["instanceType"] = "g6e.xlarge"

    def one_gpu_pool(config):
        big(config)
        config["llmstack:cluster"]["pools"][1]["gpusPerNode"] = 1

    (eks,) = problems(tmp_path, one_gpu_nodes)
    assert "engine.tensorParallelSize: 4 on a pool with 4 x L40S per node, e.g. g6e.12xlarge" in eks
    (existing,) = problems(tmp_path, one_gpu_pool, EXISTING_GPU)
    assert "engine.tensorParallelSize: 4 on a pool with 4 x L40S per node" in existing
    assert "e.g." not in existing


def test_the_plan_holds_each_pools_demand_at_min_and_max():
    from decimal import Decimal

    from tools.plan import load_stack

    pools = {pool.pool: pool for pool in load_stack("prod").plan.pools}
    # qwen3-8b: 2..8 pods and qwen3-8b-fp8: 0..1 pod, each of 1 GPU, 8 CPU, 48Gi, on 4 x g6e.12xlarge
    l40s = pools["l40s"]
    assert (l40s.at_min["GPUs"], l40s.at_max["GPUs"], l40s.capacity["GPUs"]) == (2, 9, 16)
    assert (l40s.at_min["cpu"], l40s.at_max["cpu"]) == (16, 72)
    assert l40s.capacity["cpu"] == 4 * Decimal("47.81")
    assert l40s.at_max["memory"] == 9 * 48 * 2**30
    assert {name for name, pool in pools.items() if pool.models} == {"l40s", "h100"}
    system = pools["system"]  # no models, but its minNodes run (and cost) whatever the models ask
    assert (system.models, system.at_max["cpu"], system.nodes("min"), system.nodes("max")) == (0, 0, 2, 2)


def test_the_stack_cost_counts_the_nodes_every_pool_keeps_running():
    from components.aws import prices
    from tools.plan import cost_summary, load_stack

    pools = load_stack("prod").plan.pools
    lines = cost_summary(pools)
    system = prices.on_demand("us-east-2", "m7i.xlarge")[0] * 2 * 730
    assert f"  pool system: 2..2 nodes (no models: the nodes it keeps running, minNodes), on-demand ${system:,.0f}..${system:,.0f}" in lines
    def total(at):  # a spot pool at its spot price (prod's h100), the others on demand
        return sum(p.monthly_usd(at, spot=p.spot) for p in pools)

    assert lines[-1].endswith(f"${total('min'):,.0f}..${total('max'):,.0f}")


def test_plain_numbers_are_quantities_as_kubernetes_takes_them(tmp_path):
    config = load_config("ok", broken_stack(tmp_path, lambda c: model(c)["resources"].update(cpu=8, memory="48Gi")))
    assert config.models[0].resources.cpu == "8"


@pytest.mark.parametrize("mutate, path, number", [
    (lambda c: c["llmstack:cluster"].update(kubernetesVersion=1.30), "cluster.kubernetesVersion", "1.3"),
    (lambda c: model(c).update(revision=0o123456), "models[0].revision", "42798"),
    (lambda c: model(c).update(servedModelName=5), "models[0].servedModelName", "5"),
])
def test_a_number_where_text_is_meant_says_how_to_quote_it(tmp_path, mutate, path, number):
    (line,) = problems(tmp_path, mutate)
    assert line.startswith(f"{path}: must be text, but YAML read it as the number {number} (")
    assert "write it in quotes as you mean it" in line


def test_replicas_that_nothing_can_scale_are_warned_at_preview(tmp_path):
    from tools.plan import load_stack

    quiet = load_stack("prod").plan.models["qwen3-8b"]
    assert not [w for w in quiet.warnings if "no autoscaler" in w], "prod has monitoring: KEDA scales it"
    def without_monitoring(config):
        config.pop("llmstack:monitoring")
        config["llmstack:models"].pop()  # qwen3-8b-fp8 rests at zero, which needs KEDA: refused without it

    plan = load_stack("ok", broken_stack(tmp_path, without_monitoring)).plan.models["qwen3-8b"]
    assert ("replicas.max 8 > replicas.min 2, but with monitoring off no autoscaler exists: the model stays at 2 "
            "replica(s)") in " ".join(plan.warnings)


def test_the_plan_states_what_the_models_nodes_cost_a_month(tmp_path):
    from tools.plan import cost_summary, load_stack

    def priced(config):
        config["llmstack:cluster"]["pools"][1].update(pricePerNodeHour=10.0)  # l40s: qwen3-8b, 2..8 pods of 1 GPU

    pools = {pool.pool: pool for pool in load_stack("ok", broken_stack(tmp_path, priced, EXISTING_GPU)).plan.pools}
    l40s = pools["l40s"]
    assert (l40s.nodes("min"), l40s.nodes("max")) == (1, 2)  # 4 GPUs a node
    assert (l40s.monthly_usd("min"), l40s.monthly_usd("max")) == (7300.0, 14600.0)
    assert pools["h100"].monthly_usd("max") is None
    lines = cost_summary(list(pools.values()))
    assert "  pool l40s: 1..2 nodes, on-demand $7,300..$14,600" in lines
    assert lines[-1].endswith("unknown..unknown"), "one pool without a price makes the stack's cost unknown"


def test_prod_states_its_monthly_cost_from_the_ec2_price_catalog():
    from components.aws import prices
    from components.aws.instance_types import INSTANCE_TYPES
    from tools.plan import capacity_summary, load_stack

    for table in (prices.ON_DEMAND_USD_PER_HOUR, prices.SKYPILOT_ON_DEMAND, prices.SPOT_USD_PER_HOUR):
        assert all(set(by_type) <= set(INSTANCE_TYPES) for by_type in table.values())
    summary = capacity_summary(load_stack("prod"))
    # us-east-2: g6e.12xlarge at $10.49264/h, 1..3 nodes for qwen3-8b's 2..8 one-GPU pods and qwen3-8b-fp8's
    # 0..1; p5.48xlarge at $55.04/h on demand and, on spot, the median of us-east-2's three zones (11.2543,
    # 11.5616, 11.9912).
    assert "  pool l40s: 1..3 nodes, on-demand $7,660..$22,979" in summary
    assert prices.spot("us-east-2", "p5.48xlarge") == 11.5616
    assert f"  pool h100: 1..1 nodes, spot ${11.5616 * 730:,.0f}..${11.5616 * 730:,.0f}, on-demand $40,179..$40,179" in summary
    assert "price of h100 (p5.48xlarge) on spot: EC2 spot in us-east-2, the median of its zones" in summary
    assert "(an undated snapshot)" in summary


def test_a_region_without_its_own_price_says_whose_it_shows():
    from components.aws import prices

    price, note = prices.on_demand("eu-west-1", "p5.48xlarge")
    assert price == prices.ON_DEMAND_USD_PER_HOUR["us-east-1"]["p5.48xlarge"]
    assert note.endswith("(us-east-1's: the catalog has no eu-west-1 price for it)")
    assert prices.spot("us-east-1", "p5.4xlarge") is None, "the catalog has no spot price for it"


def test_a_pool_that_says_nothing_of_its_nodes_has_an_unknown_node_count():
    from tools.plan import cost_summary, load_stack

    (cpu,) = load_stack("dev").plan.pools
    assert cpu.nodes("max") is None and cpu.monthly_usd("max") is None
    assert "  pool cpu: ?..? nodes, on-demand unknown..unknown" in cost_summary([cpu])


@pytest.mark.parametrize("arg, read_as, key", [
    ("--disable-prefix-caching", None, "engine.enablePrefixCaching"),          # the same option, negated
    ("--device-memory-utilization=0.5", None, "engine.gpuMemoryUtilization"),  # a second name of it
    ("--no-enable-prefix-caching", None, "engine.enablePrefixCaching"),
    ("--max-num-seq=4", "--max-num-seqs", "engine.maxNumSeqs"),                # an abbreviation
])
def test_a_managed_option_is_refused_under_every_name_vllm_gives_it(tmp_path, arg, read_as, key):
    (line,) = problems(tmp_path, lambda c: model(c)["engine"].update(extraArgs=[arg]))
    written = f" (read by vLLM as {read_as})" if read_as else ""
    assert line == f"models[0].engine.extraArgs: '{arg}'{written} is set by this stack; use {key} instead"


@pytest.mark.parametrize("args, expected", [
    (["--enable-chunkd-prefill"], "models[0].engine.extraArgs[0]: '--enable-chunkd-prefill' is not an option of `vllm serve` "
                                  "in vLLM 0.33.0; did you mean --enable-chunked-prefill?: vLLM would exit at start"),
    (["--seed", "1", "--speculative_confg={}"], "models[0].engine.extraArgs[2]: '--speculative_confg={}' is not an option of "
                                                "`vllm serve` in vLLM 0.33.0; did you mean --speculative-config?: vLLM would exit at start"),
    (["--enable"], "models[0].engine.extraArgs[0]: '--enable' is ambiguous to vLLM 0.33.0 (it begins"),
])
def test_a_flag_the_pinned_vllm_does_not_know_is_refused(tmp_path, args, expected):
    (line,) = problems(tmp_path, lambda c: model(c)["engine"].update(extraArgs=args))
    assert line.startswith(expected)


def test_with_another_image_an_unknown_flag_is_a_warning(tmp_path):
    from tools.plan import load_stack

    path = broken_stack(tmp_path, lambda c: model(c).update(
        image="vllm/vllm-openai:v0.34.0", engine={**model(c)["engine"], "extraArgs": ["--new-in-0-34"]}))
    stack = load_stack("ok", path)
    (warning,) = [w for w in stack.plan.models[stack.config.models[0].name].warnings if "extraArgs" in w]
    assert warning.startswith("engine.extraArgs[0]: '--new-in-0-34' is not an option of `vllm serve` in vLLM 0.33.0")
    assert "ignore this" in warning


def test_every_option_of_the_pinned_vllm_that_the_stack_leaves_free_passes():
    from components.core.catalog import vllm

    free = [flag for flag in vllm.SERVE_FLAGS if vllm.flag_problem(flag) is None]
    assert len(free) > 350
    assert [flag for flag in free if vllm.unknown_flag(flag)] == []
    assert [alias for alias in vllm.SHORT_FLAGS if vllm.unknown_flag(alias)] == []


@pytest.mark.parametrize("repo, token, warned", [
    ("meta-llama/Llama-3.2-1B-Instruct", False, True),
    ("meta-llama/Llama-3.2-1B-Instruct", True, False),
    ("Qwen/Qwen2.5-0.5B-Instruct", False, False),
])
def test_a_gated_model_without_a_token_is_warned(tmp_path, repo, token, warned):
    from tools.plan import load_stack

    def mutate(config):
        model(config).update(repo=repo)
        model(config)["cache"]["size"] = "10Gi"

    path = broken_stack(tmp_path, mutate)
    if token:
        document = yaml.safe_load(path.read_text())
        document["config"]["llmstack:hfToken"] = {"secure": "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB"}
        path.write_text(yaml.safe_dump(document))
    stack = load_stack("ok", path)
    warnings = stack.plan.models[stack.config.models[0].name].warnings
    gated = [w for w in warnings if "gated repo" in w]
    assert bool(gated) == warned, warnings
    if warned:
        assert gated[0].startswith(f"{repo} is a gated repo on Hugging Face (every meta-llama repo: accept the Llama licence")
        assert "`pulumi config set --secret hfToken hf_...`" in gated[0]
