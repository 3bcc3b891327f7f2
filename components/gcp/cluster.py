"""The GKE cluster and its network (see DESIGN.md for the evidence behind each choice).

- Network: a custom-mode VPC, one subnet with secondary ranges for pods and Services (VPC-native),
  and Cloud NAT for the private nodes' egress.
- Cluster: regional GKE Standard on a release channel, private nodes, the control plane open only to
  `publicAccessCidrs`, Workload Identity, Dataplane V2 (NetworkPolicies enforced), the Filestore and
  Cloud Storage FUSE CSI drivers, deletion protection on; its default node pool removed.
- Node pools from `builders.node_pools`, on a dedicated least-privilege node service account, with
  the labels models select set at creation (scale from zero) and the GPU pools' taint.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.labels import CostLabels
from ..kubernetes._base import ComponentArgs
from . import builders
from ._base import TOKEN_PREFIX
from ._base import gcp as load_gcp
from .spec import GkeClusterSpec

gcp = load_gcp()
compute, container, projects, serviceaccount = gcp.compute, gcp.container, gcp.projects, gcp.serviceaccount


class GkeClusterArgs(ComponentArgs):
    spec: GkeClusterSpec
    cost: CostLabels


class GkeCluster(pulumi.ComponentResource):
    """`GkeCluster(name, GkeClusterArgs(...), opts)`: network, cluster, node service account and node pools."""

    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    kubernetes: k8s.Provider
    node_pools: list[pulumi.Resource]
    """The system pool first."""
    network_name: pulumi.Output[str]
    gcp_provider: pulumi.ProviderResource

    def __init__(self, name: str, args: GkeClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:GkeCluster", name, None, opts)
        spec = args.spec
        self._gcp = gcp.Provider(f"{name}-gcp", project=spec.project, region=spec.region,
                                 default_labels=_labels(args), opts=pulumi.ResourceOptions(parent=self))
        network, subnet = self._create_network(name, spec)
        self.network_name = network.name
        self.gcp_provider = self._gcp
        account = self._create_node_service_account(name, spec)
        cluster = container.Cluster(
            name, name=spec.name, location=spec.region, node_locations=list(spec.zones),
            network=network.id, subnetwork=subnet.id, networking_mode="VPC_NATIVE",
            ip_allocation_policy={"cluster_secondary_range_name": builders.PODS_RANGE,
                                  "services_secondary_range_name": builders.SERVICES_RANGE},
            private_cluster_config={"enable_private_nodes": True, "enable_private_endpoint": False,
                                    "master_ipv4_cidr_block": spec.network.control_plane_cidr},
            master_authorized_networks_config={"cidr_blocks": [
                {"cidr_block": cidr, "display_name": f"allowed-{index}"} for index, cidr in enumerate(spec.public_access_cidrs)]},
            workload_identity_config={"workload_pool": f"{spec.project}.svc.id.goog"},
            datapath_provider="ADVANCED_DATAPATH",
            # GKE's system metrics, without its managed DCGM package: the stack runs its own DCGM
            # exporter for its own Prometheus (gpu_metrics.py), and one host engine per node is enough.
            monitoring_config={"enable_components": ["SYSTEM_COMPONENTS"]},
            release_channel={"channel": spec.release_channel},
            addons_config={"gcp_filestore_csi_driver_config": {"enabled": True},
                           "gcs_fuse_csi_driver_config": {"enabled": True},
                           "gce_persistent_disk_csi_driver_config": {"enabled": True}},
            remove_default_node_pool=True, initial_node_count=1,
            node_config={"service_account": account.email, "oauth_scopes": list(builders.OAUTH_SCOPES),
                         "workload_metadata_config": {"mode": "GKE_METADATA"}},
            deletion_protection=True,
            # The default pool's settings only matter while it exists (it is removed at creation); several
            # of them force a new cluster, so a later change to them must not replace the cluster.
            opts=self._child(ignore_changes=["nodeConfig", "initialNodeCount"]),
        )
        self.node_pools = [
            container.NodePool(
                f"{name}-{plan.key}", name=plan.key, cluster=cluster.name, location=spec.region,
                node_locations=list(plan.locations), initial_node_count=plan.initial_nodes_per_zone,
                autoscaling=plan.autoscaling(), management={"auto_repair": True, "auto_upgrade": True},
                node_config=plan.node_config(account.email),
                # The initial size is read once; a new minimum must not replace a pool (and its nodes).
                opts=self._child(ignore_changes=["initialNodeCount"]),
            )
            for plan in builders.node_pools(spec)
        ]
        self.cluster_name = cluster.name
        ca_certificate = cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate if auth else "")
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(cluster.name, cluster.endpoint, ca_certificate).apply(
            lambda parts: builders.kubeconfig(*parts)))
        self.kubernetes = k8s.Provider(f"{name}-kubernetes", kubeconfig=self.kubeconfig,
                                       opts=pulumi.ResourceOptions(parent=self, depends_on=self.node_pools[:1]))
        self.register_outputs({"cluster_name": self.cluster_name, "kubeconfig": self.kubeconfig})

    def _child(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._gcp, **kwargs)

    def _create_network(self, name: str, spec: GkeClusterSpec) -> tuple[pulumi.CustomResource, pulumi.CustomResource]:
        network = compute.Network(f"{name}-vpc", auto_create_subnetworks=False, opts=self._child())
        subnet = compute.Subnetwork(
            f"{name}-nodes", network=network.id, region=spec.region, ip_cidr_range=spec.network.nodes_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[{"range_name": builders.PODS_RANGE, "ip_cidr_range": spec.network.pods_cidr},
                                 {"range_name": builders.SERVICES_RANGE, "ip_cidr_range": spec.network.services_cidr}],
            opts=self._child())
        router = compute.Router(f"{name}-router", network=network.id, region=spec.region, opts=self._child())
        compute.RouterNat(f"{name}-nat", router=router.name, region=spec.region, nat_ip_allocate_option="AUTO_ONLY",
                          source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                          log_config={"enable": True, "filter": "ERRORS_ONLY"}, opts=self._child())
        return network, subnet

    def _create_node_service_account(self, name: str, spec: GkeClusterSpec) -> pulumi.CustomResource:
        account = serviceaccount.Account(f"{name}-nodes", display_name=f"GKE nodes of {spec.name}", opts=self._child())
        for role in builders.NODE_ROLES:
            projects.IAMMember(f"{name}-nodes-{role.rsplit('.', 1)[-1].lower()}", project=spec.project, role=role,
                               member=account.member, opts=self._child())
        return account


def _labels(args: GkeClusterArgs) -> dict[str, str]:
    """Default labels on every Google Cloud resource: cost attribution, as the Kubernetes labels do."""
    return {**args.cost.for_model(), "llmstack-cluster": args.spec.name, "managed-by": "pulumi"}
