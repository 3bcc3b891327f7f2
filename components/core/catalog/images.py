"""Every container image the project runs, pinned. A bump is a one-line diff here, and the plan
snapshots show every object it changes.

Sources (vLLM 0.33.0 release, PyPI sdist of the tagged commit):
- .buildkite/scripts/publish-release-images.sh: release images are tagged `vllm/vllm-openai:v<X.Y.Z>`
  (CUDA 13.0 default family) and `vllm/vllm-openai-cpu:v<X.Y.Z>-x86_64` / `-arm64`.
- docker/Dockerfile: ENTRYPOINT ["vllm", "serve"]; user `vllm` (uid 2000) exists, image runs as root;
  CUDA 13.0.3 needs an R580+ host driver (docs/getting_started/installation/gpu.cuda.inc.md).
- docker/Dockerfile.cpu: ENTRYPOINT ["vllm", "serve"]; no vllm user.
- huggingface_hub >= 1.31 in the image (requirements/common.txt): hf_transfer is gone
  (HF_HUB_ENABLE_HF_TRANSFER has no effect); hf-xet is a hard dependency, tuned for throughput
  by HF_XET_HIGH_PERFORMANCE (huggingface_hub constants.py, docs/environment_variables.md).
"""

from __future__ import annotations

from dataclasses import dataclass

VLLM_VERSION = "0.33.0"


@dataclass(frozen=True)
class Image:
    repository: str
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


VLLM_GPU = Image("vllm/vllm-openai", f"v{VLLM_VERSION}")
VLLM_CPU = Image("vllm/vllm-openai-cpu", f"v{VLLM_VERSION}-x86_64")

# uid of the `vllm` user of the GPU image; used for every pod of ours so files the populate Job
# writes are owned by the user that serves them.
VLLM_UID = 2000

FAST_TRANSFER_ENV = {"HF_XET_HIGH_PERFORMANCE": "1"}

# Redis for Envoy Gateway's global rate limits (request and token counters; nothing persisted).
# The tag of envoyproxy/ai-gateway v1.1.0 examples/token_ratelimit/redis.yaml. Its entrypoint runs
# redis-server as whatever non-root user it is started as (it only drops privileges when root), and
# the only writable path, /data, is an emptyDir: a high uid avoids any clash with host users.
# The Gateway API Inference Extension's endpoint picker, v1.5.0 (kubernetes-sigs/gateway-api-inference-extension
# df9f8909; the last release that ships it, v1.6.0 moved it to llm-d/llm-d-router): distroless static,
# user nonroot (65532); core/endpoint_picker.py.
ENDPOINT_PICKER = Image("registry.k8s.io/gateway-api-inference-extension/epp", "v1.5.0")
ENDPOINT_PICKER_UID = 65532
REDIS = Image("docker.io/library/redis", "8.2.4-alpine3.22")
REDIS_UID = REDIS_GID = 65532
# envoyproxy/ratelimit build that AI Gateway v1.1.0 runs for token limits
# (examples/token_ratelimit/envoy-gateway-values-addon.yaml); Envoy Gateway v1.8.3 defaults to 1e50889b.
ENVOY_RATELIMIT = Image("docker.io/envoyproxy/ratelimit", "60d8e81b")
