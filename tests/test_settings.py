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
            "medsite.db.postgresql",
            "medsite.cache.RedisCache",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    )


# --- security defaults (issue 9.4) ---------------------------------------------------------

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "a1B2c3D4e5F6g7H8i9J0" * 3,
    "DJANGO_ALLOWED_HOSTS": "medsite.example.org",
}
SECURITY = (
    "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE"
)


def test_https_redirect_hsts_and_secure_cookies_are_on_by_default_in_production():
    result = settings_in(PRODUCTION, SECURITY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(True, 31536000, True, True)"


def test_plain_http_on_loopback_switches_them_off_by_environment():
    env = {
        **PRODUCTION,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_SECURE_COOKIES": "0",
    }
    result = settings_in(env, SECURITY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, 0, False, False)"


def test_development_has_no_https_redirect_or_hsts():
    result = settings_in({}, SECURITY)
    assert result.stdout.strip() == "(False, 0, False, False)"


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.pop("REDIS_URL", None)
    env.update(PRODUCTION)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
