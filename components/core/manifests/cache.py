"""Model cache objects: a PVC holding one directory per pinned revision, and the Job that fills it.

Layout on the volume: /models/<org>--<name>/<revision>/ with a `.llmstack-complete` marker written
only after every file is verified. vLLM pods mount the volume read-only and wait for the marker.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ..catalog.images import FAST_TRANSFER_ENV
from ..cluster import AccessMode, SystemPlacement
from ..model import ModelSpec
from .security import (IMAGE_USER, PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, container_security_context,
                       pod_security_context, scan_exceptions)

COMPONENT = "model-cache"
MOUNT_PATH = "/models"
SCRIPTS_PATH = "/opt/llmstack"
POPULATE_SCRIPT = "populate_cache.py"
MARKER = ".llmstack-complete"
TOKEN_KEY = "token"
"""The key of the Hugging Face token in its Secret."""


def model_dir(model: ModelSpec) -> str:
    return f"{MOUNT_PATH}/{model.repo.replace('/', '--')}/{model.revision}"


def marker_path(model: ModelSpec) -> str:
    return f"{model_dir(model)}/{MARKER}"


def claim_name(model: ModelSpec) -> str:
    return f"{model.name}-cache"


def populate_job_name(model: ModelSpec) -> str:
    """Names a revision: a new revision is a new Job, which leaves the old one's record in place."""
    return f"{model.name}-cache-{model.revision[:8]}"


def persistent_volume_claim(model: ModelSpec, *, namespace: Any, access_mode: AccessMode, labels: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim_name(model), "namespace": namespace, "labels": labels},
        "spec": {
            "accessModes": [access_mode],
            "storageClassName": model.cache.storage_class,
            "resources": {"requests": {"storage": model.cache.size}},
        },
    }


def populate_job(
    model: ModelSpec,
    *,
    namespace: Any,
    claim: Any,
    scripts_configmap: Any,
    token_secret: Optional[Any],
    image: str,
    placement: SystemPlacement,
    labels: dict,
) -> dict:
    env = [
        {"name": "MODEL_REPO", "value": model.repo},
        {"name": "MODEL_REVISION", "value": model.revision},
        {"name": "MODEL_DIR", "value": model_dir(model)},
        {"name": "EXCLUDE", "value": json.dumps(model.cache.exclude)},
        {"name": "HOME", "value": "/tmp"},
        {"name": "HF_HOME", "value": "/tmp/hf"},
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        *({"name": k, "value": v} for k, v in FAST_TRANSFER_ENV.items()),
    ]
    if token_secret is not None:
        env.append({"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": token_secret, "key": TOKEN_KEY}}})
    container = {
        "name": "populate",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", f"{SCRIPTS_PATH}/{POPULATE_SCRIPT}"],
        "env": env,
        "resources": {
            "requests": {"cpu": "1", "memory": "2Gi", "ephemeral-storage": "1Gi"},
            "limits": {"cpu": "4", "memory": "8Gi", "ephemeral-storage": "4Gi"},
        },
        "securityContext": container_security_context(read_only_root=True),
        "volumeMounts": [
            {"name": "cache", "mountPath": MOUNT_PATH},
            {"name": "scripts", "mountPath": SCRIPTS_PATH, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "containers": [container],
        "volumes": [
            {"name": "cache", "persistentVolumeClaim": {"claimName": claim}},
            {"name": "scripts", "configMap": {"name": scripts_configmap, "defaultMode": 0o555}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "4Gi"}},
        ],
    }
    pod.update({key: value for key, value in placement.scheduling().items() if value})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": populate_job_name(model),
            "namespace": namespace,
            "labels": labels,
            # A failed Job (bad token, full volume) is replaced on the next `pulumi up`, not awaited again.
            "annotations": {"pulumi.com/replaceUnready": "true",
                            **scan_exceptions(PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, IMAGE_USER)},
        },
        "spec": {
            # No ttlSecondsAfterFinished: a Job deleted by the cluster would be re-created by the next `pulumi up`.
            "backoffLimit": 4,
            "activeDeadlineSeconds": model.cache.populate_timeout_seconds,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }

