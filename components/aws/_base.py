"""Shared pieces of the AWS components: the type-token prefix, the explicit provider in options, and
the two resource shapes several components create (an IAM role for a service, an EKS add-on)."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from .builders import assume_role_policy

TOKEN_PREFIX = "llmstack:aws"


def aws_child(parent: pulumi.Resource, provider: pulumi.ProviderResource, **kwargs: Any) -> pulumi.ResourceOptions:
    """Options of an AWS child: parented, on the stack's explicit AWS provider."""
    return pulumi.ResourceOptions(parent=parent, provider=provider, **kwargs)


def service_role(name: str, service: str, attachments: dict[str, str], opts: pulumi.ResourceOptions) -> aws.iam.Role:
    """An IAM role `service` may assume, with managed policies attached (attachment name -> policy ARN)."""
    role = aws.iam.Role(name, assume_role_policy=assume_role_policy(service), opts=opts)
    for attachment, policy in attachments.items():
        aws.iam.RolePolicyAttachment(attachment, role=role.name, policy_arn=policy, opts=opts)
    return role


def eks_addon(name: str, cluster_name: pulumi.Input[str], addon_name: str, opts: pulumi.ResourceOptions,
              pod_identity_associations: Optional[list] = None, configuration: str = "") -> aws.eks.Addon:
    """An EKS add-on at EKS's default version for the cluster; ours wins over hand-edited settings."""
    return aws.eks.Addon(
        name, cluster_name=cluster_name, addon_name=addon_name, pod_identity_associations=pod_identity_associations,
        configuration_values=configuration or None,
        resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE", opts=opts,
    )
