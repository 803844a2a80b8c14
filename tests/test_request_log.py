"""Logs an operator can use: one line per request (method, path, status, duration, request
id), workflow actions with their audit id, server errors mailed to ADMINS, and no personal
data beyond a staff member's username."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from medsite.settings import _admins
from monographs import views, workflow
from monographs.models import AuditEntry
from tests.workflow_helpers import publish_new, sample_content

pytestmark = pytest.mark.django_db


def request_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "medsite.request"]


def test_one_line_per_request_with_method_path_status_duration_and_id(client, caplog):
    caplog.set_level(logging.INFO, logger="medsite.request")
    response = client.get("/no-such-page/?q=my+private+search")
    lines = request_lines(caplog)
    assert len(lines) == 1
    method, path, status, duration, rid, user = lines[0].split(" ")
    assert (method, path, status) == ("GET", "/no-such-page/", "404")
    assert duration.endswith("ms") and float(duration[:-2]) >= 0
    assert rid == f"rid={response['X-Request-ID']}" and len(response["X-Request-ID"]) == 32
    assert user == "user=-"
    assert "private" not in lines[0]  # no query string


def test_the_request_id_from_nginx_is_kept_and_echoed(client, caplog):
    caplog.set_level(logging.INFO, logger="medsite.request")
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123.def")
    assert response["X-Request-ID"] == "abc-123.def"
    assert "rid=abc-123.def" in request_lines(caplog)[0]


def test_a_request_id_that_could_forge_log_lines_is_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="medsite.request")
    response = client.get("/healthz", HTTP_X_REQUEST_ID="x\nGET /admin/ 200")
    assert response["X-Request-ID"] != "x\nGET /admin/ 200"
    assert "\n" not in request_lines(caplog)[0]


def test_every_log_line_of_a_request_carries_its_id(client, caplog, settings):
    from medsite.request_log import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.WARNING, logger="django.request")
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-42")
    warnings = [r for r in caplog.records if r.name == "django.request"]
    assert warnings and all(r.request_id == "trace-42" for r in warnings)


def test_staff_are_named_by_username_and_the_public_not_at_all(client, editor, caplog):
    caplog.set_level(logging.INFO, logger="medsite.request")
    client.get(reverse("monographs:home"))
    client.force_login(editor)
    client.get(reverse("admin:index"))
    lines = request_lines(caplog)
    assert lines[0].endswith("user=-")
    assert lines[1].endswith("user=editor1")
    assert "editor1@example.org" not in " ".join(lines)


def test_workflow_actions_are_logged_with_their_audit_id(editor, moderator, committing, caplog):
    caplog.set_level(logging.INFO, logger="monographs.workflow")
    monograph = committing(
        publish_new, sample_content("Logamol"), editor=editor, moderator=moderator
    )
    committing(workflow.withdraw, monograph=monograph, by=moderator, reason="Private reason")
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.WITHDRAW).get()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("workflow ")]
    assert f"workflow withdraw audit={entry.pk} monograph=logamol" in lines[-1]
    assert lines[-1].endswith("by=moderator1")
    assert "Private reason" not in " ".join(lines)
    assert any(line.startswith("workflow approve audit=") for line in lines)


def test_server_errors_are_mailed_to_the_admins(client, settings, mailoutbox, monkeypatch):
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.org")]

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "letter_counts", broken)
    client.raise_request_exception = False
    assert client.get(reverse("monographs:home")).status_code == 500
    assert [message.to for message in mailoutbox] == [["ops@example.org"]]
    assert "RuntimeError" in mailoutbox[0].body


def test_django_admins_is_read_from_the_environment_syntax():
    assert _admins("Ann Ops <ann@example.org>, bob@example.org,") == [
        ("Ann Ops", "ann@example.org"),
        ("bob@example.org", "bob@example.org"),
    ]
    assert _admins("") == []
