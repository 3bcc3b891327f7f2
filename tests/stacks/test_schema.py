"""Every Kubernetes object of every stack's plan is valid, in strict mode (unknown fields are
errors), for the oldest and newest Kubernetes versions the project supports."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from tests.crds import kinds as custom_kinds
from tests.crds import validate as validate_custom

OLDEST, NEWEST = "1.31", "1.37"
PLACEHOLDERS = {"[secret]", "[unknown until deployed]"}


def known_part(value):
    """The object without fields whose whole value is only known at deploy time (for example the
    stringData of a Secret holding a generated password): nothing can be validated there yet."""
    if isinstance(value, dict):
        return {k: known_part(v) for k, v in value.items() if not (isinstance(v, str) and v in PLACEHOLDERS)}
    if isinstance(value, list):
        return [known_part(v) for v in value]
    return value


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_every_object_is_valid(plan, version):
    failures = []
    custom = custom_kinds()
    for name, obj in plan.manifests.items():
        if obj["kind"] in custom:
            continue  # validated once, against its CRD, below: a CRD's schema does not follow the Kubernetes version
        try:
            kubernetes_validate.validate(known_part(obj), version, strict=True)
        except kubernetes_validate.ValidationError as err:
            failures.append(f"{name}: {err.message} at {'.'.join(str(p) for p in err.path)}")
    assert not failures, "\n".join(failures)


def test_every_custom_resource_is_valid_against_its_crd(plan):
    failures = []
    custom = custom_kinds()
    for name, obj in plan.manifests.items():
        if obj["kind"] not in custom:
            continue
        try:
            validate_custom(known_part(obj))
        except jsonschema.ValidationError as err:
            failures.append(f"{name}: {err.message} at {'.'.join(str(p) for p in err.path)}")
    assert not failures, "\n".join(failures)


def test_validation_catches_an_unknown_field(plan):
    """Guard for the test above: strict mode really rejects a misspelt field."""
    deployment = plan.objects("Deployment")[0]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, NEWEST, strict=True)


def test_plan_has_every_kind_of_serving_object(plan):
    kinds = {o["kind"] for o in plan.manifests.values()}
    assert {"Namespace", "ConfigMap", "PersistentVolumeClaim", "Job", "ServiceAccount", "Deployment",
            "Service", "PodDisruptionBudget"} <= kinds
