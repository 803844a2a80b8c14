"""The admin's first page for editors and moderators (issue 11.6): what needs them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monographs import workflow
from monographs.models import Monograph
from tests.workflow_helpers import edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


def _save(monograph, content, by, summary):
    monograph = Monograph.objects.get(pk=monograph.pk)
    return workflow.save_draft(
        monograph=monograph,
        content=content,
        by=by,
        summary=summary,
        based_on=monograph.latest_revision,
    ).revision


@pytest.fixture
def world(editor, editor2, moderator, moderator2):
    live = publish_new(sample_content("Livamol"), editor=editor, moderator=moderator)
    # A dose change in review (clinical), written by editor2.
    content = Monograph.objects.get(pk=live.pk).latest_revision.data
    dosage = content.section("dosage").body.replace("1 g up to four", "2 g up to four")
    in_review = _save(live, edited(content, dosage=dosage), editor2, "Raised the dose")
    workflow.submit(revision=in_review, by=editor2)
    # editor's draft, and editor's revision sent back.
    draft = workflow.create_monograph(content=sample_content("Draftol"), by=editor, summary="New")
    sent = workflow.create_monograph(content=sample_content("Backol"), by=editor, summary="Mine")
    workflow.submit(revision=sent, by=editor)
    workflow.request_changes(revision=sent, by=moderator, comment="Cite the source please.")
    # Overdue.
    overdue = publish_new(sample_content("Oldamol"), editor=editor, moderator=moderator2)
    Monograph.objects.filter(pk=overdue.pk).update(  # test setup
        next_review_due=timezone.localdate() - timedelta(days=3)
    )
    return {"draft": draft, "in_review": in_review}


def test_an_editor_sees_their_drafts_what_was_sent_back_and_no_raw_model_lists(
    client, editor, world
):
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    drafts = html.split('id="dash-drafts"')[1].split("</section>")[0]
    assert "Draftol" in drafts and "Backol" not in drafts
    sent_back = html.split('id="dash-sent-back"')[1].split("</section>")[0]
    assert "Backol" in sent_back and "Cite the source please." in sent_back
    overdue = html.split('id="dash-overdue"')[1].split("</section>")[0]
    assert "Oldamol" in overdue and "Livamol" not in overdue
    published = html.split('id="dash-published"')[1].split("</section>")[0]
    assert "Livamol" in published and "Oldamol" in published
    # Django's model lists (e.g. "Audit entries", "Review decisions") are not shown.
    assert 'class="app-monographs' not in html and "Review decisions" not in html
    assert "Review queue" not in html


def test_a_moderator_sees_what_waits_for_review_with_clinical_counts(client, moderator, world):
    client.force_login(moderator)
    html = client.get(reverse("admin:index")).content.decode()
    waiting = html.split('id="dash-waiting"')[1].split("</section>")[0]
    assert "Livamol #2" in waiting and "1 clinical change" in waiting
    assert reverse("admin:monographs_revision_review", args=[world["in_review"].pk]) in waiting
    assert "Review queue" in html


def test_a_superuser_still_has_the_model_lists(client, superuser, world):
    client.force_login(superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Review decisions" in html and 'id="dash-waiting"' in html
