"""`make capacity` and `make plan` give the same verdict for the same choice: the tool builds a
stack's model entry from its flags, with the stack's defaults, and plans it with the same planner."""

from __future__ import annotations

import pytest

from tests.conftest import EXTRA_STACKS
from tools import capacity
from tools.plan import load_stack


def tool(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = capacity.main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("stack", ["prod", "existing-gpu"])
def test_the_tool_plans_each_stack_model_as_the_stack_does(stack):
    planned = load_stack(stack, EXTRA_STACKS.get(stack))
    for model in planned.config.models:
        plan = planned.plan.models[model.name]
        engine = model.engine.model_dump(by_alias=True, exclude_defaults=True, exclude={"extra_args"})
        same = capacity.plan_for(model.repo, plan.pool.gpu, engine)
        assert same.estimate == plan.estimate
        assert [p.message for p in same.problems] == [p.message for p in plan.problems]


def test_the_issue_example_gives_the_stack_verdict():
    """Qwen3-32B on one A100-80GB at 32k: the stack default 0.9 leaves ~35,000 tokens, which the fit
    margin refuses; the tool used to assume vLLM's own 0.92 and said it fits."""
    code, out, _ = tool("Qwen/Qwen3-32B", "--gpus", "A100-80GB", "--tp", "1", "--max-model-len", "32768")
    assert code == 0
    assert "gpuMemoryUtilization 0.9," in out
    assert "does not fit: Qwen/Qwen3-32B on 1 x A100-80GB: KV cache holds ~35,000 tokens" in out


@pytest.mark.parametrize("argv, expected", [
    (["Qwen/Qwen3-32B", "--tp", "3"], "engine.tensorParallelSize: must be a power of two (1, 2, 4, 8), got 3"),
    (["Qwen/Qwen3-32B", "--gpu-memory-utilization", "1.5"], "engine.gpuMemoryUtilization: Input should be less than or equal to 0.98"),
    (["qwen/qwen3-33b"], "'qwen/qwen3-33b' is not a known model of the architecture catalog; did you mean 'Qwen/Qwen3-32B'?"),
    (["Qwen/Qwen3-32B", "--gpus", "h100"], "'h100' is not a known GPU type; did you mean 'H100-80GB'?"),
])
def test_impossible_inputs_are_refused_with_the_stacks_rules(argv, expected):
    code, _, err = tool(*argv)
    assert code == 1
    assert expected in err


def test_names_are_found_whatever_their_case():
    code, out, _ = tool("qwen/qwen3-8b", "--gpus", "l40s", "--tp", "1")
    assert code == 0 and "L40S" in out


@pytest.mark.parametrize("size", [1, 50])
def test_the_benchmark_stacks_are_valid(tmp_path, size):
    """`make bench` plans stacks of 1 to 50 models made from prod: each must pass validation."""
    from tools.bench import stack_with
    from tools.plan import load_config

    assert len(load_config(f"bench{size}", stack_with(size, tmp_path)).models) == size


def _config_json(repo: str) -> dict:
    """A config.json with the catalog entry's shapes, as Hugging Face publishes it."""
    from components.core.catalog.architectures import ARCHITECTURES

    arch = ARCHITECTURES[repo]
    return {"hidden_size": arch.hidden_size, "num_hidden_layers": arch.num_hidden_layers,
            "num_attention_heads": arch.num_attention_heads, "num_key_value_heads": arch.num_key_value_heads,
            "head_dim": arch.head_dim, "vocab_size": arch.vocab_size, "intermediate_size": arch.intermediate_size,
            "max_position_embeddings": arch.max_position_embeddings, "torch_dtype": arch.dtype,
            "tie_word_embeddings": False}


def test_a_local_config_json_gives_the_catalog_models_verdict(tmp_path):
    import json

    (tmp_path / "config.json").write_text(json.dumps(_config_json("Qwen/Qwen3-32B")))
    argv = ["--gpus", "A100-80GB", "--tp", "1", "2", "--max-model-len", "32768"]
    code, local, err = tool("my-org/qwen3-32b-tune", "--config", str(tmp_path / "config.json"), *argv)
    assert code == 0, err
    assert "32.76 B parameters, weights 61.0 GiB (counted from its shapes)" in local
    _, catalog, _ = tool("Qwen/Qwen3-32B", *argv)
    rows = lambda out: [line.split("does not fit")[0].split()[:4] for line in out.splitlines() if "A100-80GB" in line]  # noqa: E731
    assert rows(local) == rows(catalog)
    assert "engine.maxModelLen: 31,744" in local
    assert "repo: Qwen/Qwen3-32B-AWQ" not in local, "a fine-tune's fix is not another model's weights"


def test_the_weight_size_comes_from_the_safetensors_index(tmp_path):
    import json

    (tmp_path / "config.json").write_text(json.dumps(_config_json("Qwen/Qwen3-8B")))
    (tmp_path / "index.json").write_text(json.dumps({"metadata": {"total_size": 16 * 2**30}, "weight_map": {}}))
    code, out, err = tool("--config", str(tmp_path / "config.json"), "--safetensors-index", str(tmp_path / "index.json"),
                          "--gpus", "L40S", "--tp", "1")
    assert code == 0, err
    assert "weights 16.0 GiB (given)" in out and "16.0 GiB" in out.splitlines()[-1]


def test_a_pasted_config_is_read_from_standard_input(monkeypatch):
    import io
    import json

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(_config_json("Qwen/Qwen3-8B"))))
    code, out, err = tool("--config", "-", "--gpus", "L4", "--tp", "1")
    assert code == 0, err
    assert "from config.json: 8.19 B parameters" in out


@pytest.mark.parametrize("text, expected", [
    ("{not json", "--config: not JSON"),
    ('{"a": 1}', "--config: config.json has no hidden_size: is it a model's config.json?"),
    ('{"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 30, "num_key_value_heads": 8, '
     '"vocab_size": 32000, "intermediate_size": 11008, "max_position_embeddings": 4096}',
     "numAttentionHeads must be a multiple of numKeyValueHeads"),
])
def test_a_config_that_is_not_a_models_is_refused_in_one_line(monkeypatch, text, expected):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, _, err = tool("--config", "-")
    assert code == 1
    assert expected in err and "Traceback" not in err


def test_each_row_states_what_one_replica_costs_a_month():
    """A replica's share of the cheapest EKS node holding it, from the dated EC2 price catalog."""
    from components.aws import prices

    code, out, _ = tool("Qwen/Qwen3-32B", "--gpus", "L40S", "--tp", "2", "--max-model-len", "32768")
    assert code == 0
    node = prices.ON_DEMAND_USD_PER_HOUR["us-east-1"]["g6e.12xlarge"]  # 4 x L40S: two TP-2 replicas
    assert f"${node * 730 / 2:,.0f} 1/2 g6e.12xlarge" in out.splitlines()[-1]
    assert prices.SOURCE in out
