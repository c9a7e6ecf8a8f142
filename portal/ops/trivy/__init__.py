"""Vulnerability scans: trivy-operator reports (Kubernetes API) and the pipeline's (S3)."""
