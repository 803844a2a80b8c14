"""Template helpers for the public site. None of them touch the database, so the 500 page
(rendered when the database may be the thing that failed) can use them safely."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return getattr(settings, "MEDSITE_SITE_NAME", "medsite")
