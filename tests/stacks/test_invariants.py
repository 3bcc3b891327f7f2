"""Cross-object invariants of every stack's plan: the mistakes that produce pods that never
schedule, Services with no endpoints, and volumes that do not exist."""

from __future__ import annotations

import re

from components.core import keda_http
from components.core.catalog.gpus import GPU_PRODUCT_LABEL, GPU_RESOURCE, GPUS, SHARED_SUFFIX
from tests.conftest import stack_config

WORKLOAD_KINDS = ("Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController")


def pod_templates(plan):
    """Every pod an object of the plan declares, whatever kind carries it."""
    for obj in plan.manifests.values():
        if obj["kind"] in WORKLOAD_KINDS:
            yield obj, obj["spec"]["template"]
        elif obj["kind"] == "CronJob":
            yield obj, obj["spec"]["jobTemplate"]["spec"]["template"]
        elif obj["kind"] == "Pod":
            yield obj, {"metadata": obj["metadata"], "spec": obj["spec"]}


def test_no_pod_carrying_kind_is_missed(plan):
    for obj in plan.manifests.values():
        if "containers" in str(obj.get("spec", ""))[:100000] and obj["kind"] not in ("ConfigMap",):
            assert any(o is obj for o, _ in pod_templates(plan)), f"{obj['kind']} carries pods the invariants do not check"


def containers(pod_spec):
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def test_every_service_selects_pods_and_targets_a_named_port(plan):
    for service in plan.objects("Service"):
        ns, selector = service["metadata"]["namespace"], service["spec"]["selector"]
        if selector == keda_http.pod_labels("interceptor"):
            continue  # the chart's pods, not rendered here: tests/unit/test_keda_http.py checks their labels

        matches = [
            template for obj, template in pod_templates(plan)
            if obj["metadata"]["namespace"] == ns
            and selector.items() <= template["metadata"]["labels"].items()
        ]
        assert matches, f"Service {service['metadata']['name']} selects no pods"
        for port in service["spec"]["ports"]:
            assert isinstance(port["targetPort"], str), f"{service['metadata']['name']}: targetPort must be a name"
            for template in matches:
                names = {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
                assert port["targetPort"] in names, f"{service['metadata']['name']}: no container port {port['targetPort']}"


def test_deployments_select_their_own_template(plan):
    for deployment in plan.objects("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_gpu_pods_tolerate_their_pool_and_request_tensor_parallel_gpus(plan):
    config = stack_config(plan.stack)
    cluster = config.cluster.contract()
    for model in config.models:
        pool = cluster.pool(model.pool)
        pod = plan.manifests[f"deployment-{config.serving.namespace}-{model.name}.yaml"]["spec"]["template"]["spec"]
        vllm = pod["containers"][0]
        tolerated = {(t["key"], t.get("value", ""), t["effect"]) for t in pod.get("tolerations", [])}
        assert tolerated == {(t.key, t.value, t.effect) for t in pool.taints}, model.name
        limits = vllm["resources"]["limits"]
        if pool.is_gpu:
            assert limits[GPU_RESOURCE] == model.engine.tensor_parallel_size
            assert limits[GPU_RESOURCE] <= pool.gpus_per_node
            assert pool.max_nodes * pool.gpus_per_node * pool.gpu_sharing >= model.replicas.max * limits[GPU_RESOURCE]
            expressions = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
                "nodeSelectorTerms"][0]["matchExpressions"]
            product = next(e for e in expressions if e["key"] == GPU_PRODUCT_LABEL)
            shared = SHARED_SUFFIX if pool.gpu_sharing > 1 else ""
            assert set(product["values"]) == {label + shared for label in GPUS[pool.gpu].product_labels}
        else:
            assert GPU_RESOURCE not in limits


def test_no_workload_without_gpus_tolerates_a_gpu_taint(plan):
    gpu_taints = stack_config(plan.stack).cluster.contract().gpu_taint_keys
    for obj, template in pod_templates(plan):
        wants_gpu = any(GPU_RESOURCE in c.get("resources", {}).get("limits", {}) for c in template["spec"]["containers"])
        if not wants_gpu:
            keys = {t.get("key") for t in template["spec"].get("tolerations", [])}
            assert not keys & gpu_taints, f"{obj['metadata']['name']} tolerates a GPU taint without using a GPU"


def test_every_referenced_volume_secret_and_configmap_exists(plan):
    def exists(kind, ns, name):
        scope = ns if kind != "Namespace" else "cluster"
        return f"{kind.lower()}-{scope}-{name}.yaml" in plan.manifests

    for obj, template in pod_templates(plan):
        ns = obj["metadata"]["namespace"]
        for volume in template["spec"].get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert exists("PersistentVolumeClaim", ns, volume["persistentVolumeClaim"]["claimName"])
            if "configMap" in volume:
                assert exists("ConfigMap", ns, volume["configMap"]["name"])
            if "secret" in volume:
                assert exists("Secret", ns, volume["secret"]["secretName"])
        for container in containers(template["spec"]):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert exists("Secret", ns, ref["name"]), f"{obj['metadata']['name']} uses missing Secret {ref['name']}"
        assert exists("Namespace", None, ns)


def test_every_image_is_pinned(plan):
    for obj, template in pod_templates(plan):
        for container in containers(template["spec"]):
            image = container["image"]
            assert "@sha256:" in image or re.search(r":[\w][\w.-]*$", image), f"{image} has no tag"
            assert not image.endswith(":latest"), image


def test_serving_pods_read_weights_only_from_the_read_only_cache(plan):
    for deployment in plan.model_deployments():
        pod = deployment["spec"]["template"]["spec"]
        claims = {v["name"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
        assert claims
        for container in containers(pod):
            for mount in container.get("volumeMounts", []):
                if mount["name"] in claims:
                    assert mount.get("readOnly") is True, f"{container['name']} mounts the cache writable"
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["HF_HUB_OFFLINE"] == "1"


def test_serving_pods_drain_before_they_stop(plan):
    from components.core.placement import surge_rollouts

    config = stack_config(plan.stack)
    surge = surge_rollouts(config.models, config.cluster.contract())
    for deployment in plan.model_deployments():
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        vllm = pod["containers"][0]
        assert pod["terminationGracePeriodSeconds"] >= 120
        assert "preStop" in vllm["lifecycle"]
        args = vllm["args"]
        shutdown = int(args[args.index("--shutdown-timeout") + 1])
        assert 0 < shutdown < pod["terminationGracePeriodSeconds"] - vllm["lifecycle"]["preStop"]["sleep"]["seconds"]
        # Start the new pod first where the pool has room for it; else one at a time (a surge pod would never schedule).
        expected = {"maxUnavailable": 0, "maxSurge": 1} if surge[deployment["metadata"]["name"]] else {"maxUnavailable": 1, "maxSurge": 0}
        assert spec["strategy"]["rollingUpdate"] == expected
        startup = vllm["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 600


def test_every_kubernetes_resource_uses_the_explicit_provider(plan):
    providers = {r["urn"] for r in plan.resources if r["type"] == "pulumi:providers:kubernetes"}
    assert len(providers) == 1
    for resource in plan.resources:
        if resource["custom"] and resource["type"].startswith("kubernetes:"):
            assert resource["provider"] in providers, f"{resource['name']} would use a default provider"


def test_every_object_carries_cost_labels(plan):
    for name, obj in plan.manifests.items():
        labels = obj["metadata"].get("labels", {})
        assert {"team", "environment"} <= labels.keys(), name
    for obj, template in pod_templates(plan):
        labels = template["metadata"]["labels"]
        assert {"team", "environment"} <= labels.keys(), obj["metadata"]["name"]
        if obj["metadata"]["namespace"] == stack_config(plan.stack).serving.namespace:
            assert "model" in labels, f"{obj['metadata']['name']}: serving pods are attributed to their model"


def test_every_component_child_is_parented(plan):
    components = {r["urn"] for r in plan.resources if not r["custom"]}
    for resource in plan.resources:
        if resource["type"] != "pulumi:providers:kubernetes" and resource["custom"]:
            assert resource["parent"] in components, f"{resource['name']} is not parented to a component"


def test_every_claim_asks_its_class_for_an_access_mode_the_class_offers(plan):
    """And a cache shared by several replicas is ReadWriteMany, so pods on different nodes can mount it."""
    config = stack_config(plan.stack)
    cluster = config.cluster.contract()
    classes_in_plan = {o["metadata"]["name"]: o for o in plan.objects("StorageClass")}
    for model in config.models:
        claim = plan.manifests[f"persistentvolumeclaim-{config.serving.namespace}-{model.name}-cache.yaml"]
        klass = cluster.storage_class(claim["spec"]["storageClassName"])
        assert klass is not None, f"{model.name}: class {claim['spec']['storageClassName']} is not in the cluster"
        (mode,) = claim["spec"]["accessModes"]
        assert mode in klass.access_modes, f"{model.name}: {klass.name} does not offer {mode}"
        if model.replicas.max > 1:
            assert mode == "ReadWriteMany", model.name
        if klass.name in classes_in_plan:
            assert classes_in_plan[klass.name]["provisioner"] == klass.provisioner
