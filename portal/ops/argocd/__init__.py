"""Argo CD Applications read (and refreshed or synced) through the Kubernetes API."""
