"""Azure (AKS): the VM size catalog and prices the AKS platform is planned with (work in progress
for #17: the spec, the platform component and `cluster.type: aks` come next; see DESIGN.md)."""
