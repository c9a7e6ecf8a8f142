"""The ops dashboard's AWS side (Cost Explorer, CI Trivy reports in S3) against moto."""
