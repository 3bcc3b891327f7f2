"""The pack as the Pulumi CLI runs it: `python -m pulumi.policy <engine> policy` starts policy/__main__.py,
which serves the analyzer gRPC protocol; the test talks to it as the engine does (GetAnalyzerInfo,
Analyze, AnalyzeStack) with resources from a real plan."""

from __future__ import annotations

import copy
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def analyzer():
    proc = subprocess.Popen([sys.executable, "-m", "pulumi.policy", "127.0.0.1:1", str(ROOT / "policy")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT / "policy")
    try:
        port = int(proc.stdout.readline().decode().strip() or 0)
        assert port, proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "no port"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=20)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _struct(props: dict) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(props)
    return value


def analyze(stub, kind: str, props: dict, urn: str) -> list[str]:
    request = analyzer_pb2.AnalyzeRequest(type=kind, properties=_struct(props), urn=urn, name=urn.rsplit("::", 1)[-1])
    return [d.policyName for d in stub.Analyze(request).diagnostics]


def test_the_cli_sees_every_policy_as_mandatory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "llmstack"
    assert len(info.policies) == 13
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}


def test_analyze_reports_a_planted_violation_and_passes_the_plan(analyzer, plans):
    (deployment,) = [r for r in plans["prod"].resources if r["name"] == "qwen3-8b-deployment"]
    kind, urn = deployment["type"], deployment["urn"]
    assert analyze(analyzer, kind, deployment["inputs"], urn) == []
    broken = copy.deepcopy(deployment["inputs"])
    broken["spec"]["template"]["spec"]["containers"][0]["image"] = "vllm/vllm-openai:latest"
    assert analyze(analyzer, kind, broken, urn) == ["llmstack-images-pinned"]


def test_analyze_stack_reports_a_vllm_deployment_without_a_pdb(analyzer, plans):
    resources = [r for r in plans["prod"].resources if r["custom"] and r["type"].startswith("kubernetes:")
                 and not (r["type"] == "kubernetes:policy/v1:PodDisruptionBudget" and r["name"] == "qwen3-8b-pdb")]
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=r["type"], properties=_struct(r["inputs"]), urn=r["urn"], name=r["name"])
        for r in resources])
    diagnostics = analyzer.AnalyzeStack(request).diagnostics
    assert [(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in diagnostics] == [("llmstack-vllm-pdb", "qwen3-8b-deployment")]


def test_values_unknown_at_preview_are_left_out_not_fatal(analyzer, plans):
    """During a preview the engine sends outputs of resources not yet created as the unknown sentinel."""
    (deployment,) = [r for r in plans["prod"].resources if r["name"] == "qwen3-8b-deployment"]
    props = copy.deepcopy(deployment["inputs"])
    props["spec"]["template"]["spec"]["serviceAccountName"] = UNKNOWN
    props["metadata"]["namespace"] = UNKNOWN
    assert analyze(analyzer, deployment["type"], props, deployment["urn"]) == []


def test_analyze_checks_every_kind_that_carries_pods_and_external_ips(analyzer, plans):
    (deployment,) = [r for r in plans["prod"].resources if r["name"] == "qwen3-8b-deployment"]
    spec = deployment["inputs"]["spec"]
    replicaset = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": deployment["inputs"]["metadata"], "spec": {
        "replicas": spec["replicas"], "selector": spec["selector"], "template": copy.deepcopy(spec["template"])}}
    kind, urn = "kubernetes:apps/v1:ReplicaSet", deployment["urn"].replace("apps/v1:Deployment", "apps/v1:ReplicaSet")
    assert analyze(analyzer, kind, replicaset, urn) == []
    replicaset["spec"]["template"]["spec"]["tolerations"][0]["value"] = "yes"
    assert analyze(analyzer, kind, replicaset, urn) == ["llmstack-gpu-pods-placed"]

    (service,) = [r for r in plans["prod"].resources if r["name"] == "qwen3-8b-service"]
    props = copy.deepcopy(service["inputs"])
    props["spec"]["externalIPs"] = ["203.0.113.10"]
    assert analyze(analyzer, service["type"], props, service["urn"]) == ["llmstack-no-exposed-services"]


def test_the_cli_sees_the_gpu_taints_config(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    (placed,) = [p for p in info.policies if p.name == "llmstack-gpu-pods-placed"]
    schema = placed.configSchema.properties["gpuTaints"]
    assert schema["default"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"   # pulumi's unknown-value sentinel on the wire
