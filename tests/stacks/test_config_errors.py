"""A broken stack config fails the offline plan (and `pulumi preview`, through the same loader)
with one line per problem naming its config path, no traceback, and no plan written."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXTRA_STACKS, ROOT, run_plan

EXISTING_GPU = EXTRA_STACKS["existing-gpu"]


def broken_stack(tmp_path: Path, mutate, base: Path = ROOT / "Pulumi.prod.yaml") -> Path:
    document = yaml.safe_load(base.read_text())
    config = copy.deepcopy(document["config"])
    mutate(config)
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def fail(tmp_path: Path, mutate, base: Path = ROOT / "Pulumi.prod.yaml") -> list[str]:
    out = tmp_path / "out"
    proc = run_plan("broken", out, broken_stack(tmp_path, mutate, base))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "a failed plan must not leave a plan behind"
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("stack broken: invalid configuration")
    return [line.strip() for line in lines[1:]]


def fail_in_process(tmp_path: Path, mutate, base: Path = ROOT / "Pulumi.prod.yaml") -> list[str]:
    """The same loader the plan subprocess runs (that path is covered by the tests that call `fail`)."""
    from components.core.errors import ConfigError
    from tools.plan import load_config

    with pytest.raises(ConfigError) as raised:
        load_config("broken", broken_stack(tmp_path, mutate, base))
    return [str(problem) for problem in raised.value.problems]


def test_the_issue_examples_fail_with_one_line_each(tmp_path):
    def mutate(config):
        models = config["llmstack:models"]
        models.append({**copy.deepcopy(models[1]), "name": "third", "servedModelName": "third"})
        models[0]["replicas"] = {"min": "two", "max": 3}          # wrong type
        models[0]["engine"]["maxModelLenght"] = 4096               # unknown key
        models[1]["cache"]["storageClass"] = "gp3"                 # RWO class, several replicas
        models[1]["replicas"] = {"min": 3, "max": 3}
        del models[2]["revision"]                                  # missing revision

    assert fail(tmp_path, mutate) == [
        "models[0].replicas.min: Input should be a valid integer, unable to parse string as an integer (got 'two')",
        "models[0].engine.maxModelLenght: unknown key; did you mean 'maxModelLen'? (allowed: dtype, enablePrefixCaching, "
        "extraArgs, gpuMemoryUtilization, kvCacheDtype, kvCacheMemory, maxModelLen, maxNumBatchedTokens, maxNumSeqs, "
        "quantization, tensorParallelSize)",
        "models[2].revision: required, but not set",
        "models[1].cache.storageClass: class 'gp3' supports ReadWriteOnce, but with replicas.max 3 the cache is "
        "mounted by several pods and needs ReadWriteMany: use a ReadWriteMany class (efs-models), or set replicas.max to 1",
    ]


def test_cross_field_problems_are_reported_together(tmp_path):
    def mutate(config):
        models = config["llmstack:models"]
        models[0]["replicas"] = {"min": 3, "max": 2}
        models[1]["cache"]["storageClass"] = "gp3"
        models[1]["engine"]["tensorParallelSize"] = 16

    assert fail(tmp_path, mutate) == [
        "models[0].replicas.max: must be >= replicas.min (3)",
        "models[1].engine.tensorParallelSize: 16 GPUs per pod, but nodes of pool 'h100' have 8 x H100-80GB; the pod "
        "could never be scheduled. Use tensorParallelSize <= 8 or a pool with larger nodes",
        "models[1].cache.storageClass: class 'gp3' supports ReadWriteOnce, but with replicas.max 4 the cache is "
        "mounted by several pods and needs ReadWriteMany: use a ReadWriteMany class (efs-models), or set replicas.max to 1",
    ]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["llmstack:models"][0].update(pool="a100"),
     "models[0].pool: no pool named 'a100' in the cluster; pools: system, l40s, h100"),
    (lambda c: c["llmstack:models"][0].update(replicas={"min": 1, "max": 20}),
     "models[0].replicas.max: 20 replicas x 1 GPUs = 20 GPUs, but pool 'l40s' has at most 4 nodes x 4 GPUs = 16. "
     "Lower replicas.max to 16 or raise the pool's maxNodes to 5"),
    (lambda c: c["llmstack:models"][0].update(revision="main"),
     "models[0].revision: 'main' is not a commit SHA: pin the model to the full 40-character commit (Hugging Face: "
     "the repo's 'Files and versions' > 'History'), so every replica and every re-deploy serves the same weights"),
    (lambda c: c["llmstack:models"][0]["engine"].update(extraArgs=["--max-model-len=8192"]),
     "models[0].engine.extraArgs: '--max-model-len=8192' is set by this stack; use engine.maxModelLen instead"),
    (lambda c: c["llmstack:models"][1].update(name="qwen3-8b"),
     "models[1].name: 'qwen3-8b' is already used by models[0]"),
    (lambda c: c.update({"llmstack:teem": "x"}),
     "teem: unknown key; did you mean 'team'? (allowed: alertingSecrets, cloudflareApiToken, cluster, environment, gateway, "
     "grafanaAdminPassword, hfToken, models, monitoring, serving, team)"),
    (lambda c: c.update({"llmstack:hfToken": "hf_plaintext"}),
     "hfToken: must be a secret: run `pulumi config set --secret hfToken <value>`"),
    (lambda c: c["llmstack:models"][0].update(image="vllm/vllm-openai:latest"),
     "models[0].image: image 'vllm/vllm-openai:latest' is not pinned: give a version tag (not 'latest') or a digest"),
])
def test_each_mistake_names_its_path_and_fix(tmp_path, mutate, expected):
    assert fail_in_process(tmp_path, mutate) == [expected]


def test_an_existing_clusters_pools_are_checked_too(tmp_path):
    assert fail_in_process(tmp_path, lambda c: c["llmstack:cluster"]["pools"][1].update(gpu="L40X"), EXISTING_GPU) == [
        "cluster.pools[1].gpu: unknown GPU type 'L40X'; known types: T4, A10G, A10, L4, L40, L40S, A40, RTX-A6000, "
        "A100-40GB, A100-80GB, H100-80GB, H100-NVL, H200, B200, H20, RTX-3090, RTX-4090",
    ]
    assert fail_in_process(tmp_path, lambda c: c["llmstack:models"][1]["engine"].update(tensorParallelSize=16), EXISTING_GPU) == [
        "models[1].engine.tensorParallelSize: 16 GPUs per pod, but nodes of pool 'h100' have 8 x H100-80GB; the pod "
        "could never be scheduled. Use tensorParallelSize <= 8 or a pool with larger nodes",
    ]


def eks(config) -> dict:
    return config["llmstack:cluster"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: eks(c)["gpuPools"][0].update(instanceType="g6e.13xlarge"),
     "cluster.gpuPools[0].instanceType: unknown instance type 'g6e.13xlarge'; did you mean 'g6e.16xlarge'? "
     "(known families: g4dn, g5, g6, g6e, m6i, m7i, p4d, p4de, p5, p5e, p5en, p6-b200)"),
    (lambda c: eks(c)["gpuPools"][0].update(instanceType="m7i.xlarge"),
     "cluster.gpuPools[0].instanceType: 'm7i.xlarge' has no GPUs: use a GPU instance type (g5, g6, g6e, p4d, p5 ...)"),
    (lambda c: eks(c)["systemPool"].update(instanceType="g5.xlarge"),
     "cluster.systemPool.instanceType: 'g5.xlarge' has GPUs; the system pool is for controllers: use a "
     "general-purpose type such as m7i.xlarge"),
    (lambda c: eks(c).update(regoin="us-east-1"),
     "cluster.regoin: unknown key; did you mean 'region'? (allowed: admins, adopt, gpuOperator, gpuPools, "
     "kubernetesVersion, name, network, publicAccessCidrs, region, storage, systemPool, type)"),
    (lambda c: eks(c).update(type="azure"),
     "cluster.type: 'azure' is not a known type; use one of: aks, eks, existing, gke"),
    (lambda c: eks(c)["network"].update(availabilityZones=["us-west-2a", "us-east-2b"]),
     "cluster.network.availabilityZones: us-west-2a not zones of us-east-2 (e.g. us-east-2a)"),
    (lambda c: eks(c)["network"].update(vpcId="vpc-0123456789abcdef0"),
     "cluster.network: set availabilityZones to create a VPC, or vpcId and subnetIds to adopt one, not both"),
    (lambda c: eks(c).update(adopt=True),
     "cluster: an adopted cluster keeps its VPC: set network.vpcId and network.subnetIds instead of availabilityZones"),
    (lambda c: eks(c)["gpuPools"][0].update(onDemandFallback=True),
     "cluster.gpuPools[0]: onDemandFallback is for spot pools: set capacityType: spot, or drop onDemandFallback"),
    (lambda c: eks(c)["gpuPools"][1].update(name="l40s"),
     "cluster.gpuPools: pool names must be unique: l40s declared twice"),
    (lambda c: eks(c).update(kubernetesVersion="1.29"),
     "cluster.kubernetesVersion: '1.29' is not a supported EKS version; use one of 1.35, 1.36, 1.34"),
    (lambda c: eks(c)["gpuPools"][1].update(instanceType="g6e.2xlarge"),
     "models[1].engine.tensorParallelSize: 2 GPUs per pod, but nodes of pool 'h100' have 1 x L40S; the pod could "
     "never be scheduled. Use tensorParallelSize <= 1 or a pool with larger nodes"),
    (lambda c: eks(c)["gpuPools"][0].update(maxNodes=1),
     "models[0].replicas.max: 8 replicas x 1 GPUs = 8 GPUs, but pool 'l40s' has at most 1 nodes x 4 GPUs = 4. "
     "Lower replicas.max to 4 or raise the pool's maxNodes to 2"),
])
def test_eks_mistakes_name_their_path_and_fix(tmp_path, mutate, expected):
    assert fail_in_process(tmp_path, mutate) == [expected]


def test_time_sliced_gpus_must_be_shared_by_memory_too(tmp_path):
    def mutate(config):
        eks(config)["gpuOperator"] = {"timeSlicing": 2}

    assert fail_in_process(tmp_path, mutate) == [
        "models[0].engine.gpuMemoryUtilization: 0.9 of GPU memory per pod, but pool 'l40s' shares each GPU between "
        "2 pods; set it to at most 0.47 so they all fit",
        "models[1].engine.tensorParallelSize: pool 'h100' time-slices each GPU 2 ways, so 2 slices may be the same "
        "GPU: use tensorParallelSize 1 or a pool without time-slicing",
        "models[2].engine.gpuMemoryUtilization: 0.9 of GPU memory per pod, but pool 'l40s' shares each GPU between "
        "2 pods; set it to at most 0.47 so they all fit",
    ]


def test_a_70b_model_at_full_precision_on_one_48gb_gpu_fails_with_options(tmp_path):
    def mutate(config):
        config["llmstack:models"][0].update(repo="meta-llama/Llama-3.3-70B-Instruct", replicas={"min": 1, "max": 4})
        config["llmstack:models"][0]["engine"]["maxModelLen"] = 8192
        config["llmstack:models"][0]["cache"]["size"] = "300Gi"

    (line,) = fail_in_process(tmp_path, mutate)
    assert line.startswith("models[0]: meta-llama/Llama-3.3-70B-Instruct on 1 x L40S: the weights (131.4 GiB per GPU)")
    assert "no memory is left for the KV cache. Options: engine.tensorParallelSize: 4 (nodes of pool 'l40s' have 4 GPUs)" in line
    assert "or hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4" not in line, "a 4-bit 70B does not fit 40 GiB at 8k either"


def test_a_32k_context_the_kv_cache_cannot_hold_fails_and_says_what_would_fit(tmp_path):
    def mutate(config):
        config["llmstack:models"][0].update(repo="casperhansen/llama-3.3-70b-instruct-awq", replicas={"min": 1, "max": 4})

    (line,) = fail_in_process(tmp_path, mutate)
    assert line.startswith("models[0]: casperhansen/llama-3.3-70b-instruct-awq on 1 x L40S: KV cache holds ~"), line
    assert ("but one request of maxModelLen 32,768 must fit in 90 % of it (the estimate's 10 % safety margin). "
            "Options: engine.maxModelLen: 3,072; or engine.tensorParallelSize: 2 (nodes of pool 'l40s' have 4 GPUs)") in line
    assert "kvCacheDtype" not in line, "fp8 KV cache alone does not reach 32,768 tokens here: no option"


def test_the_same_model_on_a_configuration_that_fits_plans(tmp_path, capsys):
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    model = document["config"]["llmstack:models"][0]
    model.update(repo="casperhansen/llama-3.3-70b-instruct-awq", replicas={"min": 1, "max": 4})
    model["engine"]["tensorParallelSize"] = 2
    path = tmp_path / "Pulumi.fits.yaml"
    path.write_text(yaml.safe_dump(document))
    from tools.plan import main

    assert main(["--stack", "fits", "--out", str(tmp_path / "out"), "--stack-file", str(path)]) == 0
    assert "qwen3-8b                 2 x L40S:" in capsys.readouterr().out


def test_a_model_outside_the_catalog_must_declare_its_architecture(tmp_path):
    def mutate(config):
        config["llmstack:models"][0].update(repo="acme/private-13b")

    (line,) = fail_in_process(tmp_path, mutate)
    assert line.startswith("models[0].architecture: 'acme/private-13b' is not in the architecture catalog")

    def declared(config):
        config["llmstack:models"][0].update(repo="acme/private-13b", architecture={
            "paramsB": 13, "numHiddenLayers": 40, "hiddenSize": 5120, "numAttentionHeads": 40, "numKeyValueHeads": 40,
            "vocabSize": 32000, "maxPositionEmbeddings": 4096})

    assert fail_in_process(tmp_path, declared) == [
        "models[0]: acme/private-13b on 1 x L40S: maxModelLen 32,768 exceeds the model's maximum context of 4,096 tokens. "
        "Options: engine.maxModelLen: 4,096",
    ]


def _gateway(config) -> dict:
    return config["llmstack:gateway"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: _gateway(c)["tenants"][0].update(models=["qwen3-8b", "llama"]),
     "gateway.tenants[0].models[1]: no model named 'llama'; models are qwen3-8b, qwen-coder-32b, qwen3-8b-fp8 (or \"*\" for all)"),
    (lambda c: _gateway(c)["tls"]["issuer"].update(challenge="dns01-cloudflare"),
     "gateway.tls.issuer.challenge: dns01-cloudflare needs a Cloudflare API token (Zone:DNS:Edit): "
     "run `pulumi config set --secret cloudflareApiToken <token>`"),
    (lambda c: _gateway(c).update(host="https://llm.example.com"),
     "gateway.host: 'https://llm.example.com' is not a fully qualified host name such as llm.example.com (lower case, "
     "no scheme, port or wildcard)"),
    (lambda c: _gateway(c)["tenants"].append({"name": "chat-app", "models": ["*"]}),
     "gateway.tenants: tenant 'chat-app' is listed twice"),
    (lambda c: _gateway(c).update(requestTimeoutSeconds=60),
     "gateway.requestTimeoutSeconds: Input should be greater than or equal to 300"),
    (lambda c: _gateway(c)["tls"]["issuer"].update(type="letsencrypt"),
     "gateway.tls.issuer.type: 'letsencrypt' is not a known type; use one of: acme, existing, selfSigned"),
    (lambda c: _gateway(c)["tenants"][0].update(tokensPerMinute=0),
     "gateway.tenants[0].tokensPerMinute: Input should be greater than or equal to 1"),
    (lambda c: c.update({"llmstack:cloudflareApiToken": "plaintext"}),
     "cloudflareApiToken: must be a secret: run `pulumi config set --secret cloudflareApiToken <value>`"),
])
def test_gateway_mistakes_name_their_path_and_fix(tmp_path, mutate, expected):
    """In-process, through the same loader the program uses (the subprocess path is covered above)."""
    assert fail_in_process(tmp_path, mutate) == [expected]


def _apply(model: dict, option: str) -> None:
    """Apply one option of a capacity error, written in the config's own keys, to a model entry."""
    key, _, value = option.partition(": ")
    value = value.split(" (")[0].replace(",", "")
    if key == "repo":
        model["repo"] = value
    else:
        model["engine"][key.removeprefix("engine.")] = yaml.safe_load(value)  # 256 -> int, 0.95 -> float, fp8 -> str


@pytest.mark.parametrize("repo, engine, pool", [
    ("casperhansen/llama-3.3-70b-instruct-awq", {}, "l40s"),
    ("meta-llama/Llama-3.3-70B-Instruct", {"maxModelLen": 8192}, "l40s"),
    ("Qwen/Qwen2.5-72B-Instruct", {"maxModelLen": 32768}, "l40s"),
    ("Qwen/Qwen3-32B", {"maxModelLen": 40960}, "l40s"),
    # gpt-oss-120b's whole context on one H100 at 0.9: the sampler's start-up peak at vLLM's 1,024
    # sequences leaves too little KV cache; fewer sequences or more of the GPU make it start.
    ("openai/gpt-oss-120b", {"maxModelLen": 131072}, "h100"),
])
def test_every_option_a_capacity_error_offers_passes_when_applied(tmp_path, repo, engine, pool):
    def mutate(config):
        model = config["llmstack:models"][0]
        model.update(repo=repo, pool=pool, replicas={"min": 1, "max": 1})
        model["engine"].update(engine)
        model["cache"]["size"] = "300Gi"

    (line,) = fail_in_process(tmp_path, mutate)
    options = line.split(". Options: ")[1].split("; or ")
    assert options, line
    for option in options:
        def applied(config, option=option):
            mutate(config)
            _apply(config["llmstack:models"][0], option)

        from tools.plan import load_config

        load_config("applied", broken_stack(tmp_path, applied))  # raises if the option does not fit


def _alerting(config: dict) -> dict:
    return config["llmstack:monitoring"]["alerting"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["llmstack:alertingSecrets"].pop("oncall"),
     "monitoring.alerting.receivers[0]: 'oncall' needs its PagerDuty routing key as a secret: run "
     "`pulumi config set --secret --path 'alertingSecrets.oncall' <value>`"),
    (lambda c: c["llmstack:alertingSecrets"].update(old={"secure": "v1:AAAA:BBBB"}),
     "alertingSecrets.old: no receiver 'old' of monitoring.alerting reads a secret; receivers: llm-team, oncall: remove it "
     "(`pulumi config rm --path 'alertingSecrets.old'`) or name the receiver so"),
    (lambda c: _alerting(c)["routes"].update(critical=["pagr"]),
     "monitoring.alerting: routes.critical names no receiver 'pagr'; receivers: oncall, llm-team"),
    (lambda c: _alerting(c)["receivers"][0].update(slack={}),
     "monitoring.alerting.receivers[0]: give exactly one of slack, pagerduty, webhook, email (got slack, pagerduty)"),
    (lambda c: c.update({"llmstack:alertingSecrets": {"oncall": "plain-routing-key", "llm-team": "https://hooks"}}),
     "alertingSecrets: must be a secret: run `pulumi config set --secret --path 'alertingSecrets.<name>' <value>`"),
    (lambda c: _alerting(c)["receivers"].append({"name": "mail", "email": {"to": ["ops"], "from": "a@b.c", "smarthost": "smtp:587"}}),
     "monitoring.alerting.receivers[2].email.to: 'ops' is not an email address"),
])
def test_alerting_mistakes_name_their_path_and_fix(tmp_path, mutate, expected):
    assert expected in fail_in_process(tmp_path, mutate)


PROD_GKE = ROOT / "Pulumi.prod-gke.yaml"


def gke(config) -> dict:
    return config["llmstack:cluster"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: gke(c)["gpuPools"][0].update(accelerator="nvidia-tesla-a100"),
     "cluster.gpuPools[0].accelerator: g2-standard-12 comes with nvidia-l4, not nvidia-tesla-a100; nvidia-tesla-a100 "
     "comes with a2-highgpu-*, a2-megagpu-*"),
    (lambda c: gke(c)["gpuPools"][0].update(gpusPerNode=2),
     "cluster.gpuPools[0].gpusPerNode: g2-standard-12 has 1 x L4, not 2; 2 x L4: g2-standard-24"),
    (lambda c: gke(c)["gpuPools"][0].update(zones=["us-central1-f"]),
     "cluster.gpuPools[0]: us-central1-f does not offer nvidia-l4 (g2-standard-12); set gpuPools[0].zones to some of "
     "us-central1-a, us-central1-b, us-central1-c"),
    (lambda c: gke(c)["gpuPools"][1].update(name="h100-for-the-code-assistant-and-evals"),
     "cluster.gpuPools[1].name: 'h100-for-the-code-assistant-and-evals' makes the GKE node pool "
     "'h100-for-the-code-assistant-and-evals-on-demand' (47 characters), but GKE allows 40: use a pool name of at most 30 characters"),
    (lambda c: gke(c)["storage"]["filestore"].update(capacityGib=1024),
     "cluster.storage.filestore.capacityGib: 1024 GiB is outside what a BASIC_SSD Filestore instance holds "
     "(2,560-65,434 GiB); use at least 2,560, or another tier"),
    (lambda c: gke(c)["gpuPools"][0].update(machineType="g2-standard-13"),
     "cluster.gpuPools[0].machineType: unknown machine type 'g2-standard-13'; did you mean 'g2-standard-32'? (known "
     "series: a2-highgpu, a2-megagpu, a2-ultragpu, a3-highgpu, a3-megagpu, g2-standard, n1-standard)"),
    (lambda c: gke(c)["systemPool"].update(spot=True),
     "cluster.systemPool.spot: the system pool is never spot: a preempted node takes the gateway, the platform's "
     "controllers and monitoring with it; drop spot (GPU pools may use capacityType: spot)"),
    (lambda c: gke(c).update(project="My LLM Project"),
     "cluster.project: 'My LLM Project' is not a project id: 6-30 lower-case letters, digits or hyphens, starting with "
     "a letter (the id, not the project's display name or number)"),
    (lambda c: gke(c)["gpuPools"][1].update(machineType="a3-highgpu-1g"),
     "models[1].engine.tensorParallelSize: 2 GPUs per pod, but nodes of pool 'h100' have 1 x H100-80GB; the pod could "
     "never be scheduled. Use tensorParallelSize <= 1 or a pool with larger nodes"),
    (lambda c: gke(c)["gpuPools"][0].update(timeSharing=2),
     "models[0].engine.gpuMemoryUtilization: 0.9 of GPU memory per pod, but pool 'l4' shares each GPU between 2 pods; "
     "set it to at most 0.47 so they all fit"),
    (lambda c: gke(c)["gpuPools"][0].update(maxNodes=2),
     "models[0].replicas.max: 6 replicas x 1 GPUs = 6 GPUs, but pool 'l4' has at most 2 nodes x 1 GPUs = 2. Lower "
     "replicas.max to 2 or raise the pool's maxNodes to 6"),
])
def test_gke_mistakes_name_their_path_and_fix(tmp_path, mutate, expected):
    assert fail_in_process(tmp_path, mutate, PROD_GKE) == [expected]


def test_a_gke_mistake_fails_the_plan_with_one_line(tmp_path):
    """The same through the `make plan` command: one line, no traceback, no plan written."""
    assert fail(tmp_path, lambda c: gke(c)["gpuPools"][0].update(gpusPerNode=2), PROD_GKE) == [
        "cluster.gpuPools[0].gpusPerNode: g2-standard-12 has 1 x L4, not 2; 2 x L4: g2-standard-24"]


PROD_AKS = ROOT / "Pulumi.prod-aks.yaml"


def aks(config) -> dict:
    return config["llmstack:cluster"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: aks(c)["gpuPools"][0].update(vmSize="Standard_D16s_v5"),
     "cluster.gpuPools[0].vmSize: 'Standard_D16s_v5' has no GPU: use a GPU size (Standard_NC*as_T4_v3, "
     "Standard_NC*ads_A100_v4, Standard_NC*ads_H100_v5, Standard_ND96isr_H100_v5 ...)"),
    (lambda c: aks(c)["gpuPools"][0].update(name="a100-serving"),
     "cluster.gpuPools[0].name: 'a100-serving' makes the AKS agent pool 'a100-serving', but AKS takes a lower-case "
     "letter and at most 12 lower-case letters or digits: use a pool name of at most 12 letters or digits, such as "
     "'a100serving'"),
    (lambda c: aks(c)["gpuPools"][1].update(name="h100large"),
     "cluster.gpuPools[1].name: 'h100large' makes the AKS agent pool 'h100largespot', but AKS takes a lower-case "
     "letter and at most 12 lower-case letters or digits: use a pool name of at most 8 letters or digits, such as "
     "'h100larg'"),
    (lambda c: aks(c)["systemPool"].update(spot=True),
     "cluster.systemPool.spot: the system pool is never spot: AKS requires System-mode pools to be Regular priority, "
     "and an evicted node takes the gateway and the platform's controllers with it; drop spot (GPU pools may use "
     "capacityType: spot)"),
    (lambda c: aks(c)["storage"]["files"].update(shareGib=64),
     "cluster.storage.files.shareGib: 64 GiB is outside what a premium file share holds (100-102,400 GiB); use at "
     "least 100"),
    (lambda c: aks(c)["gpuPools"][0].update(vmSize="Standard_NV36ads_A10_v5"),
     "cluster.gpuPools[0].vmSize: Standard_NV36ads_A10_v5 runs NVIDIA's vGPU (GRID) driver R570 on AKS, older than the "
     "R580 the vLLM image needs: use Standard_NC*as_T4_v3, Standard_NC*ads_A100_v4 or Standard_NC*ads_H100_v5"),
    (lambda c: aks(c)["gpuPools"][1].update(vmSize="Standard_NC40ads_H100_v5"),
     "models[1].engine.tensorParallelSize: 2 GPUs per pod, but nodes of pool 'h100' have 1 x H100-NVL; the pod could "
     "never be scheduled. Use tensorParallelSize <= 1 or a pool with larger nodes"),
])
def test_aks_mistakes_name_their_path_and_fix(tmp_path, mutate, expected):
    assert fail_in_process(tmp_path, mutate, PROD_AKS) == [expected]


def test_a_size_the_region_does_not_sell_fails_at_preview(tmp_path, monkeypatch):
    """Where the catalog knows the region; here the catalog is made not to sell the size in eastus."""
    from components.azure import prices

    monkeypatch.setitem(prices.PRICES_USD_PER_HOUR, "eastus",
                        {k: v for k, v in prices.PRICES_USD_PER_HOUR["eastus"].items() if k != "Standard_NC24ads_A100_v4"})
    assert fail_in_process(tmp_path, lambda c: None, PROD_AKS) == [
        "cluster.gpuPools[0].vmSize: eastus does not sell Standard_NC24ads_A100_v4; it is sold in westeurope"]
