"""Reflex state: one session state, one substate per page."""
