"""What a publication stores, how the public pages assemble it, and rebuild_published.

A published revision stores its page in parts (article body, disclaimer block, "On this
page", meta description, JSON-LD); the review block lives on the monograph; the A to Z
reads ``PublicName`` rows. A cache miss of any public page is a few indexed queries,
the same number whatever the size of the catalogue or of a monograph's history.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monographs import caching, page, sitemaps, workflow
from monographs.content import Section
from monographs.models import (
    AuditEntry,
    DisclaimerVersion,
    Monograph,
    PublicName,
    Revision,
    StoredPage,
)
from monographs.views import MissingParts
from tests.workflow_helpers import (
    add_publications,
    edit_and_publish,
    edited,
    publish_new,
    sample_content,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def testamol(editor, moderator, committing) -> Monograph:
    content = sample_content("Testamol", other_names=["Panadolo", "Calpolo"])
    return committing(publish_new, content, editor=editor, moderator=moderator)


# --- the parts ------------------------------------------------------------------------------
def test_a_publication_stores_its_parts_separately(testamol, moderator):
    revision = testamol.live_revision
    content = revision.data
    parts = page.build_parts(content, revision.disclaimer_version.text)

    assert revision.rendered_html == parts.body_html
    assert 'id="disclaimer"' not in revision.rendered_html
    assert revision.disclaimer_html.startswith('<section id="disclaimer" class="disclaimer"')
    assert "for education only" in revision.disclaimer_html
    assert revision.contents == [
        *({"id": s.key, "heading": s.heading} for s in content.sections),
        {"id": "disclaimer", "heading": "Disclaimer"},
    ]
    assert revision.meta_description == "Testamol is used to treat mild to moderate pain and fever."
    data = json.loads(revision.jsonld)
    assert data["@type"] == "MedicalWebPage"
    assert data["about"]["alternateName"] == ["Panadolo", "Calpolo"]
    assert data["dateModified"] == testamol.last_published_at.isoformat()
    # The review block: on the monograph, where set_next_review_due changes it too.
    assert testamol.last_reviewed_by_name == moderator.get_full_name()
    assert testamol.last_reviewed_by_role == "Moderator"


def test_the_meta_description_is_plain_text(editor, moderator):
    content = sample_content(
        "Boldol", usage="**Boldol** treats [pain](https://example.org) & fever."
    )
    monograph = publish_new(content, editor=editor, moderator=moderator)
    assert monograph.live_revision.meta_description == "Boldol treats pain & fever."


def test_the_public_page_assembles_the_stored_parts_in_one_query(
    client, testamol, monkeypatch, django_assert_num_queries
):
    def forbidden(*args, **kwargs):
        raise AssertionError("a public page only assembles stored parts")

    for name in ("render_markdown", "render_inline", "markdown_to_text"):
        monkeypatch.setattr(f"monographs.rendering.{name}", forbidden)
    for name in ("build_parts", "section_body_html", "_meta_description"):
        monkeypatch.setattr(f"monographs.page.{name}", forbidden)
    monkeypatch.setattr("monographs.structured_data.monograph_jsonld", forbidden)
    monkeypatch.setattr("monographs.structured_data.monograph_data", forbidden)
    monkeypatch.setattr("html.parser.HTMLParser.feed", forbidden)

    with django_assert_num_queries(1):
        response = client.get(testamol.get_absolute_url())
    html = response.content.decode()
    revision = testamol.live_revision
    assert response.status_code == 200
    assert revision.rendered_html in html and revision.disclaimer_html in html
    # The review dates sit between the body and the disclaimer.
    assert html.index(revision.rendered_html) < html.index("Last reviewed")
    assert html.index("Last reviewed") < html.index(revision.disclaimer_html)
    assert f'<script type="application/ld+json">{revision.jsonld}</script>' in html
    assert f'<meta name="description" content="{revision.meta_description}">' in html


def test_a_new_review_date_shows_without_a_publication(client, testamol, moderator, committing):
    due = timezone.localdate() + timedelta(days=100)
    committing(workflow.set_next_review_due, monograph=testamol, by=moderator, due=due)
    text = client.get(testamol.get_absolute_url()).content.decode()
    assert f"{due:%-d %B %Y}" in text
    assert Revision.objects.filter(monograph=testamol).count() == 1


# --- one disclaimer rule --------------------------------------------------------------------
def test_one_rule_chooses_the_disclaimer_for_a_publication_and_a_preview(client, editor, moderator):
    own = sample_content("Ownol", disclaimer="Own words.")
    label_only = sample_content("Labelol", disclaimer="**Disclaimer:**  ")
    none = sample_content("Noneol", disclaimer="")

    # Nobody wrote a site disclaimer yet: the one built-in text.
    assert workflow.chosen_disclaimer(none) == (workflow.DEFAULT_SITE_DISCLAIMER, None)
    assert workflow.DEFAULT_SITE_DISCLAIMER is page.DEFAULT_DISCLAIMER
    assert workflow.chosen_disclaimer(own) == ("Own words.", None)
    site = workflow.change_site_disclaimer(text="Site words.", by=moderator, summary="New")
    assert workflow.chosen_disclaimer(none) == ("Site words.", site)
    # A disclaimer that is only its label is no disclaimer of its own.
    assert workflow.chosen_disclaimer(label_only) == ("Site words.", site)

    client.force_login(editor)
    for content, expected, version in (
        (own, "Own words.", None),
        (label_only, "Site words.", site),
    ):
        monograph = publish_new(content, editor=editor, moderator=moderator)
        revision = monograph.live_revision
        preview = client.get(revision.get_preview_url()).content.decode()
        assert revision.disclaimer_html in preview
        assert expected in revision.disclaimer_html
        if version is not None:
            assert revision.disclaimer_version == version
        else:
            assert revision.disclaimer_version.monograph_id == monograph.pk


# --- rebuild_published ----------------------------------------------------------------------
def _strip_parts(*monographs: Monograph) -> None:
    """Make live revisions look published before parts (and pages) were stored."""
    ids = [m.live_revision_id for m in monographs]
    Revision.objects.filter(pk__in=ids).update(
        disclaimer_html="", contents=[], meta_description="", jsonld=""
    )
    PublicName.objects.filter(monograph__in=monographs).delete()
    StoredPage.objects.filter(monograph__in=monographs).delete()


def test_rebuild_fills_missing_parts_without_new_revisions(client, testamol, editor, moderator):
    other = publish_new(sample_content("Otherol"), editor=editor, moderator=moderator)
    before = {
        r.pk: (r.rendered_html, r.disclaimer_html, r.contents, r.meta_description, r.jsonld)
        for r in Revision.objects.filter(pk__in=[testamol.live_revision_id, other.live_revision_id])
    }
    revisions = Revision.objects.count()
    _strip_parts(testamol, other)
    # No fallback: a page without its parts is an error that names the fix.
    with pytest.raises(MissingParts, match="rebuild_published --missing"):
        client.get(testamol.get_absolute_url())
    assert not PublicName.objects.exists()

    out = io.StringIO()
    call_command("rebuild_published", "--missing", stdout=out)

    assert "Rebuilt the pages of 2 published monograph(s)." in out.getvalue()
    after = {
        r.pk: (r.rendered_html, r.disclaimer_html, r.contents, r.meta_description, r.jsonld)
        for r in Revision.objects.filter(pk__in=before)
    }
    assert after == before
    assert Revision.objects.count() == revisions
    assert set(PublicName.objects.values_list("name", flat=True)) == {
        "Testamol",
        "Panadolo",
        "Calpolo",
        "Otherol",
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REBUILD)
    assert entry.actor is None and entry.details["rebuilt"] == 2
    assert client.get(testamol.get_absolute_url()).status_code == 200


def test_rebuild_of_nothing_missing_writes_nothing(testamol):
    out = io.StringIO()
    call_command("rebuild_published", "--missing", stdout=out)
    assert out.getvalue() == ""
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REBUILD).exists()


def test_rebuild_after_a_rendering_change_shows_on_cached_pages(
    client, testamol, monkeypatch, django_capture_on_commit_callbacks
):
    url = testamol.get_absolute_url()
    assert "Important notice" not in client.get(url).content.decode()  # now cached
    monkeypatch.setattr(page, "DISCLAIMER_HEADING", "Important notice")

    with django_capture_on_commit_callbacks(execute=True):
        result = workflow.rebuild_published()

    assert result.rebuilt == 1
    html = client.get(url).content.decode()
    assert ">Important notice</h2>" in html and ">Important notice</a>" in html
    # The disclaimer it went out with, not the one a publication would choose today.
    assert "for education only" in html


def test_rebuild_runs_in_batches_and_keeps_withdrawn_monographs_out_of_the_a_to_z(
    testamol, editor, moderator
):
    others = [
        publish_new(sample_content(name), editor=editor, moderator=moderator)
        for name in ("Alphol", "Betol", "Gammol", "Deltol")
    ]
    workflow.withdraw(monograph=others[0], by=moderator, reason="Gone")
    _strip_parts(testamol, *others)
    done = []

    result = workflow.rebuild_published(missing_only=True, batch_size=2, progress=done.append)

    assert result.rebuilt == 5 and done == [2, 4, 5]
    assert all(r.has_parts for r in Revision.objects.filter(status="published"))
    names = set(PublicName.objects.values_list("name", flat=True))
    assert "Alphol" not in names and {"Betol", "Gammol", "Deltol", "Testamol"} <= names


def test_withdraw_and_restore_take_the_names_out_of_the_a_to_z_and_back(testamol, moderator):
    workflow.withdraw(monograph=testamol, by=moderator, reason="Check")
    assert not PublicName.objects.exists()
    workflow.restore(monograph=testamol, by=moderator, reason="Checked")
    assert PublicName.objects.filter(slug="testamol").count() == 3


# --- slugs never hide behind a letter page --------------------------------------------------
@pytest.mark.parametrize("slug", ["a", "z", "0-9", "7"])
def test_slugs_of_letter_pages_are_refused(editor, slug):
    with pytest.raises(workflow.InvalidInput, match="A to Z letter page"):
        workflow.create_monograph(
            content=sample_content("Xol"), by=editor, summary="New", slug=slug
        )


def test_a_one_letter_title_gets_a_longer_address(client, editor, moderator):
    monograph = publish_new(sample_content("X"), editor=editor, moderator=moderator)
    assert monograph.slug == "x-medicine"
    assert client.get("/medicines/x-medicine/").status_code == 200
    html = client.get("/medicines/x/").content.decode()
    assert '<a href="/medicines/x-medicine/">X</a>' in html


def test_a_two_letter_slug_is_a_monograph_not_a_letter(client, editor, moderator):
    monograph = publish_new(sample_content("Ab"), editor=editor, moderator=moderator)
    assert monograph.slug == "ab"
    assert ">Ab</h1>" in client.get("/medicines/ab/").content.decode()
    assert "Medicines A to Z: A" in client.get("/medicines/a/").content.decode()


# --- query counts of every public page on a miss -----------------------------------------
def _public_urls(monograph: Monograph) -> dict[str, str]:
    return {
        "home": reverse("monographs:home"),
        "letter index": reverse("monographs:a_to_z"),
        "letter page": reverse("monographs:letter", args=["t"]),
        "monograph": monograph.get_absolute_url(),
        "history": reverse("monographs:history", args=[monograph.slug]),
        "history page 2": reverse("monographs:history", args=[monograph.slug]) + "?page=2",
        "sitemap index": reverse("monographs:sitemap"),
        "sitemap pages": reverse("monographs:sitemap_section", args=["pages"]),
        "sitemap monographs": reverse("monographs:sitemap_section", args=["monographs"]),
        "sitemap monographs page 2": reverse("monographs:sitemap_section", args=["monographs"])
        + "?p=2",
    }


# At most this many queries on a miss, whatever the catalogue's size.
MAX_QUERIES = {
    "home": 2,
    "letter index": 1,
    "letter page": 2,
    "monograph": 1,
    "history": 4,
    "history page 2": 4,
    "sitemap index": 2,
    "sitemap pages": 0,
    "sitemap monographs": 2,
    "sitemap monographs page 2": 2,
}


def _count_queries(client, urls: dict[str, str]) -> dict[str, int]:
    cache.clear()
    # The versions as a process knows them after its poll (the poll itself is one query
    # every MEDSITE_VERSION_POLL_SECONDS per process, not per request).
    caching._versions.refresh(force=True)
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        counts[name] = len(queries.captured_queries)
    return counts


def test_a_miss_of_every_public_page_takes_the_same_few_queries_at_any_size(
    client, testamol, editor, moderator, monkeypatch
):
    monkeypatch.setattr(sitemaps.MonographSitemap, "limit", 2)
    edit_and_publish(
        testamol,
        edited(testamol.live_revision.data, dosage="Two tablets."),
        editor=editor,
        moderator=moderator,
    )
    for name in ("Tabol", "Tecol", "Tidol"):
        publish_new(sample_content(name), editor=editor, moderator=moderator)
    add_publications(testamol, 60)  # two pages of history
    small = _count_queries(client, _public_urls(testamol))

    for n in range(12):
        monograph = publish_new(
            sample_content(f"Tumol{n}", other_names=[f"Brand{n}"]),
            editor=editor,
            moderator=moderator,
        )
        add_publications(monograph, 5)
    add_publications(testamol, 300)
    large = _count_queries(client, _public_urls(testamol))

    assert large == small
    for name, count in large.items():
        assert count <= MAX_QUERIES[name], (name, count)


def test_a_hit_takes_no_query(client, testamol, django_assert_num_queries):
    urls = _public_urls(testamol)
    urls.pop("history page 2")
    urls.pop("sitemap monographs page 2")
    for url in urls.values():
        client.get(url)
    for name, url in urls.items():
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200, name


# --- the staff preview is the page -----------------------------------------------------------
def test_the_staff_preview_shows_what_publication_stores(client, testamol, editor, moderator):
    content = edited(
        testamol.live_revision.data,
        side_effects="Common: nausea.\n\nSeek urgent medical help if you have:\n\n- chest pain\n",
    )
    result = workflow.save_draft(
        monograph=testamol,
        content=content,
        by=editor,
        summary="Serious effects",
        based_on=testamol.latest_revision,
    )
    client.force_login(editor)
    preview = client.get(result.revision.get_preview_url()).content.decode()
    workflow.submit(revision=result.revision, by=editor)
    published = workflow.approve(
        revision=result.revision,
        by=moderator,
        content_hash=result.revision.content_hash,
        clinical_checked=True,
    )
    assert published.rendered_html in preview
    assert published.disclaimer_html in preview
    assert 'class="callout callout--warning"' in published.rendered_html


def test_section_html_is_the_section_body_under_its_heading():
    section = Section("dosage", "Dosage", "| Age | Dose |\n|---|---|\n| Adult | 1 g |\n")
    body = page.section_body_html(section)
    assert page.section_html(section) == (
        '<section id="dosage" class="article-section" aria-labelledby="dosage-heading">\n'
        f'<h2 id="dosage-heading">Dosage</h2>\n{body}\n</section>'
    )
    assert 'aria-label="Dosage table"' in body


def test_the_disclaimer_versions_are_still_recorded(testamol):
    version = testamol.live_revision.disclaimer_version
    assert isinstance(version, DisclaimerVersion) and version.monograph_id == testamol.pk
