#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medsite.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A configuration problem (e.g. no DJANGO_SECRET_KEY with DJANGO_DEBUG off) is the
        # operator's to fix: say what it is, without a traceback.
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
