"""Pure planning for the AWS platform: subnet layout, node groups, launch templates, IAM documents,
the kubeconfig and the Cluster Autoscaler's values. Components only create what these return."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Literal

from ..core.manifests.autoscaler import priority_expander_configmap as expander_configmap
from ..core.catalog.gpus import GPU_PRODUCT_LABEL, GPU_RESOURCE, SHARED_SUFFIX
from ..core.catalog.images import VLLM_UID
from ..core.cluster import SystemPlacement
from .catalog import AMI_NVIDIA, AMI_STANDARD, POD_IDENTITY_PRINCIPAL, ROOT_DEVICE
from .instance_types import InstanceType
from .spec import EBS_PROVISIONER, EFS_PROVISIONER, SYSTEM_POOL, EksClusterSpec

EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
CA_TAG = "k8s.io/cluster-autoscaler"
CA_TEMPLATE = f"{CA_TAG}/node-template"
# Pods reach IMDS through one extra network hop; 2 lets add-ons that need it work, and IMDSv2's
# session tokens still cannot be fetched from outside the node.
IMDS_HOP_LIMIT = 2


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    private_cidr: str
    public_cidr: str


def subnet_layout(cidr: str, zones: list[str]) -> list[SubnetPlan]:
    """Large private subnets for nodes and pods (the VPC CNI gives every pod a VPC address), small
    public ones for NAT gateways and load balancers.

    The block is cut in eight: zone i gets the i-th eighth as its private subnet; the last eighth
    is cut into public subnets of 1/64 of the block each. Up to seven zones fit.
    """
    network = ipaddress.IPv4Network(cidr)
    if not 1 <= len(zones) <= 7:
        raise ValueError(f"{len(zones)} zones: between 1 and 7 fit the layout")
    eighths = list(network.subnets(prefixlen_diff=3))
    publics = list(eighths[-1].subnets(prefixlen_diff=3))
    return [SubnetPlan(zone, str(eighths[i]), str(publics[i])) for i, zone in enumerate(zones)]


@dataclass(frozen=True)
class NodeGroupPlan:
    key: str
    """Resource name suffix and node-group name prefix: `<pool>` or `<pool>-spot` / `<pool>-on-demand`."""
    pool: str
    instance: InstanceType
    capacity_type: Literal["ON_DEMAND", "SPOT"]
    min_size: int
    max_size: int
    disk_gib: int
    labels: dict[str, str]
    taints: list[dict] = field(default_factory=list)
    priority: int = 0
    """Cluster Autoscaler priority expander: higher is tried first (spot before its fallback)."""
    gpu_sharing: int = 1
    """Time-slicing: each GPU is advertised this many times."""

    @property
    def ami_type(self) -> str:
        table = AMI_NVIDIA if self.instance.gpu else AMI_STANDARD
        return table[self.instance.architecture]

    @property
    def desired_size(self) -> int:
        return self.min_size


def node_groups(spec: EksClusterSpec) -> list[NodeGroupPlan]:
    """One node group per pool, with exactly the labels, taints and bounds the contract promises the
    serving layer; a spot pool with on-demand fallback is two groups with the same labels and
    taints, so its pods fit either, and the autoscaler tries spot first."""
    contract = spec.contract()

    def group(key: str, pool_name: str, capacity: Literal["ON_DEMAND", "SPOT"], min_size: int, priority: int,
              instance: InstanceType, disk_gib: int) -> NodeGroupPlan:
        pool = contract.pool(pool_name)
        assert pool is not None
        return NodeGroupPlan(
            key=key, pool=pool.name, instance=instance, capacity_type=capacity, min_size=min_size,
            max_size=pool.max_nodes, disk_gib=disk_gib, labels=dict(pool.labels), priority=priority,
            taints=[{"key": t.key, "value": t.value, "effect": EKS_TAINT_EFFECTS[t.effect]} for t in pool.taints],
            gpu_sharing=pool.gpu_sharing,
        )

    system = spec.system_pool
    plans = [group(SYSTEM_POOL, SYSTEM_POOL, "ON_DEMAND", system.min_nodes, 10, system.instance, system.disk_gib)]
    for pool in spec.gpu_pools:
        if pool.capacity_type == "spot":
            spot, *fallback = pool.node_pool_names
            plans.append(group(spot, pool.name, "SPOT", pool.min_nodes, 20, pool.instance, pool.disk_gib))
            plans += [group(key, pool.name, "ON_DEMAND", 0, 10, pool.instance, pool.disk_gib) for key in fallback]
        else:
            plans.append(group(pool.name, pool.name, "ON_DEMAND", pool.min_nodes, 10, pool.instance, pool.disk_gib))
    return plans


def autoscaler_template_tags(plan: NodeGroupPlan) -> dict[str, str]:
    """Tags on the node group's Auto Scaling group that describe a node before one exists, so the
    Cluster Autoscaler can scale the group up from zero. EKS tags the ASG for discovery itself, but
    managed node group tags never reach the ASG, so these are set on the ASG directly.

    The GPU product label matters most: serving pods require it, but GPU Feature Discovery sets it
    only once a node runs, so without it in the template a pending pod would never bring a GPU node
    up. Labels and taints are repeated here although CA can read them from the node group, because
    it does so only for groups that never had a node.
    """
    tags = {
        **{f"{CA_TEMPLATE}/label/{key}": value for key, value in plan.labels.items()},
        **{f"{CA_TEMPLATE}/taint/{t['key']}": f"{t['value']}:{_k8s_effect(t['effect'])}" for t in plan.taints},
    }
    if plan.instance.gpu:
        sharing = plan.gpu_sharing
        product = (plan.instance.gfd_product or "") + (SHARED_SUFFIX if sharing > 1 else "")
        tags[f"{CA_TEMPLATE}/label/{GPU_PRODUCT_LABEL}"] = product
        tags[f"{CA_TEMPLATE}/resources/{GPU_RESOURCE}"] = str(plan.instance.gpus * sharing)
    return tags


def _k8s_effect(eks_effect: str) -> str:
    return {v: k for k, v in EKS_TAINT_EFFECTS.items()}[eks_effect]


def launch_template(plan: NodeGroupPlan) -> dict:
    """Launch template arguments for a managed node group: IMDSv2 only, encrypted gp3 root volume.
    No AMI and no instance profile: EKS supplies both from the node group's amiType and role."""
    return {
        "metadata_options": {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": IMDS_HOP_LIMIT,
        },
        "block_device_mappings": [{
            "device_name": ROOT_DEVICE,
            "ebs": {
                "volume_size": plan.disk_gib,
                "volume_type": "gp3",
                "encrypted": "true",
                "delete_on_termination": "true",
            },
        }],
        "update_default_version": True,
    }


def assume_role_policy(service: str) -> str:
    actions = ["sts:AssumeRole", "sts:TagSession"] if service == POD_IDENTITY_PRINCIPAL else ["sts:AssumeRole"]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
    })


def kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> dict:
    """A kubeconfig that authenticates with `aws eks get-token`: short-lived tokens, no stored key."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
            "interactiveMode": "Never",
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority}}],
        "users": [{"name": cluster_name, "user": user}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
    }


DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def efs_storage_class(name: str, file_system_id: object, *, retain: bool, labels: dict[str, str], uid: int = VLLM_UID) -> dict:
    """Dynamic provisioning on EFS: one access point per volume, owned by the uid the populate Job
    and vLLM run as, so the Job can write and the servers can read without root."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "labels": labels},
        "provisioner": EFS_PROVISIONER,
        "parameters": {
            "provisioningMode": "efs-ap",
            "fileSystemId": file_system_id,
            "directoryPerms": "750",
            "uid": str(uid),
            "gid": str(uid),
            "basePath": "/llmstack",
        },
        "reclaimPolicy": "Retain" if retain else "Delete",
        "volumeBindingMode": "Immediate",
    }


def gp3_storage_class(name: str, labels: dict[str, str]) -> dict:
    """The cluster's default class: encrypted gp3, bound where the pod lands (EBS is zonal)."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "labels": labels, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": EBS_PROVISIONER,
        "parameters": {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"


def autoscaler_values(cluster_name: str, region: str, image_tag: str, system: SystemPlacement) -> dict:
    """Cluster Autoscaler chart values: discover this cluster's groups by tag, prefer spot groups
    (priority expander), and let GPU nodes scale down although vLLM pods use emptyDir volumes."""
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"tag": image_tag},
        "rbac": {"serviceAccount": {"create": True, "name": AUTOSCALER_SERVICE_ACCOUNT}},
        "extraArgs": {
            "expander": "priority,least-waste",
            "balance-similar-node-groups": True,
            # vLLM pods mount emptyDir (/dev/shm, HOME); the default `true` would pin every GPU node forever.
            "skip-nodes-with-local-storage": False,
        },
        **system.scheduling(),
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        "resources": {"requests": {"cpu": "100m", "memory": "600Mi"}, "limits": {"memory": "600Mi"}},
    }


def priority_expander_configmap(plans: list[NodeGroupPlan], namespace: str, labels: dict[str, str]) -> dict:
    """The priority expander's config: regexes over Auto Scaling group names, highest tried first.

    An EKS managed node group's ASG is named `eks-<node group name>-<uuid>`. Our node group names
    are `<key>-` followed by the provider's generated unique suffix (an 18-digit UTC timestamp and
    8 hex digits), so the pattern matches one group only: `h100` matches neither `h100-spot` nor `h100-2`.
    """
    by_priority: dict[int, list[str]] = {}
    for plan in plans:
        # Keys are DNS labels ([a-z0-9-]), literal in a regex.
        by_priority.setdefault(plan.priority, []).append(f"^eks-{plan.key}-[0-9]{{18}}[0-9a-f]{{8}}-")
    return expander_configmap(by_priority, namespace, labels)


def autoscaler_policy(cluster_name: str) -> str:
    """IAM permissions of the Cluster Autoscaler: the recommended policy of
    cluster-autoscaler/cloudprovider/aws/README.md, with scaling limited to groups EKS tagged as
    this cluster's (`k8s.io/cluster-autoscaler/<cluster>: owned`)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": ["*"],
            },
            {
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": ["*"],
                "Condition": {"StringEquals": {f"aws:ResourceTag/{CA_TAG}/{cluster_name}": "owned"}},
            },
        ],
    })
