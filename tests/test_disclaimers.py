"""Disclaimers: a versioned site-wide default, optional per-monograph texts, and a record of
exactly which version every publication went out with."""

from __future__ import annotations

import pytest

from monographs import workflow
from monographs.models import AppendOnlyError, AuditEntry, DisclaimerVersion
from monographs.workflow import WorkflowError, WorkflowPermissionDenied
from tests.workflow_helpers import edit_and_publish, edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


def _site_versions() -> list[tuple[int, str]]:
    return list(
        DisclaimerVersion.objects.filter(monograph__isnull=True)
        .order_by("number")
        .values_list("number", "text")
    )


class TestSiteDisclaimer:
    def test_there_is_none_until_someone_writes_one_or_something_is_published(self):
        assert workflow.current_site_disclaimer() is None

    def test_each_change_is_a_new_version_with_author(self, moderator, moderator2):
        first = workflow.change_site_disclaimer(text="Version one.", by=moderator, summary="New")
        second = workflow.change_site_disclaimer(
            text="Version two.", by=moderator2, summary="Reworded"
        )
        assert (first.number, first.created_by, first.monograph) == (1, moderator, None)
        assert (second.number, second.created_by, second.change_summary) == (
            2,
            moderator2,
            "Reworded",
        )
        assert workflow.current_site_disclaimer() == second
        assert _site_versions() == [(1, "Version one."), (2, "Version two.")]

    def test_the_same_text_again_changes_nothing(self, moderator):
        first = workflow.change_site_disclaimer(text="Same.", by=moderator, summary="New")
        again = workflow.change_site_disclaimer(text="  Same.\n", by=moderator, summary="Again")
        assert again == first
        assert DisclaimerVersion.objects.count() == 1
        assert AuditEntry.objects.filter(action="disclaimer_change").count() == 1

    def test_text_is_required(self, moderator):
        with pytest.raises(WorkflowError, match="The disclaimer text is required"):
            workflow.change_site_disclaimer(text="  ", by=moderator, summary="Empty")
        assert not DisclaimerVersion.objects.exists()

    def test_editors_cannot_change_it(self, editor):
        with pytest.raises(WorkflowPermissionDenied, match="change the site disclaimer"):
            workflow.change_site_disclaimer(text="Mine.", by=editor, summary="x")
        assert not DisclaimerVersion.objects.exists()

    def test_versions_are_never_deleted(self, moderator):
        version = workflow.change_site_disclaimer(text="Kept.", by=moderator, summary="")
        with pytest.raises(AppendOnlyError):
            version.delete()
        assert DisclaimerVersion.objects.count() == 1


class TestDisclaimerPerPublication:
    def test_a_monograph_without_its_own_text_goes_out_with_the_site_default(
        self, editor, moderator
    ):
        site = workflow.change_site_disclaimer(text="Site text.", by=moderator, summary="")
        monograph = publish_new(sample_content(disclaimer=""), editor=editor, moderator=moderator)
        live = monograph.live_revision
        assert live.disclaimer_version == site
        assert "Site text." in live.article_html

    def test_the_first_publication_creates_a_built_in_site_default_if_none_exists(
        self, editor, moderator
    ):
        monograph = publish_new(sample_content(disclaimer=""), editor=editor, moderator=moderator)
        version = monograph.live_revision.disclaimer_version
        assert (version.monograph, version.number, version.created_by) == (None, 1, None)
        assert version.text == workflow.DEFAULT_SITE_DISCLAIMER
        assert "not medical advice" in monograph.live_revision.article_html

    def test_changing_the_site_default_later_leaves_earlier_publications_unchanged(
        self, editor, moderator, moderator2
    ):
        old = workflow.change_site_disclaimer(text="Old site text.", by=moderator, summary="")
        monograph = publish_new(sample_content(disclaimer=""), editor=editor, moderator=moderator)
        first = monograph.live_revision
        new = workflow.change_site_disclaimer(text="New site text.", by=moderator, summary="")

        first.refresh_from_db()
        assert first.disclaimer_version == old
        assert "Old site text." in first.article_html
        assert "New site text." not in first.article_html

        second = edit_and_publish(
            monograph,
            edited(sample_content(disclaimer=""), usage="Updated"),
            editor=editor,
            moderator=moderator2,
        )
        assert second.disclaimer_version == new
        assert "New site text." in second.article_html
        # The history can say which disclaimer each publication carried.
        assert [
            (r.number, r.disclaimer_version.text)
            for r in monograph.revisions.published().order_by("number")
        ] == [(1, "Old site text."), (2, "New site text.")]

    def test_a_monograph_with_its_own_text_gets_its_own_versions(
        self, editor, moderator, moderator2
    ):
        workflow.change_site_disclaimer(text="Site text.", by=moderator, summary="")
        monograph = publish_new(
            sample_content(disclaimer="Own text v1."), editor=editor, moderator=moderator
        )
        first = monograph.live_revision.disclaimer_version
        assert (first.monograph, first.number, first.text) == (monograph, 1, "Own text v1.")
        assert "Own text v1." in monograph.live_revision.article_html
        assert "Site text." not in monograph.live_revision.article_html

        # A later publication with the same text reuses the version...
        same = edit_and_publish(
            monograph,
            edited(sample_content(disclaimer="Own text v1."), usage="Edited"),
            editor=editor,
            moderator=moderator2,
        )
        assert same.disclaimer_version == first
        # ...and a changed text makes the next version of that monograph's disclaimer.
        changed = edit_and_publish(
            monograph,
            edited(sample_content(disclaimer="Own text v2."), usage="Edited"),
            editor=editor,
            moderator=moderator2,
        )
        assert (changed.disclaimer_version.monograph, changed.disclaimer_version.number) == (
            monograph,
            2,
        )
        assert list(
            monograph.disclaimer_versions.order_by("number").values_list("number", "text")
        ) == [(1, "Own text v1."), (2, "Own text v2.")]
        # The site default is untouched by monographs' own texts.
        assert _site_versions() == [(1, "Site text.")]

    def test_dropping_the_own_text_falls_back_to_the_site_default(
        self, editor, moderator, moderator2
    ):
        site = workflow.change_site_disclaimer(text="Site text.", by=moderator, summary="")
        monograph = publish_new(
            sample_content(disclaimer="Own text."), editor=editor, moderator=moderator
        )
        revision = edit_and_publish(
            monograph, sample_content(disclaimer=""), editor=editor, moderator=moderator2
        )
        assert revision.disclaimer_version == site

    def test_an_import_records_the_files_disclaimer(self):
        result = workflow.import_source(
            content=sample_content(disclaimer="From the file."), filename="testamol.md"
        )
        version = result.revision.disclaimer_version
        assert (version.monograph, version.text, version.created_by) == (
            result.monograph,
            "From the file.",
            None,
        )
        entry = AuditEntry.objects.get(action="import")
        assert entry.disclaimer_version == version

    def test_the_approval_audit_entry_names_the_version(self, editor, moderator):
        monograph = publish_new(sample_content(), editor=editor, moderator=moderator)
        entry = AuditEntry.objects.get(action="approve")
        version = monograph.live_revision.disclaimer_version
        assert entry.disclaimer_version == version
        assert entry.details["disclaimer_version"] == version.number
        assert entry.details["disclaimer_scope"] == "monograph"

    def test_the_site_disclaimer_change_is_audited(self, moderator):
        workflow.change_site_disclaimer(text="One.", by=moderator, summary="First")
        version = workflow.change_site_disclaimer(text="Two.", by=moderator, summary="Second")
        entry = AuditEntry.objects.filter(action="disclaimer_change").first()
        assert (entry.actor, entry.disclaimer_version, entry.message) == (
            moderator,
            version,
            "Second",
        )
        assert (entry.from_state, entry.to_state) == ("v1", "v2")
