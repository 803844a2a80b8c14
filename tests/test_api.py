"""The read-only JSON API (/api/v1/): published content only, cacheable, documented."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monographs import sourcefile, workflow
from monographs.models import Monograph

from .workflow_helpers import edited, publish_new, sample_content

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Pages cached by an earlier test (same URLs, rolled-back data) must not answer here."""
    from django.core.cache import caches

    caches["default"].clear()


def test_a_monograph_as_json_matches_its_page(client, seed_text) -> None:
    text = seed_text.replace(
        "**Disclaimer:**",
        "### References\n\n* [Label](https://dailymed.example/x); FDA; published 2023-01-26"
        "\n\n\n**Disclaimer:**",
    )
    workflow.import_source(content=sourcefile.parse(text), filename="naltrexone.md")
    response = client.get("/api/v1/monographs/naltrexone/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = response.json()
    page = client.get("/medicines/naltrexone/").content.decode()
    monograph = Monograph.objects.get(slug="naltrexone")
    assert data["title"] == "Naltrexone" and data["revision"] == monograph.live_revision.number
    assert data["url"].endswith("/medicines/naltrexone/")
    keys = [section["key"] for section in data["sections"]]
    assert keys == [s.key for s in monograph.live_revision.data.sections]
    for section in data["sections"]:
        assert section["html"] in page  # the same sanitized HTML the page shows
        assert section["markdown"] == monograph.live_revision.data.section(section["key"]).body
    assert data["faqs"] and data["faqs"][0]["question"] in page
    assert data["references"] == [
        {
            "title": "Label",
            "url": "https://dailymed.example/x",
            "publisher": "FDA",
            "date": "2023-01-26",
            "date_kind": "published",
        }
    ]
    assert data["disclaimer"] and data["disclaimer_version"] == 1
    assert data["next_review_due"] == monograph.next_review_due.isoformat()


def test_drafts_are_never_served(client, editor, moderator, committing) -> None:
    draft_only = workflow.create_monograph(
        content=sample_content(title="Unpublished"), by=editor, summary="New"
    )
    assert client.get(f"/api/v1/monographs/{draft_only.monograph.slug}/").status_code == 404
    assert client.get(f"/api/v1/monographs/{draft_only.monograph.slug}/history/").status_code == 404

    live = publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    workflow.save_draft(
        monograph=live,
        content=edited(live.live_revision.data, usage="SECRET DRAFT TEXT"),
        by=editor,
        summary="Draft",
        based_on=None,
    )
    body = client.get("/api/v1/monographs/aspirin/").content.decode()
    assert "SECRET DRAFT TEXT" not in body
    listing = client.get("/api/v1/monographs/").json()
    assert [m["slug"] for m in listing["results"]] == ["aspirin"]
    history = client.get("/api/v1/monographs/aspirin/history/").json()
    assert [p["revision"] for p in history["publications"]] == [1]

    committing(workflow.withdraw, monograph=live, by=moderator, reason="Recalled")
    assert client.get("/api/v1/monographs/aspirin/").status_code == 404


def test_conditional_get_and_invalidation(client, editor, moderator, committing) -> None:
    monograph = publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    first = client.get("/api/v1/monographs/aspirin/")
    etag = first["ETag"]
    assert first["Cache-Control"].startswith("public")
    assert client.get("/api/v1/monographs/aspirin/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    result = workflow.save_draft(
        monograph=monograph,
        content=edited(monograph.live_revision.data, usage="Newly published text."),
        by=editor,
        summary="Update",
        based_on=None,
    )
    workflow.submit(revision=result.revision, by=editor)
    committing(
        workflow.approve,
        revision=result.revision,
        by=moderator,
        content_hash=result.revision.content_hash,
    )
    again = client.get("/api/v1/monographs/aspirin/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and "Newly published text." in again.content.decode()


def test_list_pages_letters_and_updated_since(client, editor, moderator) -> None:
    for title in ("Aspirin", "Atenolol", "Bisoprolol", "5-Fluorouracil"):
        publish_new(sample_content(title=title), editor=editor, moderator=moderator)
    Monograph.objects.filter(slug="aspirin").update(
        last_published_at=timezone.now() - timedelta(days=10)
    )
    data = client.get("/api/v1/monographs/").json()
    assert data["count"] == 4 and data["pages"] == 1 and data["next"] is None
    assert [m["slug"] for m in client.get("/api/v1/monographs/?letter=a").json()["results"]] == [
        "aspirin",
        "atenolol",
    ]
    digits = client.get("/api/v1/monographs/?letter=0-9").json()["results"]
    assert [m["slug"] for m in digits] == ["5-fluorouracil"]
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    recent = client.get(f"/api/v1/monographs/?updated_since={since}").json()["results"]
    assert "aspirin" not in [m["slug"] for m in recent] and len(recent) == 3
    assert client.get("/api/v1/monographs/?updated_since=yesterday").status_code == 400
    assert client.get("/api/v1/monographs/?letter=ab").status_code == 400
    assert client.get("/api/v1/monographs/?page=9").status_code == 400


def test_pagination(client, editor, moderator, monkeypatch) -> None:
    from monographs import api

    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    for title in ("Aspirin", "Atenolol", "Bisoprolol"):
        publish_new(sample_content(title=title), editor=editor, moderator=moderator)
    first = client.get("/api/v1/monographs/").json()
    assert first["pages"] == 2 and first["next"].endswith("/api/v1/monographs/?page=2")
    second = client.get("/api/v1/monographs/?page=2").json()
    assert [m["slug"] for m in second["results"]] == ["bisoprolol"]
    assert second["previous"].endswith("?page=1")


def test_read_only_and_documented(client, editor, moderator) -> None:
    publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/monographs/aspirin/")
        assert response.status_code == 405, method
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/v1/monographs/",
        "/api/v1/monographs/{slug}/",
        "/api/v1/monographs/{slug}/history/",
    }
    assert all(set(ops) == {"get"} for ops in schema["paths"].values())
