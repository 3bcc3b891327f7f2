"""The Hugging Face token is a Pulumi secret end to end: a Secret object, referenced by the
populate Job, and never written in plain text to the plan."""

from __future__ import annotations

import kubernetes_validate
import yaml

from tests.conftest import ROOT, load_plan, run_plan
from tools.plan import PLACEHOLDER_SECRET
from tools.recorder import SECRET


def test_token_is_a_secret_object_used_by_the_populate_jobs(tmp_path):
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["llmstack:hfToken"] = {"secure": "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB"}
    stack_file = tmp_path / "Pulumi.withtoken.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    out = tmp_path / "out"
    proc = run_plan("withtoken", out, stack_file)
    assert proc.returncode == 0, proc.stderr
    plan = load_plan("withtoken", out)

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
