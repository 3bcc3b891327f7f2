"""Run the real stack program under Pulumi's unit-test mocks and record what it registers.

The mocks behave like a preview of a first deployment: a resource's outputs are its inputs, and
anything else (ids, provider-computed fields) is unknown until deployed. Every registration is
recorded with its type, name, parent, provider, resource options and inputs, with secrets masked.
Nothing here changes what the program does under a real engine; it only observes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc

from components.core.labels import SECRET_KEYS_ANNOTATION

SECRET = "[secret]"
SECRET_TYPE = "kubernetes:core/v1:Secret"
UNKNOWN = "[unknown until deployed]"

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


CERT_MANAGER = "kubernetes-cert-manager:index:CertManager"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: Optional[str]
    provider: Optional[str]
    inputs: dict
    options: dict = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    autonamed: bool = False
    """Declared without metadata.name: the provider names it (see `autonamed`)."""

    @property
    def is_helm_release(self) -> bool:
        return self.type == HELM_RELEASE

    @property
    def is_kubernetes_object(self) -> bool:
        return self.custom and self.type.startswith("kubernetes:") and not self.is_helm_release

    def to_json(self) -> dict:
        out = {
            "type": self.type,
            "name": self.name,
            "urn": self.urn,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
        }
        if self.options:
            out["options"] = self.options
        if self.dependencies:
            out["dependsOn"] = self.dependencies
        if self.autonamed:
            out["autonamed"] = True
        return out


def plain(value: Any) -> Any:
    """A JSON value of a wire property: secrets masked, unknowns made explicit, integers kept."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _masked(plain(value.get("value")))
        if value.get(_SIG_KEY) == _RESOURCE_SIG:
            return {"resource": value.get("urn")}
        if value.get(_SIG_KEY) == _OUTPUT_SIG:
            if value.get("secret"):
                return _masked(plain(value.get("value")))
            return plain(value["value"]) if "value" in value else UNKNOWN
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _masked(value: Any) -> Any:
    """A secret keeps its shape (keys of a map stay visible for review); every leaf is masked."""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return SECRET


def _struct(message: Any) -> dict:
    return json_format.MessageToDict(message) if message is not None else {}


def _options(request: Any) -> dict:
    options: dict[str, Any] = {}
    if request.protect:
        options["protect"] = True
    if getattr(request, "retainOnDelete", False):
        options["retainOnDelete"] = True
    if request.deleteBeforeReplace:
        options["deleteBeforeReplace"] = True
    if list(request.ignoreChanges):
        options["ignoreChanges"] = sorted(request.ignoreChanges)
    if list(request.replaceOnChanges):
        options["replaceOnChanges"] = sorted(request.replaceOnChanges)
    timeouts = request.customTimeouts
    if timeouts and (timeouts.create or timeouts.update or timeouts.delete):
        options["customTimeouts"] = {k: v for k, v in (("create", timeouts.create), ("update", timeouts.update), ("delete", timeouts.delete)) if v}
    return options


def _provider_urn(reference: str) -> Optional[str]:
    """A provider reference is `<urn>::<id>`; the URN names it."""
    return reference.rsplit("::", 1)[0] if reference else None


def autoname(type_: str, name: str) -> str:
    """The name pulumi-kubernetes gives an object declared without metadata.name: the resource name,
    a dash and 8 random characters, chosen in `Check`, so already known at preview. Here the suffix
    is a hash of type and name instead of random, so plans are reproducible."""
    return f"{name}-{hashlib.sha1(f'{type_}::{name}'.encode()).hexdigest()[:8]}"


def autonamed(type_: str, name: str, inputs: dict) -> dict:
    """Inputs with metadata.name filled in as the Kubernetes provider would (objects only)."""
    if not type_.startswith("kubernetes:") or type_ == HELM_RELEASE or type_.startswith("kubernetes:index"):
        return inputs
    metadata = inputs.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("name"):
        return inputs
    return {**inputs, "metadata": {**metadata, "name": autoname(type_, name)}}


def secret_shape(type_: str, inputs: dict) -> dict:
    """A Secret's stringData as a map of its keys to masked values, where the whole map is masked.

    pulumi-kubernetes wraps stringData in one secret Output, unknown at preview while any value is
    (a generated password); the keys are then known only from the annotation each Secret of ours
    carries (components.core.labels.SECRET_KEYS_ANNOTATION). So the plan shows which keys a change
    adds or removes, and stays a valid object."""
    if type_ != SECRET_TYPE or inputs.get("stringData") != SECRET:
        return inputs
    keys = ((inputs.get("metadata") or {}).get("annotations") or {}).get(SECRET_KEYS_ANNOTATION)
    if not isinstance(keys, str) or not keys:
        return inputs
    return {**inputs, "stringData": {key: SECRET for key in keys.split(",")}}


def _unknown_ip_addresses(state: dict) -> dict:
    """A new Filestore instance's addresses exist only once it is created."""
    from pulumi.runtime import rpc

    state["networks"] = [{**network, "ipAddresses": rpc.UNKNOWN} for network in state.get("networks") or []]
    return state


def _unknown_name(state: dict) -> dict:
    """An azure-native resource's `name` output is read back from Azure once it exists; in a preview
    of a new one it is unknown, so what waits on it (the AKS credentials invoke) is not run."""
    from pulumi.runtime import rpc

    return {**state, "name": rpc.UNKNOWN}


# Outputs a provider computes on create, which a real preview shows as unknown (the mocks' own
# answer would otherwise be the inputs, which lack them): resource type -> how to mark them.
COMPUTED_ON_CREATE = {"gcp:filestore/instance:Instance": _unknown_ip_addresses,
                      "azure-native:containerservice:ManagedCluster": _unknown_name}


class PreviewMocks(mocks.Mocks):
    """Outputs are the inputs (with the provider's auto-naming), and outputs computed on create are
    unknown, as in a preview; ids are placeholders, as nothing reads them."""

    def new_resource(self, args: mocks.MockResourceArgs):
        state = autonamed(args.typ, args.name, dict(args.inputs))
        computed = COMPUTED_ON_CREATE.get(args.typ)
        return (f"{args.name}-id" if args.custom else None), computed(dict(state)) if computed else state

    def call(self, args: mocks.MockCallArgs):
        return {}


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, mocks_: mocks.Mocks) -> None:
        super().__init__(mocks_)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            declared = plain(_struct(request.object))
            named = autonamed(request.type, request.name, declared)
            inputs = secret_shape(request.type, named)
            self.registrations.append(Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=_provider_urn(request.provider),
                inputs=inputs,
                options=_options(request),
                dependencies=sorted(set(request.dependencies)),
                autonamed=named is not declared,
            ))
        return response


    def ReadResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().ReadResource(request)
        self.registrations.append(Registration(
            urn=response.urn, type=request.type, name=request.name, custom=True, parent=request.parent or None,
            provider=_provider_urn(request.provider), inputs=plain(_struct(request.properties)), options={"read": request.id},
        ))
        return response


@dataclass
class Recording:
    registrations: list[Registration]
    outputs: dict[str, Any]

    def kubernetes_objects(self) -> list[dict]:
        return [r.inputs for r in self.registrations if r.is_kubernetes_object]

    def helm_releases(self) -> list[dict]:
        releases = [r.inputs for r in self.registrations if r.is_helm_release]
        return releases + [cert_manager_release(r.inputs) for r in self.by_type(CERT_MANAGER)]

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]


def cert_manager_release(inputs: dict) -> dict:
    """The Helm release pulumi-kubernetes-cert-manager 0.2.0 makes of its inputs (its plugin does that,
    not the mocks): helmOptions, with each typed argument laid over helmOptions.values by chart key."""
    release = dict(inputs["helmOptions"])
    release["values"] = {**release.get("values", {}), **{k: v for k, v in inputs.items() if k != "helmOptions"}}
    return release


def record(program: Callable[[], Any], *, project: str, stack: str, config: dict[str, str], secret_keys: list[str],
           monitor: Optional[RecordingMonitor] = None) -> Recording:
    """Run `program` (the stack's main function) under recording mocks, as `pulumi preview` would."""
    monitor = monitor or RecordingMonitor(PreviewMocks())
    pulumi.runtime.set_all_config(config, secret_keys)
    # A fresh root stack per recording, so several recordings can run in one process (tests).
    pulumi.runtime.settings.set_root_resource(None)
    mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor)

    outputs: dict[str, Any] = {}

    @mocks.test
    def run():
        program()
        return _collect_exports(outputs)

    run()
    registrations = sorted(monitor.registrations, key=lambda r: r.urn)
    return Recording(registrations, dict(sorted(outputs.items())))


async def _collect_exports(into: dict[str, Any]) -> None:
    root = pulumi.runtime.get_root_resource()
    for key, value in dict(getattr(root, "outputs", {})).items():
        out = pulumi.Output.from_input(value)
        if await out.is_secret():
            into[key] = SECRET
        elif not await out.is_known():
            into[key] = UNKNOWN
        else:
            into[key] = plain(json.loads(json.dumps(await out.future(), default=str)))
