"""The reference deployment in deploy/: nginx accepts its configuration, the systemd units
parse and name the periodic commands, and the environment template lists every variable
the app reads."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")

# The periodic commands and how often they run (names are contracts with their authors).
TIMERS = {
    "medsite-publish-scheduled.timer": ("publish_scheduled", "*-*-* *:*:00"),
    "medsite-send-review-reminders.timer": ("send_review_reminders", "daily"),
    "medsite-check-labels.timer": ("check_labels", "daily"),
    "medsite-clean-uploads.timer": ("clean_uploads", "daily"),
}


def nginx_config(tmp_path: Path) -> Path:
    """deploy/nginx/* with its paths moved under tmp_path and a throw-away certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=medsite.example.org", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    for name in ("medsite.conf", "medsite-http.conf", "medsite-locations.conf"):
        text = (DEPLOY / "nginx" / name).read_text()
        text = text.replace("/srv/medsite/app/deploy/nginx/", f"{tmp_path}/")
        text = text.replace("/etc/letsencrypt/live/medsite.example.org/fullchain.pem", str(cert))
        text = text.replace("/etc/letsencrypt/live/medsite.example.org/privkey.pem", str(key))
        text = text.replace("/var/log/nginx/", f"{tmp_path}/")
        (tmp_path / name).write_text(text)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {tmp_path}/access.log;\n"
        f"  include {tmp_path}/medsite.conf;\n}}\n"
    )
    return main


@pytest.mark.skipif(not NGINX, reason="nginx is not installed (make nginx, as root, installs it)")
@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is needed for a test certificate")
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    main = nginx_config(tmp_path)
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.skipif(not NGINX, reason="nginx is not installed (make nginx, as root, installs it)")
@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is needed for a test certificate")
def test_nginx_refuses_a_broken_configuration(tmp_path: Path) -> None:
    """The check above can fail: a typo in a directive is reported."""
    main = nginx_config(tmp_path)
    locations = tmp_path / "medsite-locations.conf"
    locations.write_text(locations.read_text().replace("proxy_pass ", "proxy_passs ", 1))
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "proxy_passs" in result.stderr


def test_nginx_configuration_passes_what_the_app_needs() -> None:
    locations = (DEPLOY / "nginx" / "medsite-locations.conf").read_text()
    http = (DEPLOY / "nginx" / "medsite-http.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in locations
    assert "proxy_set_header X-Request-ID $medsite_request_id;" in locations
    assert re.search(r"client_max_body_size \d+m;", http)
    assert "gzip on;" in http
    assert "alias /srv/medsite/app/staticfiles/;" in locations
    assert "alias /srv/medsite/media/;" in locations
    assert "immutable" in http and "immutable" in locations


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_timers_run_the_periodic_commands() -> None:
    timers = {p.name for p in (DEPLOY / "systemd").glob("*.timer")}
    assert set(TIMERS) <= timers
    template = _unit(DEPLOY / "systemd" / "medsite-manage@.service")
    assert template["Service"]["ExecStart"].endswith("manage.py %i")
    assert template["Service"]["EnvironmentFile"] == "/etc/medsite/medsite.env"
    for name, (command, schedule) in TIMERS.items():
        timer = _unit(DEPLOY / "systemd" / name)["Timer"]
        assert timer["Unit"] == f"medsite-manage@{command}.service", name
        if schedule == "daily":
            assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["OnCalendar"]), name
        else:
            assert timer["OnCalendar"] == schedule, name
    gunicorn = _unit(DEPLOY / "systemd" / "medsite-gunicorn.service")["Service"]
    assert "gunicorn medsite.wsgi" in gunicorn["ExecStart"]
    assert gunicorn["EnvironmentFile"] == "/etc/medsite/medsite.env"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_units_parse(tmp_path: Path) -> None:
    for unit in (DEPLOY / "systemd").iterdir():
        shutil.copy(unit, tmp_path / unit.name)
    units = sorted(p.name for p in tmp_path.iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # The executables live on the server (/srv/medsite/app/.venv), not here.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if re.search(r"unknown|invalid|failed to parse|bad|missing|syntax", line, re.I)
        and "is not executable" not in line
    ]
    assert problems == []


def env_vars_read_by_the_app() -> set[str]:
    pattern = re.compile(
        r"(?:environ\.get|environ\[|getenv|env_bool|env_list|env_int|env_float|\benv)"
        r"\(?\s*[\"']([A-Z][A-Z0-9_]+)[\"']"
    )
    names = {"DATABASE_URL"}  # read by dj_database_url.config()
    for package in ("medsite", "monographs"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name != "settings_test.py":
                names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names - {"DJANGO_SETTINGS_MODULE"}


def test_environment_template_lists_every_variable_the_app_reads() -> None:
    template = (DEPLOY / "medsite.env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", template, re.M))
    read = env_vars_read_by_the_app()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read  # the scan works
    assert sorted(read - listed) == []
