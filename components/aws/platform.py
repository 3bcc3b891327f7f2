"""The AWS platform: network, EKS, node pools, storage, node autoscaling and the GPU Operator,
producing the same Platform contract as any other cluster.

Dependencies carry the deletion order: serving workloads wait for `Platform.ready` (so they are
deleted first); Helm releases and add-ons depend on the system node group (so they are removed while
nodes still run their controllers and finalizers); node groups depend on the cluster and network.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_aws as aws

from ..core.labels import CostLabels
from ..kubernetes._base import ComponentArgs
from ..kubernetes.gpu_operator import GpuOperator, GpuOperatorArgs
from ..platform.contract import Platform
from ._base import TOKEN_PREFIX, aws_child, eks_addon, service_role
from .autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from .builders import node_groups
from .catalog import COREDNS, EBS_CSI, EFS_CSI, NVIDIA_AMIS_HAVE_DRIVER, POD_IDENTITY_PRINCIPAL, Addon
from .cluster import EksCluster, EksClusterArgs
from .network import Network, NetworkArgs
from .node_group import NodeGroup, NodeGroupArgs
from .spec import GPU_TAINT, EksClusterSpec
from .storage import EksStorage, EksStorageArgs


class EksPlatformArgs(ComponentArgs):
    spec: EksClusterSpec
    cost: CostLabels


class EksPlatform(pulumi.ComponentResource):
    platform: Platform
    kubeconfig: pulumi.Output[str]
    cluster_name: pulumi.Output[str]

    def __init__(self, name: str, args: EksPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:EksPlatform", name, None, opts)
        spec = self._spec = args.spec
        self._aws = aws.Provider(f"{name}-aws", region=spec.region, default_tags={"tags": _tags(args)},
                                 opts=pulumi.ResourceOptions(parent=self))
        vpc_id, subnet_ids = self._network(name, spec)
        cluster = EksCluster(f"{name}-eks", EksClusterArgs(spec=spec, provider=self._aws, subnet_ids=subnet_ids), self._child())
        plans = node_groups(spec)
        groups = [NodeGroup(f"{name}-{plan.key}", NodeGroupArgs(
            plan=plan, cluster_name=spec.name, kubernetes_version=None if spec.adopt else spec.kubernetes_version,
            cluster=cluster.cluster_name, node_role_arn=cluster.node_role_arn, subnet_ids=subnet_ids, provider=self._aws,
        ), self._child(depends_on=cluster.node_prerequisites)) for plan in plans]
        system_nodes = groups[0]
        addons = self._create_workload_addons(name, cluster, after=[system_nodes])
        storage = EksStorage(f"{name}-storage", EksStorageArgs(
            spec=spec.storage, cluster_name=spec.name, vpc_id=vpc_id, subnet_ids=subnet_ids,
            node_security_group_id=cluster.security_group_id, provider=self._aws, kubernetes=cluster.kubernetes, cost=args.cost,
        ), self._child(depends_on=addons))
        contract = spec.contract()
        autoscaler = ClusterAutoscaler(f"{name}-autoscaler", ClusterAutoscalerArgs(
            cluster=cluster.cluster_name, cluster_name=spec.name, region=spec.region, kubernetes_version=spec.kubernetes_version,
            plans=plans, system=contract.system, provider=self._aws, kubernetes=cluster.kubernetes, cost=args.cost,
        ), self._child(depends_on=[system_nodes, *addons]))
        operator: tuple = ()
        if spec.gpu_operator.install:  # else the cluster's own GPU Operator serves nvidia.com/gpu
            operator = (GpuOperator(f"{name}-gpu-operator", GpuOperatorArgs(
                spec=spec.gpu_operator, driver_preinstalled=NVIDIA_AMIS_HAVE_DRIVER, system=contract.system,
                gpu_taints=[GPU_TAINT], cost=args.cost,
            ), self._child(providers=[cluster.kubernetes], depends_on=[system_nodes, *addons])),)
        ready = (*groups, *addons, storage, autoscaler, *operator)
        self.platform = Platform(provider=cluster.kubernetes, cluster=contract, ready=ready)
        self.kubeconfig = cluster.kubeconfig
        self.cluster_name = cluster.cluster_name
        self.register_outputs({"kubeconfig": self.kubeconfig, "cluster_name": self.cluster_name})

    def _child(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _network(self, name: str, spec: EksClusterSpec) -> tuple[pulumi.Input[str], list]:
        if not spec.network.creates_vpc:
            return spec.network.vpc_id, list(spec.network.subnet_ids)
        network = Network(f"{name}-network", NetworkArgs(network=spec.network, cluster_name=spec.name, provider=self._aws), self._child())
        return network.vpc_id, network.private_subnet_ids

    def _create_workload_addons(self, name: str, cluster: EksCluster, after: list[pulumi.Resource]) -> list[pulumi.Resource]:
        """Add-ons whose controllers need a node to run on: after the system pool exists."""
        addons: list[pulumi.Resource] = []
        if not self._spec.adopt:
            addons.append(self._addon(name, cluster, COREDNS, after))
        for addon in (EFS_CSI, EBS_CSI):
            addons.append(self._addon(name, cluster, addon, after))
        return addons

    def _addon(self, name: str, cluster: EksCluster, addon: Addon, after: list[pulumi.Resource]) -> pulumi.Resource:
        associations = None
        if addon.policy_arn:
            role_name = f"{name}-{addon.name}"
            role = service_role(role_name, POD_IDENTITY_PRINCIPAL, {role_name: addon.policy_arn}, aws_child(self, self._aws))
            associations = [{"role_arn": role.arn, "service_account": addon.service_account}]
        return eks_addon(f"{name}-{addon.name}", cluster.cluster_name, addon.name,
                         aws_child(self, self._aws, depends_on=after), associations)


def _tags(args: EksPlatformArgs) -> dict[str, str]:
    """Default tags on every AWS resource: cost attribution, as the Kubernetes labels do."""
    return {**args.cost.for_model(), "llmstack:cluster": args.spec.name, "managed-by": "pulumi"}
