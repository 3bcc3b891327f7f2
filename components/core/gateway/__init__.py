"""The gateway, pure part: typed settings and the manifests and chart values of the front door."""
