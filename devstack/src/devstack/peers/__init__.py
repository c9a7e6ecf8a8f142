"""Real protocol peers for systems that cannot run here (Kubernetes API, AWS), used by the
ops dashboard's tests and by `make dev DEMO=1`."""
