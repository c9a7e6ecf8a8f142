"""auth_service: users, profiles, follows and tokens."""
