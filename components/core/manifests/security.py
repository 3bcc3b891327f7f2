"""Pod Security "restricted" settings shared by every pod of ours (cdk8s-plus style secure defaults)."""

from __future__ import annotations

from ..catalog.images import VLLM_UID

RUN_AS = VLLM_UID
POD_SECURITY_LEVEL = "restricted"
POD_SECURITY_VERSION = "v1.31"  # the oldest Kubernetes version this project supports


def pod_security_context() -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(read_only_root: bool = True) -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


# Security-scan (checkov) findings that cannot pass for a real reason, each skipped only on the
# objects that carry it, with the reason next to the skip (checkov reads `checkov.io/skipN`).
PULL_IF_NOT_PRESENT = ("CKV_K8S_15", "imagePullPolicy IfNotPresent: every image is a pinned release tag, and pulling "
                       "a multi-GB vLLM image again on each pod start would lengthen every cold start")
TAG_NOT_DIGEST = ("CKV_K8S_43", "images are pinned to release tags in components/core/catalog/images.py; set "
                  "models[].image to tag@sha256:... to pin a digest (none can be resolved offline at preview)")
IMAGE_USER = ("CKV_K8S_40", f"runs as uid {RUN_AS}, the vLLM image's own user, which owns the model files on the "
              "shared cache volume (EFS access points are created for it)")
API_TOKEN = ("CKV_K8S_38", "the endpoint picker watches its model's pods and InferencePool through the Kubernetes API "
             "(a Role on pods and inferencepools, read only): it needs its service account token")
WRITABLE_ROOT = ("CKV_K8S_22", "vLLM, Triton and torch.compile write caches outside HOME and /tmp in places not yet "
                 "mapped on a real cluster; the root filesystem stays writable, with no privilege escalation")


def scan_exceptions(*skips: tuple[str, str]) -> dict[str, str]:
    """Annotations that skip these checkov checks on one object, each with its reason."""
    return {f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(skips, 1)}


def namespace_labels(level: str = POD_SECURITY_LEVEL) -> dict[str, str]:
    """Pod Security admission labels; "privileged" only for namespaces of node agents (GPU drivers)."""
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = POD_SECURITY_VERSION
    return labels
