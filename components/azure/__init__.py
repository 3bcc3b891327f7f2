"""Azure: AKS with tainted GPU agent pools, AKS's GPU driver under the GPU Operator and one Azure
Files Premium NFS share for model weights, producing the cluster contract the serving layer consumes.

The pure modules (`spec`, `vm_sizes`, `prices`, `builders`) import without pulumi-azure-native (the
`azure` extra); the components load it when first used.
"""
