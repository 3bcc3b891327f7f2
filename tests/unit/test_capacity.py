"""The capacity estimator's arithmetic, checked against vLLM's own formulas and known numbers."""

from __future__ import annotations

import math

import pytest

from components.capacity import ARCHITECTURES, Architecture, estimate
from components.capacity.estimator import BLOCK_SIZE, FIT_MARGIN, _KvLayout, _scheduler_defaults
from components.core.catalog.gpus import GPUS

# KV bytes per token, all layers, bf16, no TP: 2 (K and V) x layers x KV heads x head_dim x 2 bytes.
KNOWN_KV_BYTES = {
    "meta-llama/Llama-3.1-8B-Instruct": 2 * 32 * 8 * 128 * 2,      # 131,072
    "Qwen/Qwen3-8B": 2 * 36 * 8 * 128 * 2,                         # 147,456
    "Qwen/Qwen2-7B-Instruct": 2 * 28 * 4 * 128 * 2,                # 57,344 (vLLM log: 5.01 GiB = 93,872 tokens)
    "mistralai/Mistral-Small-24B-Instruct-2501": 2 * 40 * 8 * 128 * 2,  # 163,840 (vLLM log: 28.20 GiB = 184,832 tokens)
}


@pytest.mark.parametrize("repo, expected", sorted(KNOWN_KV_BYTES.items()))
def test_kv_bytes_per_token_of_full_attention_models(repo, expected):
    layout = _KvLayout.of(ARCHITECTURES[repo], "auto", tp=1, pp=1, batched=2048)
    assert layout.bytes_per_token(4096) == expected


def test_tensor_parallel_splits_kv_heads_and_replicates_when_there_are_fewer_heads_than_ranks():
    arch = ARCHITECTURES["Qwen/Qwen2-7B-Instruct"]  # 4 KV heads
    per_rank = {tp: _KvLayout.of(arch, "auto", tp, 1, 2048).bytes_per_token(4096) for tp in (1, 2, 4, 8)}
    assert per_rank[2] == per_rank[1] / 2 and per_rank[4] == per_rank[1] / 4
    assert per_rank[8] == per_rank[4], "8 ranks over 4 KV heads: each rank keeps a whole head"


def test_fp8_kv_cache_halves_the_bytes():
    arch = ARCHITECTURES["Qwen/Qwen3-8B"]
    assert _KvLayout.of(arch, "fp8", 1, 1, 2048).bytes_per_token(4096) * 2 == _KvLayout.of(arch, "auto", 1, 1, 2048).bytes_per_token(4096)


def test_hybrid_models_are_grouped_as_vllm_does():
    gemma = _KvLayout.of(ARCHITECTURES["google/gemma-3-27b-it"], "auto", 1, 1, 2048)  # 10 full, 52 sliding
    assert (gemma.group_size, gemma.full_groups, gemma.sliding_groups) == (10, 1, 6)
    oss = _KvLayout.of(ARCHITECTURES["openai/gpt-oss-20b"], "auto", 1, 1, 2048)  # 12 full, 12 sliding (128)
    assert (oss.group_size, oss.full_groups, oss.sliding_groups) == (12, 1, 1)
    # A sliding-window group needs the window plus what is in flight, not the whole length.
    assert oss.blocks_per_request(131072) == math.ceil(131072 / BLOCK_SIZE) + math.ceil((127 + 4096) / BLOCK_SIZE) + 1


def test_mla_caches_one_compressed_latent_per_token():
    mla = Architecture(params_b=16, num_hidden_layers=27, hidden_size=2048, num_attention_heads=16, num_key_value_heads=16,
                       vocab_size=102400, max_position_embeddings=163840, kv_lora_rank=512, qk_rope_head_dim=64)
    layout = _KvLayout.of(mla, "auto", tp=2, pp=1, batched=2048)
    assert layout.bytes_per_token(4096) == 27 * (512 + 64) * 2, "MLA is not split across ranks and has no K/V pair"


def test_scheduler_defaults_follow_vllm_by_device_memory():
    assert _scheduler_defaults(GPUS["L40S"], None, None, 32768) == (256, 2048)
    assert _scheduler_defaults(GPUS["H100-80GB"], None, None, 32768) == (1024, 8192)
    assert _scheduler_defaults(GPUS["A100-80GB"], None, None, 32768) == (256, 2048)
    assert _scheduler_defaults(GPUS["B200"], None, None, 32768) == (1024, 16384)
    assert _scheduler_defaults(GPUS["L40S"], 64, 4096, 32768) == (64, 4096)


def test_the_issue_example_70b_awq_with_32k_on_one_l40s():
    est = estimate("casperhansen/llama-3.3-70b-instruct-awq", "L40S", max_model_len=32768, gpu_memory_utilization=0.9)
    assert not est.fits
    assert 2_000 < est.kv_cache_tokens < 9_000, est.kv_cache_tokens  # the issue, from a real 0.92 run: ~6,600
    assert est.max_fitting_model_len < 32768
    fp8 = estimate("casperhansen/llama-3.3-70b-instruct-awq", "L40S", max_model_len=32768, gpu_memory_utilization=0.9, kv_cache_dtype="fp8")
    assert fp8.kv_cache_tokens == pytest.approx(2 * est.kv_cache_tokens, rel=0.01)
    shorter = estimate("casperhansen/llama-3.3-70b-instruct-awq", "L40S", max_model_len=est.max_fitting_model_len, gpu_memory_utilization=0.9)
    assert shorter.fits


def test_full_precision_70b_does_not_fit_one_48gb_gpu_but_fits_four():
    one = estimate("meta-llama/Llama-3.3-70B-Instruct", "L40S", max_model_len=8192)
    assert not one.fits and "no memory is left for the KV cache" in one.problems[0]
    four = estimate("meta-llama/Llama-3.3-70B-Instruct", "L40S", tensor_parallel_size=4, max_model_len=8192)
    assert four.fits and four.weights_gib == pytest.approx(131.42 / 4)


def test_more_memory_never_holds_fewer_tokens():
    base = dict(model="Qwen/Qwen3-8B", gpu="L40S", max_model_len=16384)
    tokens = [estimate(**base, gpu_memory_utilization=u).kv_cache_tokens for u in (0.7, 0.8, 0.9, 0.95)]
    assert tokens == sorted(tokens)
    by_tp = [estimate(**base, tensor_parallel_size=tp).kv_cache_tokens for tp in (1, 2, 4)]
    assert by_tp == sorted(by_tp)


def test_a_utilization_that_starves_the_cuda_context_is_refused():
    est = estimate("Qwen/Qwen3-0.6B", "T4", gpu_memory_utilization=0.98, max_model_len=4096)
    assert not est.fits and "CUDA context" in est.problems[0]


def test_fit_verdict_keeps_the_margin():
    est = estimate("Qwen/Qwen3-32B", "H100-80GB", max_model_len=4096, gpu_memory_utilization=0.9)
    assert est.fits
    needed = est.kv_bytes_per_token * est.max_fitting_model_len
    assert needed <= (1 - FIT_MARGIN) * est.kv_cache_gib * 2**30


@pytest.mark.parametrize("repo", sorted(ARCHITECTURES))
def test_every_catalog_model_estimates_on_every_gpu(repo):
    arch = ARCHITECTURES[repo]
    assert arch.source, f"{repo} has no source"
    for gpu in GPUS:
        est = estimate(repo, gpu, max_model_len=min(8192, arch.max_position_embeddings))
        assert est.weights_gib > 0 and est.total_gib > 0
        assert est.fits == (not est.problems)
        if est.fits:
            assert est.kv_cache_tokens >= est.max_model_len


def test_architecture_from_config_json():
    config = {"torch_dtype": "bfloat16", "num_hidden_layers": 24, "hidden_size": 2880, "num_attention_heads": 64,
              "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 201088, "max_position_embeddings": 131072,
              "sliding_window": 128, "layer_types": ["sliding_attention", "full_attention"] * 12,
              "num_local_experts": 32, "num_experts_per_tok": 4, "quantization_config": {"quant_method": "mxfp4"}}
    arch = Architecture.from_config_json(config, params_b=20.91, weights_gib=13.47)
    assert (arch.sliding_window, arch.sliding_window_layers, arch.num_experts, arch.quantization) == (128, 12, 32, "mxfp4")
    catalog = ARCHITECTURES["openai/gpt-oss-20b"]
    assert _KvLayout.of(arch, "auto", 1, 1, 2048) == _KvLayout.of(catalog, "auto", 1, 1, 2048)


def test_an_unreachable_max_num_seqs_is_a_warning_and_an_unset_one_is_derived():
    from components.capacity.planning import plan_model, startup_seconds
    from components.core.cluster import NodePool
    from components.core.model import ModelSpec

    pool = NodePool(name="l40s", gpu="L40S", gpus_per_node=4, max_nodes=2)
    base = {"name": "m", "repo": "Qwen/Qwen3-8B", "revision": "a" * 40, "pool": "l40s",
            "cache": {"storageClass": "efs", "size": "40Gi"}, "resources": {"cpu": "8", "memory": "48Gi"}}
    derived = plan_model(ModelSpec.model_validate({**base, "engine": {"maxModelLen": 32768}}), pool)
    assert derived.max_num_seqs == min(256, derived.estimate.kv_cache_tokens // 1024) and not derived.warnings
    too_many = plan_model(ModelSpec.model_validate({**base, "engine": {"maxModelLen": 32768, "maxNumSeqs": 4096}}), pool)
    assert too_many.max_num_seqs == 4096
    assert too_many.warnings and "max_num_seqs 4096 cannot be reached" in too_many.warnings[0]
    assert derived.startup_timeout_seconds == startup_seconds(ARCHITECTURES["Qwen/Qwen3-8B"]) == 600
    assert startup_seconds(ARCHITECTURES["Qwen/Qwen2.5-72B-Instruct"]) == 2340  # 300 + 15 x 135.4 GiB, up to a minute


def test_gpt_oss_120b_on_one_h100_fits_a_moderate_context_and_is_told_what_a_long_one_needs():
    """vLLM 0.33 loads gpt-oss-120b on an H100 with the Triton kernels, which free the original MXFP4
    scales: 60.9 GiB, leaving about 2.8 GiB of KV cache at the stacks' 0.9, enough for 32k tokens.
    The whole 131k context does not fit beside the sampler's start-up peak (1,024 sequences x 201,088
    vocabulary); the options are the settings that make it start, each planned again."""
    from components.capacity.planning import plan_model
    from components.core.cluster import NodePool
    from components.core.model import ModelSpec

    def planned(max_model_len):
        model = ModelSpec.model_validate({
            "name": "oss", "repo": "openai/gpt-oss-120b", "revision": "0" * 40, "pool": "h100",
            "engine": {"maxModelLen": max_model_len}, "cache": {"storageClass": "c", "size": "100Gi"},
            "resources": {"cpu": "8", "memory": "64Gi"},
        })
        return plan_model(model, NodePool(name="h100", gpu="H100-80GB", gpus_per_node=8), "models[0]")

    moderate = planned(32768)
    assert moderate.problems == [] and 2 < moderate.estimate.kv_cache_gib < 4
    assert moderate.estimate.weights_gib == pytest.approx(60.9, abs=0.1)
    (problem,) = planned(131072).problems
    assert "maxNumSeqs 1,024" not in problem.message  # the KV cache is short, not absent
    options = problem.message.split("Options: ")[1].split("; or ")
    assert "engine.maxNumSeqs: 256" in options and "engine.gpuMemoryUtilization: 0.95" in options
    assert options[0].startswith("engine.maxModelLen: ")
