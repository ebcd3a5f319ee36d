"""Logging in and staying logged in: sessions (refresh-token chains), the login throttle, and the
actions that change them. Who may do what (roles, permissions, scopes) is `core/access.py`."""
