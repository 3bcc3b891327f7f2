"""The estimator against real vLLM start-ups (tests/data/vllm_startup_logs.yaml, each record cited).

Figures are printed at the end of every test run (see tests/conftest.py). The logs come from vLLM
mid-2024 to 0.21, whose accounting differs in details from the pinned 0.33, so the bars are: median
KV-cache error under 10 %, and no configuration vLLM refused reported as fitting.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from components.capacity import estimate

DATA = Path(__file__).resolve().parent.parent / "data" / "vllm_startup_logs.yaml"
RECORDS = yaml.safe_load(DATA.read_text())
# Weights taken from these very logs (vLLM's loaded size differs from the checkpoint's): their
# weight error is not independent evidence and is left out of the weight figures.
# (Not gpt-oss: its loaded size is computed from its shapes and the kernels vLLM picks.)
WEIGHTS_FROM_LOGS = {"meta-llama/Llama-3.1-405B-Instruct-FP8"}


@dataclass
class Report:
    kv: list[float] = field(default_factory=list)
    tokens: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    agree: int = 0
    compared: int = 0
    false_fits: list[str] = field(default_factory=list)
    false_refusals: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def figure(name, errors):
            return f"  {name:<30} n={len(errors):<3} median {statistics.median(errors):6.1%}   worst {max(errors):6.1%}"
        return [
            f"capacity estimator vs {len(RECORDS)} real vLLM start-ups ({DATA.name}):",
            figure("available KV cache memory", self.kv),
            figure("KV cache tokens", self.tokens),
            figure("weights per GPU", self.weights),
            f"  fits / does not fit agreement  {self.agree}/{self.compared}; refused by vLLM but estimated to fit: "
            f"{len(self.false_fits)}; started but estimated not to fit: {len(self.false_refusals)} {self.false_refusals or ''}",
            f"  not compared: {', '.join(self.excluded)}",
        ]


def evaluate() -> Report:
    report = Report()
    for record in RECORDS:
        est = estimate(
            record["model"], record["gpu"], tensor_parallel_size=record["tensor_parallel_size"],
            gpu_memory_utilization=record["gpu_memory_utilization"], max_model_len=record["max_model_len"],
            max_num_batched_tokens=record.get("max_num_batched_tokens"), max_num_seqs=record.get("max_num_seqs"),
            mxfp4_backend=record.get("mxfp4_backend"),
        )
        observed, outcome = record["observed"], record["outcome"]
        if "model_loading_gib" in observed and record["model"] not in WEIGHTS_FROM_LOGS:
            report.weights.append(abs(est.weights_gib - observed["model_loading_gib"]) / observed["model_loading_gib"])
        if outcome not in ("starts", "fails"):
            report.excluded.append(f"{record['id']} ({outcome})")
            continue
        if outcome == "starts" and observed.get("available_kv_cache_gib", 0) > 0:
            report.kv.append(abs(est.kv_cache_gib - observed["available_kv_cache_gib"]) / observed["available_kv_cache_gib"])
        if outcome == "starts" and observed.get("kv_cache_tokens"):
            report.tokens.append(abs(est.kv_cache_tokens - observed["kv_cache_tokens"]) / observed["kv_cache_tokens"])
        report.compared += 1
        report.agree += est.fits == (outcome == "starts")
        if outcome == "fails" and est.fits:
            report.false_fits.append(record["id"])
        if outcome == "starts" and not est.fits:
            report.false_refusals.append(record["id"])
    return report


@pytest.fixture(scope="module")
def report(request) -> Report:
    result = evaluate()
    request.config.capacity_report = result.lines()
    return result


def test_the_dataset_is_cited_and_complete():
    assert len(RECORDS) >= 20
    for record in RECORDS:
        assert record["source"].startswith(("https://", "github.com")) or "@" in record["source"], record["id"]
        assert record["quote"].strip(), record["id"]
        assert record["outcome"] in ("starts", "fails", "runtime-oom", "inconsistent")
    assert sum(r["outcome"] == "fails" for r in RECORDS) >= 6


def test_kv_cache_memory_median_error_is_under_ten_percent(report):
    assert statistics.median(report.kv) < 0.10, report.lines()


def test_weights_median_error_is_under_five_percent(report):
    assert statistics.median(report.weights) < 0.05, report.lines()


def test_no_configuration_vllm_refused_is_reported_as_fitting(report):
    assert not report.false_fits, report.lines()


def test_most_verdicts_agree(report):
    assert report.agree >= 0.9 * report.compared, report.lines()


def test_mxfp4_loaded_size_matches_every_gpt_oss_log():
    """gpt-oss as vLLM holds it per GPU, computed from its shapes and the MoE kernel (Marlin, Triton
    before and after it freed the original scales), against every log that states it: none of these
    figures was used to set a constant."""
    checked = 0
    for record in RECORDS:
        loaded = record["observed"].get("model_loading_gib")
        if not record["model"].startswith("openai/gpt-oss") or loaded is None:
            continue
        est = estimate(record["model"], record["gpu"], tensor_parallel_size=record["tensor_parallel_size"],
                       mxfp4_backend=record.get("mxfp4_backend"))
        assert est.weights_gib == pytest.approx(loaded, rel=0.01), record["id"]
        checked += 1
    assert checked >= 7
