"""Hugging Face repos that are gated: a download needs the token of an account that accepted the
repo's terms (and, for `manual` gates, was approved by its owner). Without one the populate Job
fails with 401/403 after the pods are scheduled.

Researched 2026-12-02 from stored public sources (no live Hugging Face access); gating is a repo
setting and can change, so a match is a warning, never an error.
- Organisations that gate every repo: meta-llama (Llama licence; `gated: "manual"` in Hugging Face
  API responses for Llama-3.1-8B-Instruct and Llama-3.2-1B-Instruct stored in
  daniel-p-green/alain-ai-learning-platform@1b33775 out/research-*/sources/huggingface/model.json;
  GatedRepoError for Llama-3.2-1B-Instruct in sgl-project/sglang#14644), and google's Gemma repos
  (Gemma licence; gemma-3-1b-it `gated: "manual"` in the same API responses; "Access to model
  google/gemma-2-2b-it is restricted" in city96/ComfyUI_ExtraModels#99).
- Single repos: mistralai/Mixtral-8x7B-Instruct-v0.1 (GatedRepoError in modal-labs/modal-examples#703,
  a 403 in huggingface/transformers#31367); mistralai/Mistral-7B-Instruct-v0.3 (Mistral gated its
  repos in April 2024, anyscale/templates#179 and sgl-project/sglang#387; v0.3 carries the same gate
  text in its README).
Known not gated (API `gated: false`): Qwen, deepseek-ai and openai/gpt-oss repos, and the Llama
quantizations of neuralmagic and hugging-quants, which anyone may download.
"""

from __future__ import annotations

from typing import Optional

GATED_PREFIXES: dict[str, str] = {
    "meta-llama/": "every meta-llama repo: accept the Llama licence on the model page",
    "google/gemma": "every Gemma repo: accept the Gemma licence on the model page",
}
GATED_REPOS: dict[str, str] = {
    "mistralai/Mixtral-8x7B-Instruct-v0.1": "share your contact details on the model page",
    "mistralai/Mistral-7B-Instruct-v0.3": "share your contact details on the model page",
}


def gate(repo: str) -> Optional[str]:
    """How access to a gated repo is granted, or None where the repo is not known to be gated."""
    if repo in GATED_REPOS:
        return GATED_REPOS[repo]
    return next((how for prefix, how in GATED_PREFIXES.items() if repo.startswith(prefix)), None)
