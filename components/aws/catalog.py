"""EKS facts the AWS platform relies on: Kubernetes versions, AMI types, add-ons and managed policies.

Sources:
- Kubernetes versions in EKS standard support: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
- AMI types (CreateNodegroup `amiType`): https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html
  The AL2023 NVIDIA AMIs ship the NVIDIA driver and container toolkit
  (https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-optimized-ami.html), so the GPU Operator
  must not install them (NVIDIA driver 580). They do not include the device plugin, which the
  operator runs. AL2 AMIs stopped with Kubernetes 1.32 (awsdocs eks-ami-deprecation-faqs).
- Add-ons and their service accounts: https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html
- AWS managed policies: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
"""

from __future__ import annotations

from dataclasses import dataclass

# Minor versions in EKS standard support (late 2026: 1.34 until 2026-12-02, 1.35 until 2027-03-27,
# 1.36 released 2026-06); the first is the default. AL2023 AMIs exist for each.
KUBERNETES_VERSIONS = ("1.35", "1.36", "1.34")
DEFAULT_KUBERNETES_VERSION = KUBERNETES_VERSIONS[0]

AMI_STANDARD = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
AMI_NVIDIA = {"x86_64": "AL2023_x86_64_NVIDIA", "arm64": "AL2023_ARM_64_NVIDIA"}
# The AL2023 NVIDIA AMIs carry driver and toolkit; the GPU Operator installs neither.
NVIDIA_AMIS_HAVE_DRIVER = True
ROOT_DEVICE = "/dev/xvda"  # AL2023 root volume


@dataclass(frozen=True)
class Addon:
    name: str
    service_account: str = ""
    policy_arn: str = ""
    configuration: str = ""
    """The add-on's configuration values (JSON), as `aws eks describe-addon-configuration` lists them."""


# The gateway's LoadBalancer Service on EKS: a Network Load Balancer made by the AWS cloud provider
# that EKS runs (kubernetes.io docs, Service, "Network Load Balancer support on AWS"). It passes TCP
# through, so Envoy terminates TLS; its fixed 350 s idle timeout is kept from cutting quiet streams
# by the gateway's TCP keepalives.
LOAD_BALANCER_ANNOTATIONS = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}

# enableNetworkPolicy starts the VPC CNI's network policy agent on every node: without it, EKS
# accepts NetworkPolicies and enforces none (AWS docs, "Restrict pod traffic with Kubernetes policies").
VPC_CNI = Addon("vpc-cni", configuration='{"enableNetworkPolicy": "true"}')
KUBE_PROXY = Addon("kube-proxy")
COREDNS = Addon("coredns")
POD_IDENTITY_AGENT = Addon("eks-pod-identity-agent")
EFS_CSI = Addon("aws-efs-csi-driver", "efs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy")
EBS_CSI = Addon("aws-ebs-csi-driver", "ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy")

CLUSTER_POLICIES = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"

# Cluster Autoscaler image by Kubernetes minor: the autoscaler's minor must match the cluster's
# (kubernetes/autoscaler README, "Releases"). Image registry.k8s.io/autoscaling/cluster-autoscaler.
# v1.35.0 is the pinned chart's own default; the others are the newest release tags of their minor
# (cluster-autoscaler-1.36.1, cluster-autoscaler-1.34.5 in kubernetes/autoscaler). Every one of them
# supports EKS Pod Identity credentials (AWS SDK >= 1.48.7, and SDK v2 from 1.35).
AUTOSCALER_IMAGE_TAGS = {"1.35": "v1.35.0", "1.36": "v1.36.1", "1.34": "v1.34.5"}


def autoscaler_image_tag(kubernetes_version: str) -> str:
    return AUTOSCALER_IMAGE_TAGS[kubernetes_version]
