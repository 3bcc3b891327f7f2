"""Shared pieces of the Kubernetes components: typed args base, and the project's type-token prefix."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pydantic
import pulumi
import pulumi_kubernetes as k8s

from ..core.errors import ConfigError
from ..core.labels import SECRET_KEYS_ANNOTATION
from ..core.validation import problems_from

TOKEN_PREFIX = "llmstack:kubernetes"

# A value that may be a plain value or a Pulumi Output (namespaces, claim and secret names).
InputStr = Any


class ComponentArgs(pydantic.BaseModel):
    """Typed component arguments: a bad one raises a ConfigError naming it (`VllmModelArgs.model.replicas.max: ...`),
    as stack config does, not pydantic's ValidationError."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    if not TYPE_CHECKING:
        # Hidden from type checkers, which keep the typed signature pydantic gives each Args class.
        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except pydantic.ValidationError as err:
                raise ConfigError(problems_from(err, type(self), prefix=type(self).__name__)) from None


def resource_kwargs(manifest: dict) -> dict:
    """A built manifest as keyword arguments of its pulumi-kubernetes resource class: apiVersion and
    kind are implied by the class, top-level fields are snake_case, nested ones stay as built."""
    body = {}
    for key, value in manifest.items():
        if key in ("apiVersion", "kind"):
            continue
        body[re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()] = value
    return body


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def waits_for(opts: "pulumi.ResourceOptions | None") -> list:
    """The `depends_on` a component was given, for the children that must wait too: Pulumi does not
    pass a component's dependencies down to its children."""
    depends_on = opts.depends_on if opts is not None else None
    if depends_on is None:
        return []
    return list(depends_on) if isinstance(depends_on, (list, tuple)) else [depends_on]


def random_passwords(parent: pulumi.Resource, name: str, ids: list[str], length: int = 32) -> dict[str, pulumi.Output]:
    """Generated secrets, one per id, kept in the stack's state (encrypted) and stable across updates."""
    random = extra_package("pulumi_random", "monitoring] or [gateway")  # only the components that generate secrets need it

    provider = random.Provider(f"{name}-random", opts=child(parent))
    return {
        key: pulumi.Output.secret(random.RandomPassword(f"{name}-{key}", length=length, special=False,
                                                        opts=child(parent, provider=provider)).result)
        for key in ids
    }


def custom_resource_kwargs(manifest: dict) -> dict:
    """A custom resource's manifest as CustomResource arguments: api_version and kind are explicit."""
    return {"api_version": manifest["apiVersion"], "kind": manifest["kind"], "metadata": manifest["metadata"],
            "spec": manifest["spec"]}


def replaceable_secret(parent: pulumi.Resource, name: str, *, namespace: Any, labels: dict, string_data: dict,
                       **opts: Any) -> k8s.core.v1.Secret:
    """A Secret named by Pulumi (`<name>-<random suffix>`), for data that changes: keys, tokens, passwords.

    pulumi-kubernetes replaces a Secret whose data changes (its `enableSecretMutable` is off by
    default). With a fixed name the replacement must delete the old object before creating the new
    one, a window in which every reader fails; an auto-named replacement is created first, readers
    switch to it in the same update (they take the name from this resource's output), and only then
    is the old one deleted. So never give a Secret a fixed name; read `.metadata.name` instead.
    Its keys are named in the SECRET_KEYS_ANNOTATION, for review: the values are masked at preview.
    """
    annotations = {SECRET_KEYS_ANNOTATION: ",".join(sorted(string_data))}
    return k8s.core.v1.Secret(
        name, metadata={"namespace": namespace, "labels": labels, "annotations": annotations}, type="Opaque",
        string_data={key: pulumi.Output.secret(value) for key, value in string_data.items()},
        opts=child(parent, **opts),
    )


def extra_package(module: str, extra: str) -> Any:
    """Import a package that only some components need, or say which extra of the wheel brings it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(f"this component needs the package {module}: pip install 'llmstack-components[{extra}]'",
                                  name=module) from err
