"""Plumbing shared by the platform services; no domain logic lives here."""
