"""What decides a model's GPU memory: its weights and the shape of its attention.

An Architecture comes from the catalog (`catalog/architectures.yaml`, one entry per Hugging
Face repo with its source), from stack config (`models[i].architecture`, the same fields), or from a
copy of the model's `config.json` plus its weight size (`Architecture.from_config_json`). Nothing
here needs the network.
"""

from __future__ import annotations

from typing import Literal, Optional

import pydantic

from .base import Spec

WeightDtype = Literal["bfloat16", "float16", "float32"]
Quantization = Literal["awq", "gptq", "fp8", "mxfp4", "int8"]

# Bytes per parameter of the weights as stored; quantized formats include their scales and zeros.
DTYPE_BYTES = {"float32": 4.0, "bfloat16": 2.0, "float16": 2.0}
QUANTIZED_BYTES = {"fp8": 1.0, "int8": 1.0, "awq": 0.5, "gptq": 0.5, "mxfp4": 4.25 / 8}


class Architecture(Spec):
    """The numbers of a model's `config.json` (text part) that decide its memory, and its size."""

    params_b: float = pydantic.Field(gt=0, description="total parameters, billions")
    weights_gib: Optional[float] = pydantic.Field(
        default=None, gt=0, description="size of the published weights in GiB; derived from params and dtype when unset"
    )
    dtype: WeightDtype = "bfloat16"
    quantization: Optional[Quantization] = None
    num_hidden_layers: int = pydantic.Field(ge=1)
    hidden_size: int = pydantic.Field(ge=1)
    num_attention_heads: int = pydantic.Field(ge=1)
    num_key_value_heads: int = pydantic.Field(ge=1)
    head_dim: Optional[int] = pydantic.Field(default=None, ge=1, description="default hidden_size / num_attention_heads")
    vocab_size: int = pydantic.Field(ge=1)
    max_position_embeddings: int = pydantic.Field(ge=1)
    intermediate_size: Optional[int] = None
    sliding_window: Optional[int] = pydantic.Field(default=None, ge=1, description="window of the sliding-window layers")
    sliding_window_layers: int = pydantic.Field(default=0, ge=0, description="how many layers use the sliding window")
    kv_lora_rank: Optional[int] = pydantic.Field(default=None, description="MLA (DeepSeek V2/V3): compressed KV rank")
    qk_rope_head_dim: Optional[int] = None
    num_experts: Optional[int] = None
    num_experts_per_tok: Optional[int] = None
    active_params_b: Optional[float] = None
    source: str = pydantic.Field(default="", description="where these numbers come from")

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "Architecture":
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("numAttentionHeads must be a multiple of numKeyValueHeads")
        if self.sliding_window_layers > self.num_hidden_layers:
            raise ValueError("slidingWindowLayers cannot exceed numHiddenLayers")
        if self.sliding_window_layers and self.sliding_window is None:
            raise ValueError("slidingWindowLayers needs slidingWindow")
        if (self.kv_lora_rank is None) != (self.qk_rope_head_dim is None):
            raise ValueError("MLA needs both kvLoraRank and qkRopeHeadDim")
        return self

    @property
    def kv_head_dim(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank is not None

    @property
    def full_attention_layers(self) -> int:
        return self.num_hidden_layers - self.sliding_window_layers

    @property
    def weight_bytes_per_param(self) -> float:
        if self.quantization:
            return QUANTIZED_BYTES[self.quantization]
        return DTYPE_BYTES[self.dtype]

    @property
    def expert_params_b(self) -> float:
        """Parameters of the routed experts' MLPs (gate, up and down of each), billions; 0 for dense models."""
        if not self.num_experts or not self.intermediate_size:
            return 0.0
        return min(self.params_b, 3 * self.hidden_size * self.intermediate_size * self.num_experts * self.num_hidden_layers / 1e9)

    @property
    def total_weights_gib(self) -> float:
        """The weights as loaded, across all GPUs."""
        if self.weights_gib is not None:
            return self.weights_gib
        if self.quantization == "mxfp4":
            # MXFP4 checkpoints quantize only the experts' MLPs (4-bit values and one 8-bit scale per 32);
            # attention, router, embeddings and output head stay in the checkpoint's dtype.
            experts = self.expert_params_b
            rest = self.params_b - experts
            return (experts * QUANTIZED_BYTES["mxfp4"] + rest * DTYPE_BYTES[self.dtype]) * 1e9 / 2**30
        return self.params_b * 1e9 * self.weight_bytes_per_param / 2**30

    @classmethod
    def from_config_json(cls, config: dict, *, params_b: Optional[float] = None, weights_gib: Optional[float] = None,
                         source: str = "config.json") -> "Architecture":
        """From a model's `config.json` (multimodal configs: their `text_config`). Without `params_b`,
        the parameters are counted from the shapes (`params_from_config`)."""
        text = {**config, **config.get("text_config", {})}
        if params_b is None:
            params_b = params_from_config(config)
        quant = (text.get("quantization_config") or {}).get("quant_method")
        layer_types = text.get("layer_types") or []
        sliding = sum(1 for t in layer_types if t == "sliding_attention")
        window = text.get("sliding_window") if (sliding or text.get("use_sliding_window", True)) else None
        if window and not layer_types:
            sliding = text["num_hidden_layers"]  # every layer slides (Mistral 7B v0.1 style)
        return cls(
            params_b=params_b, weights_gib=weights_gib,
            dtype=text.get("torch_dtype") or text.get("dtype") or "bfloat16",
            quantization={"compressed-tensors": "fp8"}.get(quant, quant),
            num_hidden_layers=text["num_hidden_layers"], hidden_size=text["hidden_size"],
            num_attention_heads=text["num_attention_heads"],
            num_key_value_heads=text.get("num_key_value_heads") or text["num_attention_heads"],
            head_dim=text.get("head_dim"), vocab_size=text["vocab_size"],
            max_position_embeddings=text["max_position_embeddings"], intermediate_size=text.get("intermediate_size"),
            sliding_window=window if sliding else None, sliding_window_layers=sliding,
            kv_lora_rank=text.get("kv_lora_rank"), qk_rope_head_dim=text.get("qk_rope_head_dim"),
            num_experts=text.get("num_experts") or text.get("num_local_experts"),
            num_experts_per_tok=text.get("num_experts_per_tok"), source=source,
        )


def params_from_config(config: dict) -> float:
    """Parameters (billions) of a decoder-only transformer counted from its `config.json` shapes:
    embeddings (and an untied output head), and per layer the attention projections and the MLP
    (every expert's, plus shared experts and the router, for mixture-of-experts models). Norms and
    biases are left out (well under 0.1 %). MLA attention (DeepSeek) has low-rank projections this
    does not count: give such a model's size instead (its safetensors index's total_size)."""
    text = {**config, **config.get("text_config", {})}
    if text.get("kv_lora_rank") is not None:
        raise ValueError("MLA attention (kv_lora_rank) is not counted from config.json: give the weight size")
    hidden, layers, vocab = text["hidden_size"], text["num_hidden_layers"], text["vocab_size"]
    heads = text["num_attention_heads"]
    kv_heads = text.get("num_key_value_heads") or heads
    head_dim = text.get("head_dim") or hidden // heads
    attention = hidden * head_dim * (2 * heads + 2 * kv_heads)  # q and o; k and v
    experts = text.get("num_experts") or text.get("num_local_experts") or text.get("n_routed_experts") or 0
    if experts:
        expert_width = text.get("moe_intermediate_size") or text["intermediate_size"]
        shared = (text.get("n_shared_experts") or 0) * expert_width + (text.get("shared_expert_intermediate_size") or 0)
        mlp = 3 * hidden * (experts * expert_width + shared) + hidden * experts
    else:
        mlp = 3 * hidden * text["intermediate_size"]
    embeddings = vocab * hidden * (1 if text.get("tie_word_embeddings") else 2)
    return (embeddings + layers * (attention + mlp)) / 1e9
