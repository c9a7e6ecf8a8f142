"""Live service health and the Grafana/Loki links."""
