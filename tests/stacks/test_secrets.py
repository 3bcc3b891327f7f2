"""The Hugging Face token is a Pulumi secret end to end: a Secret object, referenced by the
populate Job, and never written in plain text to the plan."""

from __future__ import annotations

import kubernetes_validate
import yaml

from tests.conftest import ROOT, plan_in_process, stack_config
from tools.plan import PLACEHOLDER_SECRET
from tools.recorder import SECRET


def test_token_is_a_secret_object_used_by_the_populate_jobs(tmp_path):
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["llmstack:hfToken"] = {"secure": "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB"}
    stack_file = tmp_path / "Pulumi.withtoken.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    out = tmp_path / "out"
    plan = plan_in_process("withtoken", out, stack_file)

    (secret,) = [s for s in plan.objects("Secret") if s.get("stringData") == {"token": SECRET}]
    assert secret["metadata"]["name"].startswith("serving-hf-token-"), "auto-named: a rotation creates the new one first"
    kubernetes_validate.validate(secret, "1.37", strict=True)
    for job in plan.objects("Job"):
        env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": secret["metadata"]["name"], "key": "token"}
    for deployment in plan.model_deployments():
        env = {e["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for e in c["env"]}
        assert "HF_TOKEN" not in env, "serving pods never need the token: weights come from the cache"

    written = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert PLACEHOLDER_SECRET not in written


def test_without_a_token_no_secret_is_created(plans):
    assert [s for s in plans["dev"].objects("Secret") if "token" in s.get("stringData", {})] == []
    for job in plans["dev"].objects("Job"):
        env = {e["name"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "HF_TOKEN" not in env


def test_every_secret_shows_its_keys_with_each_value_masked(plans):
    """pulumi-kubernetes masks a Secret's stringData as one value; the plan shows each key, masked,
    from the keys annotation, and the Secret stays a valid object."""
    from components.core.labels import SECRET_KEYS_ANNOTATION

    seen = 0
    for plan in plans.values():
        for secret in plan.objects("Secret"):
            if "stringData" not in secret:
                continue
            seen += 1
            keys = secret["metadata"]["annotations"][SECRET_KEYS_ANNOTATION].split(",")
            assert secret["stringData"] == {key: SECRET for key in keys}, secret["metadata"]["name"]
            kubernetes_validate.validate(secret, "1.37", strict=True)
    assert seen >= 6, "the API keys, Redis and Grafana passwords, Cloudflare token of the shipped stacks"


def test_the_api_key_secret_names_every_tenant(plans):
    from components.core.labels import SECRET_KEYS_ANNOTATION

    for name, plan in plans.items():
        tenants = sorted(t.name for t in stack_config(name).gateway.tenants)
        (secret,) = [s for s in plan.objects("Secret") if "-api-keys-" in s["metadata"]["name"]]
        assert secret["metadata"]["annotations"][SECRET_KEYS_ANNOTATION] == ",".join(tenants), name
