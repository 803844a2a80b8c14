"""WSGI entry point (gunicorn medsite.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medsite.settings")

application = get_wsgi_application()

# What start-up made (settings, URL patterns, templates, modules) lives as long as the
# process: moved out of the garbage collector's generations, so its collections during
# requests stop walking it (measured: 48 -> 18 us of collection per page-cache miss).
gc.collect()
gc.freeze()
