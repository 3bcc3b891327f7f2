"""Google Cloud (GKE): the machine catalog and prices the GKE platform is planned with.

Work in progress for the GKE platform (cluster.type gke is not accepted by stack config yet)."""
