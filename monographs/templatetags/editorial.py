"""Template helpers for the editorial screens (admin): the rendered column of a diff with
the changed words marked."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from ..diff import SectionChange
from ..review import section_rendered_with_marks

register = template.Library()


@register.filter
def marked_rendered(section: SectionChange) -> SafeString:
    """The section as the public will see it, with words added and removed marked."""
    return section_rendered_with_marks(section)


@register.simple_tag(takes_context=True)
def editorial_dashboard(context: Any) -> Any:
    """What needs the signed-in editor or moderator (``dashboard.for_user``)."""
    from ..dashboard import for_user

    return for_user(context["request"].user)
