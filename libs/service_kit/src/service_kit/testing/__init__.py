"""Pytest fixtures shared by the services tests."""
