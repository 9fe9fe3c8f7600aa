"""The change history of users (who may sign in, their names, roles and address).

Django's user model is not ours to add a field to, so its history is registered here; the
history table lives in this app. Passwords and sign-in times are not recorded.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from simple_history import register

register(
    get_user_model(),
    app="klantbinding",
    excluded_fields=["password", "last_login"],
    user_related_name="+",
)
