"""Test settings: the base settings with fast hashing, local memory cache and mail outbox.

The database still comes from DATABASE_URL, so `make test` runs the suite on SQLite by
default and on PostgreSQL when DATABASE_URL points there.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from medsite.settings import *  # noqa: E402,F403
from medsite.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = os.environ.get("MEDSITE_TEST_MEDIA_ROOT", "/tmp/medsite-test-media")  # noqa: S108
# whitenoise warns on every request when STATIC_ROOT does not exist; tests never collect.
STATIC_ROOT = os.path.join(MEDIA_ROOT, "..", "medsite-test-static")
os.makedirs(STATIC_ROOT, exist_ok=True)
# The page cache's version poll (caching.py) would add a query to a random request once the
# interval has passed; tests refresh it on commit, or set the interval themselves.
MEDSITE_VERSION_POLL_SECONDS = 3600
