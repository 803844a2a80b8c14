"""Settings come from the environment; production refuses to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_in(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import medsite.settings in a fresh interpreter with exactly ``env`` set, print an
    expression of it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.pop("REDIS_URL", None)
    clean.update(env)
    code = f"import medsite.settings as s; print(repr(({expression})))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_development_needs_no_variables():
    result = settings_in({}, "s.DEBUG, s.DATABASES['default']['ENGINE']")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(True, 'django.db.backends.sqlite3')"


def test_debug_off_without_a_secret_key_refuses_to_start_saying_why():
    result = settings_in({"DJANGO_DEBUG": "0"}, "s.DEBUG")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_manage_py_says_why_without_a_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: DJANGO_SECRET_KEY is not set")
    assert "Traceback" not in result.stderr


def test_production_settings_from_the_environment():
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "medsite.example.org, www.medsite.example.org",
        "DATABASE_URL": "postgres://u:p@db.example.org:5432/medsite",
        "REDIS_URL": "redis://cache.example.org:6379/0",
    }
    result = settings_in(
        env,
        "s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], "
        "s.CACHES['default']['BACKEND'], s.STORAGES['staticfiles']['BACKEND']",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        (
            False,
            ["medsite.example.org", "www.medsite.example.org"],
            "django.db.backends.postgresql",
            "django.core.cache.backends.redis.RedisCache",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    )
