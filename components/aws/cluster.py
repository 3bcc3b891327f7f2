"""An EKS control plane (created, or an existing one adopted), its access entries, the add-ons nodes
need before they can become Ready, the node IAM role, and the Kubernetes provider built from it."""

from __future__ import annotations

import json
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..kubernetes._base import ComponentArgs
from ._base import TOKEN_PREFIX, aws_child, eks_addon, service_role
from .builders import kubeconfig
from .catalog import CLUSTER_ADMIN_POLICY, CLUSTER_POLICIES, KUBE_PROXY, NODE_POLICIES, POD_IDENTITY_AGENT, VPC_CNI
from .spec import EksClusterSpec


class EksClusterArgs(ComponentArgs):
    spec: EksClusterSpec
    provider: pulumi.ProviderResource
    subnet_ids: list  # Input[str] each: the private subnets of the created or adopted VPC


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    """The cluster security group EKS attaches to the control plane and to managed nodes."""
    node_role_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """Secret. Authenticates with `aws eks get-token`, so it holds no credential, but it names the endpoint."""
    kubernetes: k8s.Provider
    node_prerequisites: list[pulumi.Resource]
    """What nodes need before they can join: networking add-ons, pod identity agent, access entries."""

    def __init__(self, name: str, args: EksClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:EksCluster", name, None, opts)
        self._args = args
        cluster = self._adopt_cluster(name) if args.spec.adopt else self._create_cluster(name)
        self.cluster_name = cluster.name
        self.security_group_id = cluster.vpc_config.apply(lambda vpc: vpc.cluster_security_group_id)
        self.node_role_arn = self._create_role(f"{name}-node", "ec2.amazonaws.com", NODE_POLICIES).arn
        access = self._create_admin_access(name)
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority).apply(
            lambda parts: json.dumps(kubeconfig(parts[0], parts[1], parts[2].data, args.spec.region))
        ))
        self.kubernetes = k8s.Provider(f"{name}-kubernetes", kubeconfig=self.kubeconfig,
                                       opts=pulumi.ResourceOptions(parent=self, depends_on=access or None))
        self.node_prerequisites = [*access, *self._create_node_addons(name)]
        self.register_outputs({"cluster_name": self.cluster_name, "kubeconfig": self.kubeconfig})

    def _opts(self, **kwargs) -> pulumi.ResourceOptions:
        return aws_child(self, self._args.provider, **kwargs)

    def _create_role(self, name: str, service: str, policies: tuple[str, ...]) -> aws.iam.Role:
        attachments = {f"{name}-{policy.rsplit('/', 1)[-1]}": policy for policy in policies}
        return service_role(name, service, attachments, self._opts())

    def _create_cluster(self, name: str) -> aws.eks.Cluster:
        spec = self._args.spec
        role = self._create_role(f"{name}-control-plane", "eks.amazonaws.com", CLUSTER_POLICIES)
        return aws.eks.Cluster(
            f"{name}-cluster",
            name=spec.name,
            version=spec.kubernetes_version,
            role_arn=role.arn,
            vpc_config={
                "subnet_ids": self._args.subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": bool(spec.public_access_cidrs),
                "public_access_cidrs": spec.public_access_cidrs or None,
            },
            # Access entries only; the aws-auth ConfigMap is legacy. The identity running `pulumi up`
            # becomes admin, so the program can reach the cluster it just created.
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            # The networking add-ons are managed below as EKS add-ons, versioned with the cluster.
            bootstrap_self_managed_addons=False,
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            upgrade_policy={"support_type": "STANDARD"},
            opts=self._opts(),
        )

    def _adopt_cluster(self, name: str) -> aws.eks.Cluster:
        """Read an existing cluster: nothing about it is changed, and `pulumi destroy` leaves it."""
        return aws.eks.Cluster.get(f"{name}-cluster", id=self._args.spec.name, opts=self._opts())

    def _create_admin_access(self, name: str) -> list[pulumi.Resource]:
        created = []
        for index, principal in enumerate(self._args.spec.admins):
            entry = aws.eks.AccessEntry(f"{name}-admin-{index}", cluster_name=self.cluster_name, principal_arn=principal,
                                        type="STANDARD", opts=self._opts())
            created.append(aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{index}", cluster_name=self.cluster_name, principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY, access_scope={"type": "cluster"}, opts=self._opts(),
            ))
        return created

    def _create_node_addons(self, name: str) -> list[pulumi.Resource]:
        """An adopted cluster already has its networking; only the pod identity agent is added."""
        addons = [POD_IDENTITY_AGENT] if self._args.spec.adopt else [VPC_CNI, KUBE_PROXY, POD_IDENTITY_AGENT]
        return [eks_addon(f"{name}-{addon.name}", self.cluster_name, addon.name, self._opts(),
                          configuration=addon.configuration) for addon in addons]
