"""The AKS cluster and its network (see DESIGN.md for the evidence behind each choice).

- A resource group, a virtual network and the nodes' subnet (with the Microsoft.Storage service
  endpoint the model cache's NFS share is reached through).
- AKS on Azure CNI Overlay with the Cilium dataplane (NetworkPolicies enforced), a system-assigned
  identity, the OIDC issuer and workload identity, the API server open only to `publicAccessCidrs`,
  the Azure Files, Blob and Disk CSI drivers, patch upgrades within the pinned minor version, and
  the System-mode pool inline (AKS needs one at creation).
- Every GPU pool a separate AgentPool (AKS refuses new pools through the cluster's own update), with
  the labels models select set at creation, the GPU taint, and for spot pools AKS's spot settings.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.labels import CostLabels, platform_labels
from ..core.manifests.autoscaler import priority_expander_configmap
from ..kubernetes._base import ComponentArgs, resource_kwargs
from . import builders
from ._base import TOKEN_PREFIX
from ._base import azure as load_azure
from .spec import AksClusterSpec

azure = load_azure()
containerservice, network, resources = azure.containerservice, azure.network, azure.resources


class AksClusterArgs(ComponentArgs):
    spec: AksClusterSpec
    cost: CostLabels


class AksCluster(pulumi.ComponentResource):
    """`AksCluster(name, AksClusterArgs(...), opts)`: resource group, network, cluster and agent pools."""

    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    kubernetes: k8s.Provider
    resource_group_name: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    node_pools: list[pulumi.Resource]
    """The cluster (with its system pool) first, then every GPU agent pool."""
    azure_provider: pulumi.ProviderResource

    def __init__(self, name: str, args: AksClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:AksCluster", name, None, opts)
        spec = args.spec
        tags = {**args.cost.for_model(), "llmstack-cluster": spec.name, "managed-by": "pulumi"}
        self._azure = azure.Provider(f"{name}-azure", location=spec.region, subscription_id=spec.subscription_id,
                                     opts=pulumi.ResourceOptions(parent=self))
        self.azure_provider = self._azure
        group = resources.ResourceGroup(f"{name}-rg", resource_group_name=spec.resource_group_name,
                                        location=spec.region, tags=tags, opts=self._child())
        self.resource_group_name = group.name
        vnet = network.VirtualNetwork(
            f"{name}-vnet", resource_group_name=group.name, location=spec.region,
            address_space={"address_prefixes": [spec.network.vnet_cidr]}, tags=tags, opts=self._child())
        subnet = network.Subnet(
            f"{name}-nodes", resource_group_name=group.name, virtual_network_name=vnet.name, subnet_name="nodes",
            address_prefix=spec.network.nodes_cidr,
            service_endpoints=[{"service": "Microsoft.Storage", "locations": [spec.region]}], opts=self._child())
        self.subnet_id = subnet.id
        cluster = containerservice.ManagedCluster(
            name, resource_group_name=group.name, resource_name_=spec.name, location=spec.region,
            dns_prefix=spec.name, kubernetes_version=spec.kubernetes_version,
            identity={"type": "SystemAssigned"}, sku={"name": "Base", "tier": "Standard"},
            agent_pool_profiles=[builders.system_pool_profile(spec, subnet.id)],
            network_profile=builders.network_profile(spec),
            api_server_access_profile={"authorized_ip_ranges": builders.authorized_ranges(spec)},
            oidc_issuer_profile={"enabled": True},
            security_profile={"workload_identity": {"enabled": True}},
            storage_profile={"file_csi_driver": {"enabled": True}, "blob_csi_driver": {"enabled": True},
                             "disk_csi_driver": {"enabled": True}},
            auto_upgrade_profile={"upgrade_channel": "patch", "node_os_upgrade_channel": "NodeImage"},
            auto_scaler_profile=dict(builders.AUTOSCALER_PROFILE),
            tags=tags,
            # Pools are changed as AgentPools: the cluster's own update may not add or change them
            # (pulumi-azure-native#2719); the system pool's count belongs to the autoscaler.
            opts=self._child(ignore_changes=["agentPoolProfiles"]),
        )
        self.cluster_name = cluster.name
        gpu_pools = [
            containerservice.AgentPool(
                f"{name}-{plan.key}", resource_group_name=group.name, resource_name_=cluster.name,
                vnet_subnet_id=subnet.id, orchestrator_version=spec.kubernetes_version, tags=tags, **plan.args(),
                # The autoscaler owns the count; settings AKS cannot change in place replace the pool,
                # deleted first because a new pool of the same name cannot be created beside it.
                opts=self._child(ignore_changes=["count"], replace_on_changes=builders.POOL_REPLACED_ON,
                                 delete_before_replace=True),
            )
            for plan in builders.agent_pools(spec)
        ]
        self.node_pools = [cluster, *gpu_pools]
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group.name, resource_name=cluster.name, opts=pulumi.InvokeOutputOptions(parent=self, provider=self._azure))
        self.kubeconfig = pulumi.Output.secret(credentials.kubeconfigs.apply(lambda configs: builders.kubeconfig(configs[0].value)))
        self.kubernetes = k8s.Provider(f"{name}-kubernetes", kubeconfig=self.kubeconfig,
                                       opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]))
        # AKS's autoscaler runs in its control plane and reads this from kube-system.
        k8s.core.v1.ConfigMap(f"{name}-priorities", **resource_kwargs(priority_expander_configmap(
            builders.expander_priorities(builders.agent_pools(spec)), "kube-system", platform_labels(args.cost))),
            opts=pulumi.ResourceOptions(parent=self, provider=self.kubernetes))
        self.register_outputs({"cluster_name": self.cluster_name, "kubeconfig": self.kubeconfig})

    def _child(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._azure, **kwargs)
