"""The public "what changed" page (issue 11.7): each publication against the one before."""

from __future__ import annotations

import pytest
from django.urls import reverse

from monographs import workflow
from monographs.models import Monograph
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def twice(editor, moderator) -> Monograph:
    monograph = publish_new(sample_content("Testamol"), editor=editor, moderator=moderator)
    content = Monograph.objects.get(pk=monograph.pk).live_revision.data
    dosage = content.section("dosage").body.replace("1 g up to four times", "2 g up to four times")
    edit_and_publish(
        monograph,
        edited(content, dosage=dosage),
        editor=editor,
        moderator=moderator,
        summary="Higher rectal dose",
    )
    return Monograph.objects.get(pk=monograph.pk)


def changes_url(monograph: Monograph, number: int) -> str:
    return reverse("monographs:changes", args=[monograph.slug, number])


def test_the_history_links_each_publication_to_what_changed(client, twice):
    html = client.get(reverse("monographs:history", args=[twice.slug])).content.decode()
    assert changes_url(twice, 2) in html
    assert changes_url(twice, 1) in html  # "the first version published"


def test_the_comparison_shows_the_clinical_change_and_the_marked_section(client, twice):
    response = client.get(changes_url(twice, 2))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Higher rectal dose" in html
    clinical = html.split('class="clinical-changes"')[1].split("</ul>")[0]
    assert '<span class="was">1 g</span> → <span class="now">2 g</span>' in clinical
    section = html.split('id="change-dosage"')[1].split("</section>")[0]
    assert '<del class="ms-mark">1</del>' in section and '<ins class="ms-mark">2</ins>' in section
    assert 'id="change-usage"' not in html  # unchanged sections are not repeated
    assert response["Cache-Control"].startswith("public")


def test_the_first_publication_and_unknown_numbers(client, twice):
    first = client.get(changes_url(twice, 1)).content.decode()
    assert "This was the first version published." in first
    assert client.get(changes_url(twice, 99)).status_code == 404
    assert client.get(reverse("monographs:changes", args=["nothing", 1])).status_code == 404


def test_a_draft_is_never_shown(client, twice, editor):
    content = twice.latest_revision.data
    draft = workflow.save_draft(
        monograph=twice,
        content=edited(content, usage="Secret draft text."),
        by=editor,
        summary="Draft",
        based_on=twice.latest_revision,
    ).revision
    assert client.get(changes_url(twice, draft.number)).status_code == 404


def test_a_withdrawn_monograph_answers_gone(
    client, twice, moderator, django_capture_on_commit_callbacks
):
    assert client.get(changes_url(twice, 2)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the cache is told on commit
        workflow.withdraw(monograph=twice, by=moderator, reason="Recalled")
    assert client.get(changes_url(twice, 2)).status_code == 410


def test_a_publication_that_combined_several_edits_lists_every_description(
    client, twice, editor, editor2, moderator
):
    content = twice.latest_revision.data
    first = workflow.save_draft(
        monograph=twice,
        content=edited(content, usage="First editor's text."),
        by=editor,
        summary="Rewrote the usage",
        based_on=twice.latest_revision,
    ).revision
    workflow.submit(revision=first, by=editor)
    second = workflow.save_draft(
        monograph=Monograph.objects.get(pk=twice.pk),
        content=edited(content, usage="First editor's text, checked."),
        by=editor2,
        summary="Checked the wording",
        based_on=first,
    ).revision
    workflow.approve(revision=second, by=moderator, content_hash=second.content_hash)
    html = client.get(changes_url(twice, second.number)).content.decode()
    listed = html.split('class="change-summaries"')[1].split("</ul>")[0]
    assert "Rewrote the usage" in listed and "Checked the wording" in listed
    assert "Editor1" not in html and "Editor2" not in html  # no editors' names in public
