"""System checks for deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from . import auth


@register(Tags.security, deploy=True)
def demo_accounts_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Fails deploy while a demo account still has its published demo password."""
    try:
        found = auth.demo_accounts_with_demo_passwords()
    except DatabaseError:
        return []  # no database (or not migrated yet): no accounts to worry about
    if not found:
        return []
    return [
        Error(
            f"Demo accounts with their published passwords exist: {', '.join(found)}.",
            hint=(
                "Delete them (manage.py shell or the admin) or give them new passwords "
                "(manage.py changepassword NAME) before deploying."
            ),
            id="medsite.E001",
        )
    ]
