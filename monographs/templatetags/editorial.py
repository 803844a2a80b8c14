"""Template helpers for the editorial screens (admin): the rendered column of a diff with
the changed words marked."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..diff import SectionChange
from ..review import section_rendered_with_marks

register = template.Library()


@register.filter
def marked_rendered(section: SectionChange) -> SafeString:
    """The section as the public will see it, with words added and removed marked."""
    return section_rendered_with_marks(section)
