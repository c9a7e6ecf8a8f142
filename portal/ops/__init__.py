"""The operator dashboard's data layer: sources, their adapters, and the panels built from them.

Nothing here imports Reflex: `portal.state.ops` turns panels into page state. See
docs/adr/0014-ops-dashboard.md.
"""
