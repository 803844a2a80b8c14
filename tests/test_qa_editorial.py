"""Defects found by the editorial quality pass, each pinned by a test that failed before its fix.

Editors and moderators as users, and as attackers posting what the screens never send.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from monographs import workflow
from monographs.models import AuditEntry, Monograph, Revision
from tests.test_admin import change_url, form_data, message_texts, review_url
from tests.workflow_helpers import edited, publish_new, sample_content

pytestmark = pytest.mark.django_db
S = Revision.Status


@pytest.fixture
def live(editor, moderator2) -> Monograph:
    """A published monograph that the moderator fixture never wrote nor approved."""
    return publish_new(sample_content(), editor=editor, moderator=moderator2)


# --- four-eyes ---------------------------------------------------------------------------------
class TestFourEyesThroughRevert:
    """A revert publishes the text of the revision it reverts to: its author wrote that text."""

    def _moderator_text_reverted_to_by_editor(self, live, editor, moderator) -> Revision:
        start = live.live_revision
        own = workflow.save_draft(
            monograph=live,
            content=edited(start.data, usage="The moderator's own unreviewed text."),
            by=moderator,
            summary="Moderator's draft",
            based_on=None,
        ).revision
        # The editor starts again from the live text (a conflict), then reverts to the
        # moderator's draft: the chain of based_on no longer passes through it.
        workflow.save_draft(
            monograph=live,
            content=edited(start.data, usage="The editor's text."),
            by=editor,
            summary="Editor's draft",
            based_on=start,
        )
        revert = workflow.revert_to(revision=own, by=editor, summary="Back to the moderator's")
        return workflow.submit(revision=revert, by=editor)

    def test_the_moderator_cannot_approve_their_own_text_reverted_to_by_someone_else(
        self, live, editor, moderator
    ):
        revision = self._moderator_text_reverted_to_by_editor(live, editor, moderator)
        assert revision.data.section("usage").body == "The moderator's own unreviewed text."

        with pytest.raises(workflow.WorkflowPermissionDenied, match="you wrote or edited"):
            workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
        assert Monograph.objects.get(pk=live.pk).live_revision_id == live.live_revision_id

    def test_another_moderator_can(self, live, editor, moderator, moderator2):
        revision = self._moderator_text_reverted_to_by_editor(live, editor, moderator)
        workflow.approve(revision=revision, by=moderator2, content_hash=revision.content_hash)
        assert Monograph.objects.get(pk=live.pk).live_revision_id == revision.pk

    def test_the_review_screen_says_so_before_the_moderator_tries(
        self, client, live, editor, moderator
    ):
        revision = self._moderator_text_reverted_to_by_editor(live, editor, moderator)
        client.force_login(moderator)
        response = client.get(review_url(revision))
        assert response.context["own_work"] is True
        assert moderator in response.context["authors"]
        assert "Four-eyes rule" in response.content.decode()

    def test_reverting_to_published_text_needs_no_other_moderator(
        self, live, editor, moderator, moderator2
    ):
        # Published text was reviewed by someone else already; reverting to it is new work
        # by the reverter only.
        first = live.live_revision
        change = workflow.save_draft(
            monograph=live,
            content=edited(first.data, usage="Newer text."),
            by=editor,
            summary="Newer",
            based_on=None,
        ).revision
        workflow.submit(revision=change, by=editor)
        workflow.approve(revision=change, by=moderator2, content_hash=change.content_hash)
        revert = workflow.revert_to(revision=first, by=editor, summary="Back to the first text")
        workflow.submit(revision=revert, by=editor)
        workflow.approve(revision=revert, by=moderator, content_hash=revert.content_hash)
        assert Monograph.objects.get(pk=live.pk).live_revision_id == revert.pk


def test_the_review_screen_does_not_refuse_what_the_workflow_allows(
    client, live, editor, moderator
):
    # The moderator's draft was replaced by an editor's revision built from the live text:
    # none of the moderator's words are in it, so the workflow lets them approve it. The
    # screen used to count every author since the live revision and say they could not.
    start = live.live_revision
    workflow.save_draft(
        monograph=live,
        content=edited(start.data, usage="Moderator's abandoned idea."),
        by=moderator,
        summary="Idea",
        based_on=None,
    )
    editors = workflow.save_draft(
        monograph=live,
        content=edited(start.data, dosage="Editor's change."),
        by=editor,
        summary="Dosage",
        based_on=start,
    ).revision
    workflow.submit(revision=editors, by=editor)

    client.force_login(moderator)
    response = client.get(review_url(editors))
    assert response.context["own_work"] is False
    assert [a.pk for a in response.context["authors"]] == [editor.pk]
    assert "Four-eyes rule" not in response.content.decode()
    response = client.post(
        review_url(editors), {"action": "approve", "content_hash": editors.content_hash}
    )
    assert response.status_code == 302
    assert Monograph.objects.get(pk=live.pk).live_revision_id == editors.pk


# --- forged and odd input ----------------------------------------------------------------------
@pytest.mark.parametrize("b", ["10000000000000000000000000", "2147483648"])
def test_compare_with_an_absurd_revision_number_is_refused_not_a_server_error(
    client, live, editor, b
):
    client.force_login(editor)
    url = reverse("admin:monographs_compare", args=[live.pk])
    response = client.get(url, {"a": "1", "b": b})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:monographs_monograph_history", args=[live.pk])
    assert message_texts(response) == ["Pick two revisions of this monograph to compare."]


class TestTamperedSectionCount:
    """The hidden section_count no longer decides which typed sections are kept."""

    @pytest.mark.parametrize("count", ["0", "3", "61", "10000000000000000000000000", "x", "-1"])
    def test_a_wrong_count_saves_nothing_and_shows_every_section_typed(
        self, client, live, editor, count
    ):
        client.force_login(editor)
        content = edited(live.live_revision.data, usage="Typed with care.")
        response = client.post(
            change_url(live), form_data(content, based_on=live.live_revision, section_count=count)
        )
        assert response.status_code == 200
        assert Revision.objects.filter(monograph=live).count() == 1
        form = response.context["form"]
        assert "does not match the sections it holds" in " ".join(form.non_field_errors())
        page = response.content.decode()
        assert "Typed with care." in page
        assert page.count('name="section_count"') == 1
        assert f'name="section_count" value="{len(content.sections)}"' in page

    def test_the_form_shown_again_can_then_be_saved_as_it_is(self, client, live, editor):
        client.force_login(editor)
        content = edited(live.live_revision.data, usage="Typed with care.")
        data = form_data(content, based_on=live.live_revision, section_count="0")
        client.post(change_url(live), data)
        # What the page now holds: the corrected count from the form shown again.
        data["section_count"] = str(len(content.sections))
        response = client.post(change_url(live), data)
        assert response.status_code == 302
        latest = Monograph.objects.get(pk=live.pk).latest_revision
        assert latest.data.section("usage").body == "Typed with care."
        assert len(latest.data.sections) == len(content.sections)

    def test_a_monograph_with_more_sections_than_the_editor_may_add_stays_editable(
        self, client, editor, moderator2
    ):
        from monographs.content import Section

        many = sample_content(
            sections=[
                Section(key=f"part_{i}", heading=f"Part {i}", body=f"Text {i}.") for i in range(65)
            ]
        )
        monograph = publish_new(many, editor=editor, moderator=moderator2)
        client.force_login(editor)
        response = client.post(
            change_url(monograph),
            form_data(edited(many, part_64="Changed."), based_on=monograph.live_revision),
        )
        assert response.status_code == 302, response.context["form"].errors
        latest = Monograph.objects.get(pk=monograph.pk).latest_revision
        assert len(latest.data.sections) == 65
        assert latest.data.section("part_64").body == "Changed."


class TestLineBreakInTitle:
    def test_the_title_is_kept_on_one_line(self, client, live, editor):
        client.force_login(editor)
        content = edited(live.live_revision.data, title="Evil\r\nBcc: victim@example.org")
        response = client.post(change_url(live), form_data(content, based_on=live.live_revision))
        assert response.status_code == 302
        latest = Monograph.objects.get(pk=live.pk).latest_revision
        assert latest.data.title == "Evil Bcc: victim@example.org"

    def test_the_moderators_are_still_told_when_a_title_holds_a_line_break(
        self, editor, moderator, mailoutbox, django_capture_on_commit_callbacks
    ):
        # Content from the workflow API (or an import) is not cleaned by the form; the title
        # of a monograph never published follows its draft.
        revision = workflow.create_monograph(
            content=sample_content("Two\nlines"), by=editor, summary="New", slug="two-lines"
        )
        with django_capture_on_commit_callbacks(execute=True):
            workflow.submit(revision=revision, by=editor)
        assert [m.to for m in mailoutbox] == [[moderator.email]]
        assert mailoutbox[0].subject.endswith("Review requested: Two lines #1")


class TestApprovalFormErrors:
    def _in_review(self, live, editor) -> Revision:
        revision = workflow.save_draft(
            monograph=live,
            content=edited(live.live_revision.data, usage="New usage."),
            by=editor,
            summary="Usage",
            based_on=None,
        ).revision
        return workflow.submit(revision=revision, by=editor)

    @pytest.mark.parametrize("posted", [{}, {"content_hash": "0" * 65}])
    def test_an_approval_without_a_usable_hash_says_why_nothing_was_published(
        self, client, live, editor, moderator, posted
    ):
        revision = self._in_review(live, editor)
        client.force_login(moderator)
        response = client.post(review_url(revision), {"action": "approve", **posted})
        assert response.status_code == 200
        page = response.content.decode()
        assert "did not say which text you reviewed" in page
        assert Revision.objects.get(pk=revision.pk).status == S.IN_REVIEW
        # The form shown again carries the hash of the text on the page, so it works.
        assert f'name="content_hash" value="{revision.content_hash}"' in page

    def test_a_too_long_comment_is_reported(self, client, live, editor, moderator):
        revision = self._in_review(live, editor)
        client.force_login(moderator)
        response = client.post(
            review_url(revision),
            {"action": "approve", "content_hash": revision.content_hash, "comment": "x" * 5001},
        )
        assert response.status_code == 200
        assert "at most 5000 characters" in response.content.decode()
        assert Revision.objects.get(pk=revision.pk).status == S.IN_REVIEW

    def test_a_replaced_revision_links_to_the_one_now_in_review(
        self, client, live, editor, moderator
    ):
        old = self._in_review(live, editor)
        new = workflow.save_draft(
            monograph=live,
            content=edited(old.data, usage="Even newer usage."),
            by=editor,
            summary="Again",
            based_on=old,
        ).revision
        assert new.status == S.IN_REVIEW
        client.force_login(moderator)
        response = client.post(
            review_url(old), {"action": "approve", "content_hash": old.content_hash}
        )
        assert f"Not published: Revision #{old.number} was superseded by #{new.number}." in (
            message_texts(response)
        )
        assert f'href="{review_url(new)}"' in response.content.decode()
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.APPROVE, revision=old)


def test_the_review_screen_labels_each_comment_box_with_its_own_label(
    client, live, editor, moderator
):
    # Both forms have a "comment" field; with the same id, the "What needs to change" label
    # pointed at the approval's comment box and the request box had no label of its own.
    revision = workflow.save_draft(
        monograph=live,
        content=edited(live.live_revision.data, usage="New usage."),
        by=editor,
        summary="Usage",
        based_on=None,
    ).revision
    workflow.submit(revision=revision, by=editor)
    client.force_login(moderator)
    page = client.get(review_url(revision)).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    boxes = re.findall(r'<textarea name="comment"[^>]*id="([^"]+)"', page)
    assert len(boxes) == 2
    approve_box, changes_box = boxes
    assert f'<label for="{approve_box}">Comment (optional):</label>' in page
    assert f'<label for="{changes_box}">What needs to change:</label>' in page
    # The forms still post the same field names.
    response = client.post(
        review_url(revision), {"action": "request_changes", "comment": "Cite the source."}
    )
    assert response.status_code == 302
    assert Revision.objects.get(pk=revision.pk).status == S.CHANGES_REQUESTED


def test_saving_the_same_site_disclaimer_says_nothing_was_saved(client, superuser):
    url = reverse("admin:monographs_site_disclaimer")
    client.force_login(superuser)
    client.post(url, {"text": "Ask your pharmacist.", "summary": "First words"})
    client.get(url)  # shows (and consumes) the "Saved ... version 1" message
    response = client.post(url, {"text": "Ask your pharmacist.\r\n", "summary": "Again"})
    assert message_texts(response) == [
        "No change: the text is the same as version 1, so no new version was saved."
    ]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DISCLAIMER_CHANGE).count() == 1


def test_a_conflict_with_ones_own_other_tab_does_not_blame_someone_else(client, live, editor):
    opened = live.live_revision
    client.force_login(editor)
    # Tab 1 saves; tab 2, opened on the same revision before, saves afterwards.
    client.post(change_url(live), form_data(edited(opened.data, usage="Tab one."), based_on=opened))
    client.get(change_url(live))  # consume tab 1's message
    response = client.post(
        change_url(live), form_data(edited(opened.data, usage="Tab two."), based_on=opened)
    )
    [text] = message_texts(response)
    assert text.startswith(
        "You saved a newer revision (#2) of this monograph, in another tab or window, after "
        "you opened this form. Your changes were kept as revision #3"
    )
    assert Revision.objects.get(monograph=live, number=3).is_conflict


def test_a_conflict_with_another_editor_still_names_someone_else(client, live, editor, editor2):
    opened = live.live_revision
    workflow.save_draft(
        monograph=live,
        content=edited(opened.data, usage="Theirs."),
        by=editor2,
        summary="Theirs",
        based_on=opened,
    )
    client.force_login(editor)
    response = client.post(
        change_url(live), form_data(edited(opened.data, usage="Mine."), based_on=opened)
    )
    [text] = message_texts(response)
    assert text.startswith("Someone else saved this monograph while you were editing.")


@pytest.mark.parametrize("forged", ["other", "-5", "999999"])
def test_a_based_on_that_is_not_this_monographs_revision_is_refused(
    client, live, editor, editor2, moderator2, forged
):
    other = publish_new(sample_content("Otheramol"), editor=editor, moderator=moderator2)
    # A pending revision by someone else, which a silent "based on the latest" would supersede
    # without the conflict mark.
    theirs = workflow.save_draft(
        monograph=live,
        content=edited(live.live_revision.data, usage="Theirs."),
        by=editor2,
        summary="Theirs",
        based_on=None,
    ).revision
    client.force_login(editor)
    data = form_data(edited(live.live_revision.data, usage="Mine."), based_on=None)
    data["based_on"] = other.live_revision.pk if forged == "other" else forged
    response = client.post(change_url(live), data)
    assert response.status_code == 200
    assert "does not belong to this monograph" in message_texts(response)[0]
    assert "Mine." in response.content.decode()  # the typed text is still in the form
    assert Monograph.objects.get(pk=live.pk).latest_revision_id == theirs.pk


def test_approving_a_withdrawn_monograph_says_the_public_still_does_not_see_it(
    client, live, editor, moderator, moderator2
):
    workflow.withdraw(monograph=live, by=moderator2, reason="Safety alert being checked")
    revision = workflow.save_draft(
        monograph=live,
        content=edited(live.live_revision.data, usage="Corrected."),
        by=editor,
        summary="Correction",
        based_on=None,
    ).revision
    workflow.submit(revision=revision, by=editor)
    client.force_login(moderator)
    response = client.post(
        review_url(revision), {"action": "approve", "content_hash": revision.content_hash}
    )
    assert message_texts(response) == [
        f"Approved and published “Testamol” revision #{revision.number}. The monograph is "
        "withdrawn, so the public will see this revision only once a moderator restores it."
    ]
    assert client.get(live.get_absolute_url()).status_code == 410


class TestDisclaimerTheFileFormatCannotHold:
    """The monograph's own disclaimer goes into the exported file like the sections do."""

    @pytest.mark.parametrize(
        ("disclaimer", "problem"),
        [
            ("Ask your doctor.\n\n### Not a section\n\nMore.", "would start a new section"),
            ("Ask your doctor.\n\n```\nnever closed", "is never closed"),
        ],
    )
    def test_the_form_refuses_it_and_keeps_the_text(
        self, client, live, editor, disclaimer, problem
    ):
        client.force_login(editor)
        content = edited(live.live_revision.data, disclaimer=disclaimer)
        response = client.post(change_url(live), form_data(content, based_on=live.live_revision))
        assert response.status_code == 200
        errors = response.context["form"].errors["disclaimer"]
        assert len(errors) == 1 and errors[0].startswith("In the disclaimer, line ")
        assert problem in errors[0]
        assert Revision.objects.filter(monograph=live).count() == 1
        assert "Ask your doctor." in response.content.decode()  # still in the form

    def test_what_it_accepts_exports_and_reads_back_the_same(self, client, live, editor):
        from monographs import sourcefile

        client.force_login(editor)
        disclaimer = "Ask your doctor.\n\n#### A sub-heading is fine\n\n```\ncode\n```"
        content = edited(live.live_revision.data, disclaimer=disclaimer)
        response = client.post(change_url(live), form_data(content, based_on=live.live_revision))
        assert response.status_code == 302
        saved = Monograph.objects.get(pk=live.pk).latest_revision.data
        assert saved.disclaimer == disclaimer
        assert sourcefile.parse(sourcefile.write(saved).encode()) == saved


@pytest.mark.parametrize(
    ("heading", "use"),
    [("Disclaimer", "the Disclaimer box"), ("Generic name:", "the Generic name field")],
)
def test_a_section_named_like_what_the_file_reads_as_something_else_is_refused(
    client, live, editor, heading, use
):
    # Exported, "### Disclaimer" became the disclaimer (the section vanished) and
    # "### Generic Name" replaced the generic name, or made the file fail to import.
    client.force_login(editor)
    data = form_data(
        live.live_revision.data,
        based_on=live.live_revision,
        new_heading=heading,
        new_body="Two lines\nof text.",
    )
    response = client.post(change_url(live), data)
    assert response.status_code == 200
    assert response.context["form"].errors["new_heading"] == [
        f"A section cannot be called “{heading}”: the monograph file would read it as "
        f"something else. Use {use} instead, or another heading."
    ]
    assert Revision.objects.filter(monograph=live).count() == 1
    # Renaming an existing section to it is refused the same way.
    data = form_data(
        live.live_revision.data, based_on=live.live_revision, **{"section-5-heading": heading}
    )
    response = client.post(change_url(live), data)
    assert "section-5-heading" in response.context["form"].errors


def test_the_read_only_revision_page_offers_the_review_screen_only_to_those_who_may_open_it(
    client, live, editor, moderator
):
    url = reverse("admin:monographs_revision_change", args=[live.live_revision.pk])
    review = review_url(live.live_revision)
    client.force_login(editor)
    page = client.get(url).content.decode()
    assert f'href="{review}"' not in page
    assert client.get(review).status_code == 403  # where the link led
    client.force_login(moderator)
    assert f'href="{review}"' in client.get(url).content.decode()


class TestInvisibleChanges:
    """A reviewer must see every change they approve, including ones that show nothing."""

    def test_trailing_spaces_that_make_a_markdown_line_break_are_spelled_out(self):
        from monographs.diff import word_diff

        html = word_diff("Take it daily.\nWith food.", "Take it daily.  \nWith food.")
        # Whitespace runs are single tokens: the line break is replaced by "two spaces and
        # a line break".
        assert '<ins class="ms-invisible" title="spaces or line breaks only">··↵\n</ins>' in html

    def test_an_added_line_break_and_a_zero_width_space_are_visible(self):
        from monographs.diff import word_diff

        assert "↵" in word_diff("one two", "one\ntwo")
        html = word_diff("25 mg", "25\u200b mg")
        assert "⟨U+200B⟩" in html and 'title="invisible characters"' in html

    def test_visible_changes_are_marked_as_before(self):
        from monographs.diff import word_diff

        assert word_diff("take 500 mg", "take 600 mg") == "take <del>500</del><ins>600</ins> mg"

    def test_the_review_screen_shows_them(self, client, live, editor, moderator):
        body = live.live_revision.data.section("usage").body
        revision = workflow.save_draft(
            monograph=live,
            content=edited(live.live_revision.data, usage=body + "  "),
            by=editor,
            summary="Spacing",
            based_on=None,
        ).revision
        workflow.submit(revision=revision, by=editor)
        client.force_login(moderator)
        page = client.get(review_url(revision)).content.decode()
        assert '<ins class="ms-invisible" title="spaces or line breaks only">··</ins>' in page
