"""Counting parameters from config.json shapes (for a model outside the catalog) agrees with the
published counts of the catalog's text models."""

from __future__ import annotations

import pytest

from components.core.architecture import params_from_config
from components.core.catalog.architectures import ARCHITECTURES

# tie_word_embeddings of the published config.json (the catalog does not record it; their model cards
# and configs say so: Qwen2.5 0.5B-3B, Qwen3 1.7B/4B, Llama 3.2 1B/3B share the input and output embedding).
TIED = {"Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-3B-Instruct",
        "Qwen/Qwen3-1.7B", "Qwen/Qwen3-4B", "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct"}
# Not compared: Gemma's params_b counts its vision tower too; MLA models are not counted from shapes;
# Qwen3-0.6B's catalog count (0.75 B) counts its tied output embedding a second time (its card: 0.6 B).
COUNTED = [repo for repo, a in ARCHITECTURES.items() if not a.is_mla and a.intermediate_size
           and not repo.startswith("google/gemma") and repo != "Qwen/Qwen3-0.6B"]


def config_of(repo: str) -> dict:
    a = ARCHITECTURES[repo]
    return {"hidden_size": a.hidden_size, "num_hidden_layers": a.num_hidden_layers, "vocab_size": a.vocab_size,
            "num_attention_heads": a.num_attention_heads, "num_key_value_heads": a.num_key_value_heads,
            "head_dim": a.head_dim, "intermediate_size": a.intermediate_size, "num_experts": a.num_experts,
            "tie_word_embeddings": repo in TIED}


@pytest.mark.parametrize("repo", COUNTED)
def test_counted_parameters_match_the_published_count(repo):
    assert params_from_config(config_of(repo)) == pytest.approx(ARCHITECTURES[repo].params_b, rel=0.005)


def test_most_of_the_catalog_is_checked():
    assert len(COUNTED) >= 50


def test_mla_models_must_give_their_size():
    with pytest.raises(ValueError, match="give the weight size"):
        params_from_config({**config_of("Qwen/Qwen3-8B"), "kv_lora_rank": 512})
