"""Create the development demo accounts: an editor, a moderator and a superuser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from monographs.auth import DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Create (or reset) the demo accounts for development. Refused when DEBUG is off."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development only (DJANGO_DEBUG is off).")
        User = get_user_model()
        self.stdout.write("Demo accounts (development only):")
        for username, password, group_name, is_superuser, full_name in DEMO_ACCOUNTS:
            first, last = full_name.split(" ", 1)
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@example.org"
            user.is_staff = True
            user.is_superuser = is_superuser
            user.set_password(password)
            user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            role = group_name or "superuser"
            self.stdout.write(f"  {username:<10} password: {password:<22} ({role})")
