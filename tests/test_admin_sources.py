"""Admin screens for sources and schedules: start from a label, label changes, scheduled."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from monographs import labels, workflow
from monographs.models import AuditEntry, Monograph, Revision
from tests.workflow_helpers import ROOT

from .workflow_helpers import approved_for, publish_new, sample_content, submitted_edit

NEXIUM = ROOT.parent / "shared" / "data" / "fda-labels" / "NDA021153.json"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not NEXIUM.exists(), reason="shared/data/fda-labels is not beside the repo"),
]


def test_an_editor_starts_a_draft_from_an_uploaded_label(client, editor) -> None:
    client.force_login(editor)
    url = reverse("admin:monographs_from_label")
    page = client.get(url)
    assert page.status_code == 200 and "Start from an FDA label" in page.content.decode()
    upload = SimpleUploadedFile("nexium.json", NEXIUM.read_bytes(), "application/json")
    response = client.post(url, {"label": upload})
    monograph = Monograph.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:monographs_monograph_change", args=[monograph.pk])
    revision = Revision.objects.get()
    assert revision.status == Revision.Status.DRAFT and revision.created_by == editor
    assert AuditEntry.objects.get(action=AuditEntry.Action.LABEL_DRAFT).actor == editor
    follow = client.get(response["Location"]).content.decode()
    assert "Draft #1 of “Esomeprazole magnesium” made from the label" in follow


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"{oops", "is not JSON"), (b'{"a": 1}', "not an openFDA drug label")],
)
def test_a_bad_upload_shows_the_form_again_and_writes_nothing(client, editor, data, message):
    client.force_login(editor)
    upload = SimpleUploadedFile("bad.json", data, "application/json")
    response = client.post(reverse("admin:monographs_from_label"), {"label": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'id="ms-error-summary"' in html
    assert not Monograph.objects.exists() and not AuditEntry.objects.exists()


def test_only_staff_who_may_create_monographs_see_the_upload(client, django_user_model) -> None:
    url = reverse("admin:monographs_from_label")
    assert client.get(url).status_code == 302  # to the login page
    reader = django_user_model.objects.create_user("reader", password="x", is_staff=True)
    client.force_login(reader)
    assert client.get(url).status_code == 403


def test_label_changes_are_listed_and_marked_checked(client, editor, tmp_path) -> None:
    workflow.draft_from_label(label=labels.read_label_file(NEXIUM), filename="nexium.json")
    data = json.loads(NEXIUM.read_text(encoding="utf-8"))
    data["results"][0]["version"] = "9"
    data["results"][0]["contraindications"] = ["4 CONTRAINDICATIONS Do not use in pregnancy."]
    newer = tmp_path / "nexium.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    monograph = Monograph.objects.get()
    workflow.record_label_change(
        monograph=monograph, label=labels.read_label_file(newer), filename=str(newer)
    )
    client.force_login(editor)
    url = reverse("admin:monographs_label_changes")
    html = client.get(url).content.decode()
    assert "label version 4 → 9" in html and "Contraindications" in html

    response = client.post(url, {"monograph": monograph.pk, "note": "Checked, no change needed"})
    assert response.status_code == 302
    monograph.refresh_from_db()
    assert monograph.label_change == {} and monograph.label_version == "9"
    assert "No label has changed" in client.get(url).content.decode()


def test_scheduled_publications_can_be_rescheduled_and_cancelled(
    client, editor, moderator, moderator2
) -> None:
    monograph = publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    submitted = submitted_edit(monograph, editor=editor, usage="New text.")
    when = timezone.now() + timedelta(days=1)
    scheduled_revision = approved_for(submitted, moderator=moderator, when=when)
    client.force_login(moderator2)
    url = reverse("admin:monographs_scheduled")
    html = client.get(url).content.decode()
    assert "Aspirin #2" in html and "approved by Moderator1 Tester" in html

    later = timezone.localtime(when + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"revision": scheduled_revision.pk, "action": "reschedule", "publish_at": later}
    )
    assert response.status_code == 302
    revision = Revision.objects.get(pk=scheduled_revision.pk)
    assert timezone.localtime(revision.publish_at).strftime("%Y-%m-%dT%H:%M") == later

    client.post(url, {"revision": revision.pk, "action": "cancel"})
    revision.refresh_from_db()
    assert revision.status == Revision.Status.IN_REVIEW
    client.force_login(editor)
    assert client.get(url).status_code == 403  # editors do not schedule


def test_a_moderator_schedules_from_the_review_screen(
    client, editor, moderator, moderator2
) -> None:
    monograph = publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    asked = timezone.now() + timedelta(days=3)
    revision = submitted_edit(monograph, editor=editor, publish_at=asked, usage="Scheduled text.")
    client.force_login(moderator2)
    url = reverse("admin:monographs_revision_review", args=[revision.pk])
    page = client.get(url).content.decode()
    shown = timezone.localtime(asked).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{shown}"' in page  # the author's time is offered
    assert "The author asked for" in page

    when = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {
            "action": "approve",
            "content_hash": revision.content_hash,
            "clinical_checked": "on",
            "publish_at": when,
        },
    )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.status == Revision.Status.SCHEDULED
    assert timezone.localtime(revision.publish_at).strftime("%Y-%m-%dT%H:%M") == when
    follow = client.get(response["Location"]).content.decode()
    assert "for publication on" in follow and "Scheduled publications</a> (1)" in follow
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert 'id="dash-scheduled"' in dashboard and "Aspirin #2" in dashboard
