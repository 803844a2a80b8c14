"""SQLite, the zero-setup default, never loses an edit under concurrency.

Real threads, each with its own connection, on a file-based SQLite database (pytest-django's
in-memory one is not what a server runs), through the real admin screens: two editors
saving at the same instant, a double-clicked submit, three moderators approving at once,
and a save that cannot get the lock in time. Each scenario runs in a child process whose
settings point at a copy of a migrated database file, and reports what happened as JSON.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.workflow_helpers import sqlite_site_env

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = r'''
import json, os, sqlite3, sys, threading, time

import django

django.setup()

from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client
from django.urls import reverse

from monographs import workflow
from monographs.models import AuditEntry, Monograph, Revision
from tests.workflow_helpers import edited, publish_new, sample_content


def user(name, group):
    account = User.objects.create_user(
        name, f"{name}@example.org", "pw", is_staff=True, first_name=name, last_name="Tester"
    )
    account.groups.add(Group.objects.get(name=group))
    return account


def form(content, based_on, summary, **extra):
    data = {
        "title": content.title, "generic_name": content.generic_name,
        "other_names": "\r\n".join(content.other_names), "disclaimer": content.disclaimer,
        "summary": summary, "based_on": based_on.pk if based_on else "",
        "section_count": len(content.sections), "new_heading": "", "new_body": "",
        "_save": "Save draft",
    }
    for i, section in enumerate(content.sections):
        data[f"section-{i}-key"] = section.key
        data[f"section-{i}-heading"] = section.heading
        data[f"section-{i}-body"] = section.body
    data.update(extra)
    return data


def logged_in(account):
    client = Client()
    client.force_login(account)
    return client


def together(*calls):
    """Run the calls in threads released at the same instant; (status, body) or the error."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            response = call()
            results[index] = [response.status_code, response.content.decode()]
        except Exception as error:  # a server error: the test client re-raises it
            results[index] = [500, repr(error)]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


editor1, editor2 = user("editor1", "Editors"), user("editor2", "Editors")
moderators = [user(f"moderator{i}", "Moderators") for i in range(3)]
monograph = publish_new(sample_content("Racemol"), editor=editor1, moderator=moderators[0])
url = reverse("admin:monographs_monograph_change", args=[monograph.pk])
scenario, out = sys.argv[1], {}

if scenario == "saves":
    rounds = []
    for round_ in range(4):
        latest = Monograph.objects.get(pk=monograph.pk).latest_revision
        texts = [f"Round {round_} text of editor {n}." for n in (1, 2)]
        clients = [logged_in(editor1), logged_in(editor2)]
        results = together(*[
            (lambda c=c, t=t: c.post(url, form(edited(latest.data, usage=t), latest, t)))
            for c, t in zip(clients, texts)
        ])
        stored = [
            Revision.objects.filter(monograph=monograph, change_summary=t).exists()
            for t in texts
        ]
        rounds.append({"results": results, "texts": texts, "stored": stored})
    out["rounds"] = rounds

elif scenario == "double_submit":
    latest = Monograph.objects.get(pk=monograph.pk).latest_revision
    data = form(edited(latest.data, usage="Clicked twice."), latest, "Clicked twice", _submit="1")
    client_a, client_b = logged_in(editor1), logged_in(editor1)
    out["results"] = together(lambda: client_a.post(url, data), lambda: client_b.post(url, data))
    out["new_revisions"] = Revision.objects.filter(change_summary="Clicked twice").count()
    out["in_review"] = Revision.objects.filter(
        change_summary="Clicked twice", status=Revision.Status.IN_REVIEW
    ).count()

elif scenario == "approvals":
    revision = workflow.save_draft(
        monograph=monograph, content=edited(sample_content("Racemol"), usage="Approve me."),
        by=editor1, summary="To approve", based_on=None,
    ).revision
    revision = workflow.submit(revision=revision, by=editor1)
    review = reverse("admin:monographs_revision_review", args=[revision.pk])
    data = {"action": "approve", "content_hash": revision.content_hash, "comment": "ok"}
    clients = [logged_in(m) for m in moderators]
    out["results"] = together(*[(lambda c=c: c.post(review, data)) for c in clients])
    out["approvals"] = AuditEntry.objects.filter(
        action=AuditEntry.Action.APPROVE, revision=revision
    ).count()
    out["published"] = Revision.objects.get(pk=revision.pk).status

elif scenario == "busy":
    latest = Monograph.objects.get(pk=monograph.pk).latest_revision
    client = logged_in(editor1)
    client.get(url)  # the editor opens the form (the session is written then, not on save)
    name = connections["default"].settings_dict["NAME"]
    locked = threading.Event()

    def hold_the_write_lock():
        other = sqlite3.connect(name, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(2)
        other.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    locked.wait()
    text = "Text typed while the database was locked."
    try:
        response = client.post(url, form(edited(latest.data, usage=text), latest, "Locked"))
        out["result"] = [response.status_code, response.content.decode()]
    except Exception as error:
        out["result"] = [500, repr(error)]
    holder.join()
    out["text"] = text
    out["stored"] = Revision.objects.filter(change_summary="Locked").exists()

print("RESULT " + json.dumps(out))
'''


def _env(database: Path, **extra: str) -> dict[str, str]:
    return sqlite_site_env(database, DJANGO_SETTINGS_MODULE="medsite.settings_test", **extra)


def run_scenario(migrated_sqlite: Path, tmp_path: Path, name: str, **env: str) -> dict:
    database = tmp_path / "site.sqlite3"
    shutil.copy(migrated_sqlite, database)
    done = subprocess.run(
        [sys.executable, "-c", SCENARIOS, name],
        cwd=ROOT,
        env=_env(database, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_the_database_runs_in_wal_mode_with_immediate_writes(migrated_sqlite, tmp_path):
    import sqlite3

    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
        assert options["timeout"] >= 5
    with sqlite3.connect(migrated_sqlite) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_editors_saving_at_the_same_instant_both_keep_their_text(migrated_sqlite, tmp_path):
    outcome = run_scenario(migrated_sqlite, tmp_path, "saves")
    for round_ in outcome["rounds"]:
        for (status, body), text, stored in zip(
            round_["results"], round_["texts"], round_["stored"], strict=True
        ):
            assert status != 500, body[-2000:]
            # Saved (a redirect), or shown again with the text and a message: never lost.
            assert stored or (status == 200 and text in body), (status, text)
        assert all(round_["stored"]), round_  # with a 20 s busy timeout both go through


def test_a_double_clicked_submit_is_harmless(migrated_sqlite, tmp_path):
    outcome = run_scenario(migrated_sqlite, tmp_path, "double_submit")
    assert [status for status, _ in outcome["results"]] == [302, 302]
    assert outcome["new_revisions"] == 1
    assert outcome["in_review"] == 1


def test_three_moderators_approving_at_once_publish_once_and_the_others_are_told(
    migrated_sqlite, tmp_path
):
    outcome = run_scenario(migrated_sqlite, tmp_path, "approvals")
    statuses = sorted(status for status, _ in outcome["results"])
    assert statuses == [200, 200, 302], outcome["results"]
    assert outcome["approvals"] == 1
    assert outcome["published"] == "published"
    for status, body in outcome["results"]:
        if status == 200:
            assert "Not published" in body and "already published" in body


def test_a_save_that_cannot_get_the_lock_shows_the_form_again_with_the_text(
    migrated_sqlite, tmp_path
):
    outcome = run_scenario(migrated_sqlite, tmp_path, "busy", MEDSITE_SQLITE_TIMEOUT="0.3")
    status, body = outcome["result"]
    assert status == 200, re.findall(r"exception_value\">([^<]*)|<title>([^<]*)", body)[:3]
    assert outcome["text"] in body  # the editor's text is in the form
    assert "database was busy" in body
    assert not outcome["stored"]
