"""Azure (AKS): the VM size catalog, prices and the typed spec the AKS platform is planned with (work
in progress for #17: the platform component and `cluster.type: aks` come next; see DESIGN.md)."""
