"""Permission matrix: every admin URL and every POST action × anonymous, editor, moderator,
superuser. Allowed actions change something; refused ones answer 403 (or send anonymous
users to the login page) and change nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from monographs import workflow
from monographs.models import AuditEntry, DisclaimerVersion, Monograph, ReviewDecision, Revision
from tests.workflow_helpers import edited, form_data, publish_new, sample_content

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "editor", "moderator", "superuser"]
STAFF = {"editor", "moderator", "superuser"}
MODERATION = {"moderator", "superuser"}
NOBODY: set[str] = set()


@dataclass
class World:
    """A published monograph whose revision #2 (by another editor) is in review, and a
    second, withdrawn one. Written by editor2 / approved by moderator2, so the roles under
    test never authored anything (the four-eyes rule is tested elsewhere)."""

    monograph: Monograph
    revision: Revision
    withdrawn: Monograph
    entry: AuditEntry
    decision: ReviewDecision
    disclaimer: DisclaimerVersion


@pytest.fixture
def world(editor2, moderator2) -> World:
    monograph = publish_new(sample_content("Testamol"), editor=editor2, moderator=moderator2)
    content = edited(monograph.latest_revision.data, usage="Testamol treats pain and fever.")
    saved = workflow.save_draft(
        monograph=monograph, content=content, by=editor2, summary="Usage", based_on=None
    )
    revision = workflow.submit(revision=saved.revision, by=editor2)
    withdrawn = publish_new(sample_content("Otheramol"), editor=editor2, moderator=moderator2)
    workflow.withdraw(monograph=withdrawn, by=moderator2, reason="Recall")
    return World(
        monograph=Monograph.objects.get(pk=monograph.pk),
        revision=revision,
        withdrawn=Monograph.objects.get(pk=withdrawn.pk),
        entry=AuditEntry.objects.order_by("pk").first(),
        decision=ReviewDecision.objects.order_by("pk").first(),
        disclaimer=DisclaimerVersion.objects.order_by("pk").first(),
    )


@pytest.fixture
def login(client, editor, moderator, superuser) -> Callable[[str], Any]:
    users = {"editor": editor, "moderator": moderator, "superuser": superuser}

    def as_role(role: str) -> Any:
        if role != "anonymous":
            client.force_login(users[role])
        return client

    return as_role


def snapshot() -> tuple:
    """Everything an admin action could change."""
    return (
        Monograph.objects.count(),
        Revision.objects.count(),
        ReviewDecision.objects.count(),
        DisclaimerVersion.objects.count(),
        AuditEntry.objects.count(),
        sorted(
            Monograph.objects.values_list(
                "pk", "live_revision_id", "latest_revision_id", "withdrawn_at", "next_review_due"
            )
        ),
        sorted(Revision.objects.values_list("pk", "status", "content_hash")),
        sorted(AuditEntry.objects.values_list("pk", "message")),
    )


def assert_refused(response: Any, role: str) -> None:
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == 403


# --- every screen, GET -------------------------------------------------------------------------
def _change(w: World) -> str:
    return reverse("admin:monographs_monograph_change", args=[w.monograph.pk])


# name -> (url builder, roles that may open it, status they get)
SCREENS: dict[str, tuple[Callable[[World], str], set[str], int]] = {
    "index": (lambda w: reverse("admin:index"), STAFF, 200),
    "monograph list": (lambda w: reverse("admin:monographs_monograph_changelist"), STAFF, 200),
    "monograph add": (lambda w: reverse("admin:monographs_monograph_add"), STAFF, 200),
    "monograph change": (_change, STAFF, 200),
    "monograph delete": (
        lambda w: reverse("admin:monographs_monograph_delete", args=[w.monograph.pk]),
        NOBODY,
        403,
    ),
    "review queue": (lambda w: reverse("admin:monographs_review_queue"), MODERATION, 200),
    "review screen": (
        lambda w: reverse("admin:monographs_revision_review", args=[w.revision.pk]),
        MODERATION,
        200,
    ),
    "history": (
        lambda w: reverse("admin:monographs_monograph_history", args=[w.monograph.pk]),
        STAFF,
        200,
    ),
    "compare": (
        lambda w: reverse("admin:monographs_compare", args=[w.monograph.pk]) + "?a=1&b=2",
        STAFF,
        200,
    ),
    "revert": (
        lambda w: reverse("admin:monographs_revert", args=[w.monograph.pk, 1]),
        STAFF,
        200,
    ),
    "withdraw": (
        lambda w: reverse("admin:monographs_withdraw", args=[w.monograph.pk]),
        MODERATION,
        200,
    ),
    "restore": (
        lambda w: reverse("admin:monographs_restore", args=[w.withdrawn.pk]),
        MODERATION,
        200,
    ),
    "site disclaimer": (lambda w: reverse("admin:monographs_site_disclaimer"), STAFF, 200),
    "audit list": (lambda w: reverse("admin:monographs_auditentry_changelist"), MODERATION, 200),
    "audit detail": (
        lambda w: reverse("admin:monographs_auditentry_change", args=[w.entry.pk]),
        MODERATION,
        200,
    ),
    "audit add": (lambda w: reverse("admin:monographs_auditentry_add"), NOBODY, 403),
    "audit delete": (
        lambda w: reverse("admin:monographs_auditentry_delete", args=[w.entry.pk]),
        NOBODY,
        403,
    ),
    "revision list": (lambda w: reverse("admin:monographs_revision_changelist"), STAFF, 200),
    "revision detail": (
        lambda w: reverse("admin:monographs_revision_change", args=[w.revision.pk]),
        STAFF,
        200,
    ),
    "revision delete": (
        lambda w: reverse("admin:monographs_revision_delete", args=[w.revision.pk]),
        NOBODY,
        403,
    ),
    "decision delete": (
        lambda w: reverse("admin:monographs_reviewdecision_delete", args=[w.decision.pk]),
        NOBODY,
        403,
    ),
    "disclaimer version delete": (
        lambda w: reverse("admin:monographs_disclaimerversion_delete", args=[w.disclaimer.pk]),
        NOBODY,
        403,
    ),
    "disclaimer version add": (
        lambda w: reverse("admin:monographs_disclaimerversion_add"),
        NOBODY,
        403,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_who_may_open_each_screen(screen, role, world, login):
    build, allowed, status = SCREENS[screen]
    response = login(role).get(build(world))
    if role in allowed:
        assert response.status_code == status
    else:
        assert_refused(response, role)


def test_editors_do_not_see_moderators_actions(world, login):
    html = login("editor").get(_change(world)).content.decode()
    assert "Withdraw from the public site" not in html
    assert "Set date" not in html
    assert reverse("admin:monographs_revision_review", args=[world.revision.pk]) not in html
    disclaimer = login("editor").get(reverse("admin:monographs_site_disclaimer"))
    assert disclaimer.context["form"] is None
    assert "Save a new version" not in disclaimer.content.decode()
    index = login("editor").get(reverse("admin:index")).content.decode()
    assert "Review queue" not in index


def test_moderators_see_their_actions(world, login):
    html = login("moderator").get(_change(world)).content.decode()
    assert "Withdraw from the public site" in html and "Set date" in html
    assert reverse("admin:monographs_revision_review", args=[world.revision.pk]) in html
    assert "Review queue" in login("moderator").get(reverse("admin:index")).content.decode()


# --- every action, POST ------------------------------------------------------------------------
def _post_add(client: Any, w: World) -> Any:
    data = form_data(sample_content("Brandnew"), based_on=None, summary="New")
    return client.post(reverse("admin:monographs_monograph_add"), data)


def _post_save(client: Any, w: World, submit: bool = False) -> Any:
    latest = w.monograph.latest_revision
    data = form_data(edited(latest.data, dosage="A new dose."), based_on=latest)
    if submit:
        data["_submit"] = "Save and submit for review"
    return client.post(_change(w), data)


ACTIONS: dict[str, tuple[Callable[[Any, World], Any], set[str]]] = {
    "create monograph": (_post_add, STAFF),
    "save draft": (_post_save, STAFF),
    "save and submit": (lambda c, w: _post_save(c, w, submit=True), STAFF),
    "approve": (
        lambda c, w: c.post(
            reverse("admin:monographs_revision_review", args=[w.revision.pk]),
            {"action": "approve", "content_hash": w.revision.content_hash},
        ),
        MODERATION,
    ),
    "request changes": (
        lambda c, w: c.post(
            reverse("admin:monographs_revision_review", args=[w.revision.pk]),
            {"action": "request_changes", "comment": "Please cite a source."},
        ),
        MODERATION,
    ),
    "revert": (
        lambda c, w: c.post(
            reverse("admin:monographs_revert", args=[w.monograph.pk, 1]),
            {"summary": "Back to #1"},
        ),
        STAFF,
    ),
    "withdraw": (
        lambda c, w: c.post(
            reverse("admin:monographs_withdraw", args=[w.monograph.pk]), {"reason": "Recall"}
        ),
        MODERATION,
    ),
    "restore": (
        lambda c, w: c.post(
            reverse("admin:monographs_restore", args=[w.withdrawn.pk]), {"reason": "Cleared"}
        ),
        MODERATION,
    ),
    "set next review due": (
        lambda c, w: c.post(
            reverse("admin:monographs_review_due", args=[w.monograph.pk]),
            {"next_review_due": "2031-01-31"},
        ),
        MODERATION,
    ),
    "change site disclaimer": (
        lambda c, w: c.post(
            reverse("admin:monographs_site_disclaimer"),
            {"text": "A new disclaimer.", "summary": "Reworded"},
        ),
        MODERATION,
    ),
    "edit audit entry": (
        lambda c, w: c.post(
            reverse("admin:monographs_auditentry_change", args=[w.entry.pk]),
            {"message": "rewritten", "action": "approve"},
        ),
        NOBODY,
    ),
    "delete audit entry": (
        lambda c, w: c.post(
            reverse("admin:monographs_auditentry_delete", args=[w.entry.pk]), {"post": "yes"}
        ),
        NOBODY,
    ),
    "add audit entry": (
        lambda c, w: c.post(reverse("admin:monographs_auditentry_add"), {"action": "approve"}),
        NOBODY,
    ),
    "delete monograph": (
        lambda c, w: c.post(
            reverse("admin:monographs_monograph_delete", args=[w.monograph.pk]), {"post": "yes"}
        ),
        NOBODY,
    ),
    "delete revision": (
        lambda c, w: c.post(
            reverse("admin:monographs_revision_delete", args=[w.revision.pk]), {"post": "yes"}
        ),
        NOBODY,
    ),
    "edit revision": (
        lambda c, w: c.post(
            reverse("admin:monographs_revision_change", args=[w.revision.pk]),
            {"status": "published", "change_summary": "hacked"},
        ),
        NOBODY,
    ),
    "delete review decision": (
        lambda c, w: c.post(
            reverse("admin:monographs_reviewdecision_delete", args=[w.decision.pk]),
            {"post": "yes"},
        ),
        NOBODY,
    ),
    "delete disclaimer version": (
        lambda c, w: c.post(
            reverse("admin:monographs_disclaimerversion_delete", args=[w.disclaimer.pk]),
            {"post": "yes"},
        ),
        NOBODY,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_who_may_do_each_action(action, role, world, login):
    post, allowed = ACTIONS[action]
    client = login(role)
    before = snapshot()
    response = post(client, world)
    if role in allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert not response["Location"].startswith(reverse("admin:login"))
        assert snapshot() != before, f"{action} by {role} changed nothing"
    else:
        assert_refused(response, role)
        assert snapshot() == before, f"refused {action} by {role} changed something"


@pytest.mark.parametrize("role", ["editor", "moderator", "superuser"])
def test_there_is_no_bulk_action_on_the_monograph_list(role, world, login):
    client = login(role)
    url = reverse("admin:monographs_monograph_changelist")
    assert 'name="action"' not in client.get(url).content.decode()
    before = snapshot()
    client.post(
        url, {"action": "delete_selected", "_selected_action": [world.monograph.pk], "post": "yes"}
    )
    assert snapshot() == before
