"""Live service health against the SLO, and Grafana/Loki links per app."""
