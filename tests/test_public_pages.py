"""The public reading experience: home, A to Z, monograph page, history, preview, errors."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monographs import sourcefile, views, workflow
from monographs.models import Monograph
from tests.workflow_helpers import (
    QA_FILES,
    SEED_PATH,
    bold_labels,
    edited,
    link_texts,
    list_items,
    plain,
    publish_new,
    read_page,
    sample_content,
    source,
    table_cells,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()
    yield
    cache.clear()


_INLINE = {"a", "strong", "em", "b", "i", "code", "time", "span", "abbr", "small", "sup", "sub"}


class _Text(HTMLParser):
    """Visible text of a page (no <head>, scripts or styles), whitespace collapsed; block
    elements are separated by a space, inline ones are not."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"head", "script", "style"}:
            self.skip += 1
        if tag not in _INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in {"head", "script", "style"}:
            self.skip -= 1
        if tag not in _INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def squash(text: str) -> str:
    return " ".join(text.split())


def markdown_plain(text: str) -> str:
    """Inline Markdown reduced to the words a reader sees."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return squash(text.replace("**", "").replace("__", ""))


def source_expectations(source: str) -> dict[str, list[str]]:
    """What the page must show, derived from the source file itself."""
    body = source.split("---", 2)[2]
    expected: dict[str, list[str]] = {"items": [], "labels": [], "cells": [], "links": []}
    for line in body.splitlines():
        item = re.match(r"^\s*(?:[*+-]|\d+[.)])\s+(.*)$", line)
        if item:
            faq = re.match(r"\*\*\s*Q:\s*(.+?)\*\*\s*(?:A:\s*)?(.*)$", item[1])
            if faq:  # shown as a question and its answer, without the Q:/A: markers
                expected["items"] += [markdown_plain(faq[1]), markdown_plain(faq[2])]
            else:
                expected["items"].append(markdown_plain(item[1]))
        if line.lstrip().startswith("|") and not re.match(r"^\s*\|[\s|:-]+\|\s*$", line):
            expected["cells"] += [markdown_plain(c) for c in line.strip().strip("|").split("|")]
    for label in re.findall(r"\*\*(.+?)\*\*", body):
        if not re.match(r"\s*(Q:|Disclaimer)", label):
            expected["labels"].append(squash(label))
    expected["links"] = [squash(t) for t in re.findall(r"\[([^\]]+)\]\(", body)]
    return expected


@pytest.fixture
def seed() -> Monograph:
    """The seed file imported as an operator does (published, not reviewed on this site)."""
    call_command("import_monographs", str(SEED_PATH), stdout=io.StringIO())
    return Monograph.objects.get(slug="naltrexone")


@pytest.fixture
def reviewed(editor, moderator) -> Monograph:
    return publish_new(
        sample_content("Testamol", other_names=["Panadolo", "Calpolo"]),
        editor=editor,
        moderator=moderator,
    )


# --- the seed page -------------------------------------------------------------------------
def test_seed_page_shows_every_list_item_label_cell_and_link_of_the_source(client, seed, seed_text):
    response = client.get(seed.get_absolute_url())
    html = response.content.decode()
    text = page_text(html)
    expected = source_expectations(seed_text)

    assert response.status_code == 200
    assert len(expected["items"]) > 20 and len(expected["labels"]) > 10
    for item in expected["items"] + expected["cells"] + expected["links"]:
        assert item in text, item
    for label in expected["labels"]:
        assert f"<strong>{label}</strong>" in html, label


def test_seed_page_sections_are_in_source_order_with_ids_and_contents_entries(
    client, seed, seed_text
):
    html = client.get(seed.get_absolute_url()).content.decode()
    headings = [h for h in re.findall(r"^### (.+)$", seed_text, re.M) if h != "Generic Name"]
    section_ids = re.findall(r'<section id="([^"]+)" class="article-section"', html)
    contents = re.search(r'<nav class="on-this-page".*?</nav>', html, re.S)[0]
    contents_links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', contents)

    assert [heading for _, heading in contents_links] == [*headings, "Disclaimer"]
    assert [anchor for anchor, _ in contents_links] == [*section_ids, "disclaimer"]
    for anchor in section_ids + ["disclaimer"]:
        assert html.count(f'id="{anchor}"') == 1
    assert html.count("<h1") == 1


def test_seed_page_shows_names_disclaimer_and_honest_review_status(client, seed, seed_text):
    html = client.get(seed.get_absolute_url()).content.decode()
    text = page_text(html)
    disclaimer = markdown_plain(seed_text.split("**Disclaimer:**", 1)[1])
    published = seed.first_published_at.date()

    assert "<h1" in html and ">Naltrexone</h1>" in html
    assert "Generic name Naltrexone" in text.replace(":", "")
    assert disclaimer in text
    assert f"Published {published:%-d %B %Y}; not yet reviewed on this site" in text
    assert f"Last updated {published:%-d %B %Y}" in text
    assert "Last reviewed" not in text
    assert 'class="callout callout--warning"' in html
    assert reverse("monographs:history", args=[seed.slug]) in html


def test_reviewed_page_shows_review_dates_reviewer_role_and_other_names(
    client, reviewed, moderator
):
    reviewed.refresh_from_db()
    text = page_text(client.get(reviewed.get_absolute_url()).content.decode())
    today = date.today()

    assert f"Last reviewed {today:%-d %B %Y} by Moderator1 Tester, Moderator" in text
    assert f"Next review due {reviewed.next_review_due:%-d %B %Y}" in text
    assert reviewed.next_review_due > today
    assert "Also known as Panadolo, Calpolo" in text.replace(":", "")


def test_page_has_meta_description_from_usage_and_canonical_link(client, reviewed, settings):
    html = client.get(reviewed.get_absolute_url()).content.decode()

    assert (
        '<meta name="description" content="Testamol is used to treat mild to moderate pain '
        'and fever.">' in html
    )
    assert f'<link rel="canonical" href="{settings.SITE_URL}/medicines/testamol/">' in html


def test_published_page_takes_few_queries_and_no_markdown_work(
    client, reviewed, django_assert_max_num_queries, monkeypatch
):
    def no_markdown(*args, **kwargs):
        raise AssertionError("a published page must not render Markdown")

    for name in ("render_markdown", "render_inline", "markdown_to_text"):
        monkeypatch.setattr(f"monographs.rendering.{name}", no_markdown)
    monkeypatch.setattr("monographs.page.render_markdown", no_markdown)
    monkeypatch.setattr("monographs.page.build_parts", no_markdown)
    monkeypatch.setattr("monographs.structured_data.markdown_to_text", no_markdown)

    with django_assert_max_num_queries(3):
        response = client.get(reviewed.get_absolute_url())
    assert response.status_code == 200
    # JSON-LD comes from what was stored at publication (a failure there is only logged,
    # so check it is really on the page).
    assert '"@type":"MedicalWebPage"' in response.content.decode()
    assert '"@type":"Question"' in response.content.decode()
    # The history reads one more: the descriptions each publication carried.
    with django_assert_max_num_queries(4):
        assert client.get(reverse("monographs:history", args=[reviewed.slug])).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("monographs:a_to_z")).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("monographs:letter", args=["t"])).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("monographs:home")).status_code == 200


# --- not found, gone, drafts ---------------------------------------------------------------
def test_unknown_slug_is_a_404_page_in_the_site_style(client):
    response = client.get("/medicines/no-such-medicine/")
    html = response.content.decode()

    assert response.status_code == 404
    assert "Page not found" in html
    assert 'action="/search/"' in html and 'name="q"' in html
    assert 'href="/medicines/"' in html and "A to Z" in html
    assert '<main id="main"' in html


def test_withdrawn_monograph_answers_410_with_the_reason(client, reviewed, moderator):
    workflow.withdraw(monograph=reviewed, by=moderator, reason="Replaced by new guidance")
    for url in (reviewed.get_absolute_url(), reverse("monographs:history", args=[reviewed.slug])):
        response = client.get(url)
        text = page_text(response.content.decode())
        assert response.status_code == 410
        assert "Testamol: no longer available" in text
        assert "Replaced by new guidance" in text
    assert "Testamol" not in page_text(client.get(reverse("monographs:a_to_z")).content.decode())
    assert "Testamol" not in page_text(client.get(reverse("monographs:home")).content.decode())


def test_drafts_never_reach_page_a_to_z_or_history(client, reviewed, editor):
    draft = edited(
        sample_content("Testamol", other_names=["Panadolo", "Calpolo"]),
        usage="DRAFT-ONLY usage text.",
        title="Draftamol",
        other_names=["Secretbrand"],
    )
    workflow.save_draft(
        monograph=reviewed,
        content=draft,
        by=editor,
        summary="DRAFT-ONLY summary",
        based_on=reviewed.latest_revision,
    )
    never_published = workflow.create_monograph(
        content=sample_content("Unseenol"), by=editor, summary="New"
    )
    pages = {
        "detail": client.get(reviewed.get_absolute_url()),
        "history": client.get(reverse("monographs:history", args=[reviewed.slug])),
        "a_to_z": client.get(reverse("monographs:a_to_z")),
        "home": client.get(reverse("monographs:home")),
    }
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        for secret in ("DRAFT-ONLY", "Draftamol", "Secretbrand", "Unseenol"):
            assert secret not in html, (name, secret)
    assert "Testamol is used to treat" in pages["detail"].content.decode()
    assert client.get(never_published.monograph.get_absolute_url()).status_code == 404
    history_url = reverse("monographs:history", args=[never_published.monograph.slug])
    assert client.get(history_url).status_code == 404


# --- home and A to Z -----------------------------------------------------------------------
def letter_page(client, code: str) -> str:
    response = client.get(reverse("monographs:letter", args=[code]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_to_z_lists_monographs_and_other_names_grouped_by_letter(client, reviewed, seed):
    html = client.get(reverse("monographs:a_to_z")).content.decode()
    text = page_text(html)
    assert "A to Z" in text and "A-Z" not in text

    # Each letter's names are on its own page.
    t, c, p, n = (letter_page(client, code) for code in "tcpn")
    assert '<a href="/medicines/testamol/">Testamol</a>' in t
    assert 'Calpolo – see <a href="/medicines/testamol/">Testamol</a>' in c
    assert 'Panadolo – see <a href="/medicines/testamol/">Testamol</a>' in p
    assert "Calpolo" in page_text(c) and "Panadolo" not in page_text(c)
    assert '<a href="/medicines/naltrexone/">Naltrexone</a>' in n
    assert "Testamol" not in page_text(letter_page(client, "b"))


def test_the_a_to_z_index_counts_names_per_letter_and_keeps_old_anchors(client, reviewed, seed):
    html = client.get(reverse("monographs:a_to_z")).content.decode()
    items = dict(re.findall(r'<li id="(letter-[a-z]|digits)">(.*?)</li>', html, re.S))

    # Old links to /medicines/#letter-n land on the link to N's page.
    assert len(items) == 26 and "digits" not in items
    assert 'href="/medicines/n/"' in items["letter-n"] and "1 name<" in items["letter-n"]
    assert 'href="/medicines/t/"' in items["letter-t"]
    # Calpolo and nothing else under C; B has none and is not a link.
    assert "1 name<" in items["letter-c"]
    assert "href" not in items["letter-b"] and ">none<" in items["letter-b"]


def test_letters_without_entries_are_shown_but_not_linked(client, reviewed):
    html = letter_page(client, "t")
    nav = re.search(r'<nav class="letter-nav".*?</nav>', html, re.S)[0]
    letters = re.findall(r"<li>(.*?)</li>", nav, re.S)

    assert len(letters) == 26
    assert '<a href="/medicines/t/" aria-current="page">T</a>' in nav
    assert '<a href="/medicines/c/">C</a>' in nav
    b = next(item for item in letters if re.search(r">B<", item))
    assert 'aria-disabled="true"' in b and "href" not in b
    assert "0–9" not in nav


def test_names_starting_with_a_digit_get_a_0_to_9_group(client, editor, moderator):
    publish_new(sample_content("5-Fluorouracil"), editor=editor, moderator=moderator)
    html = client.get(reverse("monographs:a_to_z")).content.decode()

    assert ">0–9</a>" in html or ">0–9</span>" in html
    assert '<li id="digits"><a href="/medicines/0-9/">' in html
    assert '<a href="/medicines/5-fluorouracil/">5-Fluorouracil</a>' in letter_page(client, "0-9")


def test_home_has_search_letters_and_recently_reviewed_first(client, seed, reviewed):
    html = client.get(reverse("monographs:home")).content.decode()
    recent = re.search(r'<ul class="recent-list">.*?</ul>', html, re.S)[0]

    assert re.search(r'<form class="search-form" role="search"[^>]*action="/search/"', html)
    assert 'id="home-search-q" type="search" name="q"' in html
    assert '<label for="home-search-q">' in html
    # Home's letters lead to the letter pages; home lists no catalogue.
    assert '<nav class="letter-nav"' in html and 'href="/medicines/n/"' in html
    assert 'href="/medicines/">See the full A to Z of medicines</a>' in html
    # The reviewed monograph comes before the import that was never reviewed here.
    assert recent.index("Testamol") < recent.index("Naltrexone")
    assert "A-Z" not in page_text(html)


# --- history --------------------------------------------------------------------------------
def test_history_lists_publications_newest_first_with_review_kind_and_disclaimer(
    client, reviewed, editor, moderator
):
    content = sample_content("Testamol", other_names=["Panadolo", "Calpolo"])
    revision = workflow.save_draft(
        monograph=reviewed,
        content=edited(content, dosage="One tablet."),
        by=editor,
        summary="Fixed a typo in Dosage",
        based_on=Monograph.objects.get(pk=reviewed.pk).latest_revision,
    ).revision
    workflow.submit(revision=revision, by=editor)
    workflow.approve(
        revision=revision,
        by=moderator,
        content_hash=revision.content_hash,
        editorial=True,
        clinical_checked=True,
    )
    html = client.get(reverse("monographs:history", args=[reviewed.slug])).content.decode()
    rows = re.findall(r"<tr>\s*<td.*?</tr>", html, re.S)

    assert len(rows) == 2
    assert "Fixed a typo in Dosage" in rows[0] and "Editorial change" in rows[0]
    assert "First version" in rows[1] and "Clinical review" in rows[1]
    assert all("disclaimer, version 1" in row for row in rows)


def test_history_of_an_import_says_it_was_not_reviewed_here(client, seed):
    html = client.get(reverse("monographs:history", args=[seed.slug])).content.decode()
    assert re.search(r"Imported from \S*naltrexone.md", html)
    assert "Imported; not reviewed on this site" in html


# --- staff preview ---------------------------------------------------------------------------
@pytest.fixture
def draft(reviewed, editor):
    content = edited(
        sample_content("Testamol", other_names=["Panadolo", "Calpolo"]),
        usage="PREVIEW-ME usage text.",
    )
    return workflow.save_draft(
        monograph=reviewed,
        content=content,
        by=editor,
        summary="Preview me",
        based_on=reviewed.latest_revision,
    ).revision


@pytest.mark.parametrize("who", ["editor", "moderator", "superuser"])
def test_staff_preview_a_draft_with_a_banner_and_no_cache_headers(client, draft, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(draft.get_preview_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert "PREVIEW-ME usage text." in html
    assert "Preview — not published" in html
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    assert "noindex" in html


def test_preview_is_404_for_everyone_else(client, draft, django_user_model):
    assert client.get(draft.get_preview_url()).status_code == 404
    outsider = django_user_model.objects.create_user("reader", password="pw-reader-123")
    client.force_login(outsider)
    assert client.get(draft.get_preview_url()).status_code == 404
    visitor = django_user_model.objects.create_user("staffer", password="pw", is_staff=True)
    client.force_login(visitor)
    assert client.get(draft.get_preview_url()).status_code == 404


def test_preview_of_an_unknown_revision_is_404_even_for_staff(client, draft, editor):
    client.force_login(editor)
    url = reverse("monographs:preview", args=[draft.monograph.slug, draft.number + 5])
    assert client.get(url).status_code == 404


# --- error pages ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("handler", "status", "title"),
    [
        (views.bad_request, 400, "Bad request"),
        (views.permission_denied, 403, "Access denied"),
        (views.page_not_found, 404, "Page not found"),
    ],
)
def test_error_pages_are_in_site_style_with_search_and_a_to_z(handler, status, title):
    response = handler(RequestFactory().get("/x/"), Exception("boom"))
    html = response.content.decode()

    assert response.status_code == status
    assert f"<h1>{title}</h1>" in html
    assert 'name="q"' in html and 'href="/medicines/"' in html
    assert 'lang="en"' in html


def test_500_page_renders_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = views.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html and 'name="q"' in html


def test_page_carries_the_structured_data_in_its_head(client, reviewed):
    pytest.importorskip("monographs.structured_data")
    html = client.get(reviewed.get_absolute_url()).content.decode()
    head = html.split("</head>", 1)[0]
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)

    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert "Testamol" in json.dumps(data)


@pytest.mark.parametrize("abbreviation", ["e.g.", "i.e.", "etc.", "approx."])
def test_meta_description_does_not_stop_at_an_abbreviation(abbreviation):
    from monographs.content import MonographContent, Section
    from monographs.page import META_DESCRIPTION_MAX, build_parts

    # One sentence longer than a description: it is cut at a word, not at the abbreviation.
    first = (
        f"Warfarin prevents blood clots, {abbreviation} after a heart valve replacement, "
        "in atrial fibrillation, and in people who have had a deep vein thrombosis or a "
        "pulmonary embolism before."
    )
    content = MonographContent(
        title="Warfarin", sections=[Section("usage", "Usage", f"{first} It thins the blood.")]
    )
    description = build_parts(content, "").meta_description
    assert description.startswith(f"Warfarin prevents blood clots, {abbreviation} after a heart")
    assert description.endswith("…") and len(description) <= META_DESCRIPTION_MAX


# --- realistic monographs, end to end ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", QA_FILES, ids=lambda p: p.stem)
def test_every_list_item_table_cell_bold_label_and_link_text_is_on_the_page(
    client, imported, path: Path
):
    content = sourcefile.parse(path.read_bytes())
    response = client.get(imported[path.name].get_absolute_url())
    assert response.status_code == 200
    page = read_page(response.content.decode())

    expected: list[str] = []
    for section in content.sections:
        expected += [section.heading]
        expected += list_items(section.body) + table_cells(section.body)
        expected += bold_labels(section.body) + link_texts(section.body)
    for faq in content.faqs:
        expected += [plain(faq.question), plain(faq.answer)]
    assert expected, "the fixture has something to look for"
    missing = [text for text in expected if text not in page.text]
    assert missing == []


@pytest.mark.django_db
def test_on_this_page_lists_every_section_with_the_authors_wording(client, imported):
    response = client.get(imported["salbutamol.md"].get_absolute_url())
    html = response.content.decode()
    nav = html.split('<nav class="on-this-page"', 1)[1].split("</nav>", 1)[0]
    entries = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', nav)

    assert entries == [
        ("usage", "What it is used for"),
        ("dosage", "Dosage and administration"),
        ("side_effects", "Side effects"),
        ("how_it_works", "Mechanism of action"),
        ("faqs", "Frequently Asked Questions"),
        ("disclaimer", "Disclaimer"),
    ]
    for anchor, _heading in entries:
        assert f'id="{anchor}"' in html


@pytest.mark.django_db
def test_a_faqs_heading_spelt_with_an_apostrophe_still_gives_questions_and_answers(client):
    cache.clear()
    content = sourcefile.parse(
        source(
            "title: Apostrophamol",
            "### Possible side effects\n\nSeek urgent medical help if you notice:\n\n"
            "* Yellow skin\n\n### FAQ's\n\n* **Q: Can I drive?** A: Yes.\n",
        )
    )
    monograph = workflow.import_source(content=content, filename="a.md").monograph
    html = client.get(monograph.get_absolute_url()).content.decode()
    data = json.loads("".join(read_page(html).jsonld))

    assert [q["name"] for q in data["hasPart"]["mainEntity"]] == ["Can I drive?"]
    assert '<dl class="faq-list">' in html
    assert "Yellow skin" in html.split('class="callout', 1)[1].split("</div>", 1)[0]


# --- the A to Z at scale ------------------------------------------------------------------


class TestTheAToZAtScale:
    """The lists read the published names on the monograph row."""

    @pytest.fixture
    def monograph(self, editor, moderator, committing) -> Monograph:
        cache.clear()
        return committing(
            publish_new, sample_content("Outagol"), editor=editor, moderator=moderator
        )

    @pytest.mark.parametrize("page", ["monographs:a_to_z", "monographs:home"])
    def test_the_lists_read_names_without_touching_revisions(self, client, monograph, page):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(page))
        assert response.status_code == 200
        # Joining every live revision to read names out of its JSON cost half a second at
        # 10,000 monographs; the published names are on the monograph row.
        assert all("monographs_revision" not in q["sql"] for q in queries.captured_queries)

    def test_a_draft_after_publication_does_not_rename_the_a_to_z_entry(
        self, client, monograph, editor, committing
    ):
        committing(
            workflow.save_draft,
            monograph=monograph,
            content=edited(
                sample_content("Outagol"), title="Draftonol", other_names=["Brandidraft"]
            ),
            by=editor,
            summary="Rename",
            based_on=monograph.latest_revision,
        )
        cache.clear()
        page = client.get(reverse("monographs:letter", args=["o"])).content.decode()
        assert "Outagol" in page
        assert "Draftonol" not in page and "Brandidraft" not in page


def test_a_reviewer_without_a_display_name_is_never_shown_by_login_name(client, editor, moderator):
    """Issue 9.4: "by jsmith, Moderator". Approval needs a name (arch's rule); a moderator who
    later clears it (or approved before the rule) must not turn into a login name in public."""
    jsmith = moderator
    jsmith.username = "jsmith"
    jsmith.save()
    monograph = publish_new(sample_content("Namelessol"), editor=editor, moderator=jsmith)
    jsmith.first_name = jsmith.last_name = ""
    jsmith.save()
    cache.clear()

    urls = [
        monograph.get_absolute_url(),
        reverse("monographs:history", args=[monograph.slug]),
        reverse("monographs:home"),
        reverse("monographs:a_to_z"),
        f"/api/v1/monographs/{monograph.slug}/",
        f"/api/v1/monographs/{monograph.slug}/history/",
        "/api/v1/monographs/",
    ]
    for url in urls:
        response = client.get(url)
        if response.status_code == 404 and url.startswith("/api/"):
            continue  # the API is not there (yet): nothing to check
        assert response.status_code == 200, url
        assert "jsmith" not in response.content.decode(), url
    page = page_text(client.get(monograph.get_absolute_url()).content.decode())
    assert f"Last reviewed {date.today():%-d %B %Y}" in page


# --- a long history is paginated ------------------------------------------------------------
def test_a_history_of_3650_publications_is_paginated_with_constant_queries(
    client, reviewed, django_assert_num_queries
):
    from monographs.views import HISTORY_PAGE_SIZE
    from tests.workflow_helpers import add_publications

    add_publications(reviewed, 3649)  # ten years of daily publications
    url = reverse("monographs:history", args=[reviewed.slug])
    assert HISTORY_PAGE_SIZE == 50
    pages = 73
    for number in (1, 2, pages):
        cache.clear()
        with django_assert_num_queries(4):
            response = client.get(url if number == 1 else f"{url}?page={number}")
        html = response.content.decode()
        assert response.status_code == 200
        rows = re.findall(r'<td data-label="Published">', html)
        assert len(rows) == (HISTORY_PAGE_SIZE if number < pages else 3650 - (pages - 1) * 50)
        assert f"Page {number} of {pages}" in html
    first = client.get(url).content.decode()
    # Newest first: the live publication heads page 1.
    assert first.index("First version") < first.index("Change 3648")
    assert f'href="{url}?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get(f"{url}?page=2").content.decode()
    assert f'href="{url}" rel="prev"' in second
    for bad in (f"{url}?page={pages + 1}", f"{url}?page=0", f"{url}?page=x"):
        assert client.get(bad).status_code == 404, bad


def test_a_short_history_has_no_page_links(client, reviewed):
    html = client.get(reverse("monographs:history", args=[reviewed.slug])).content.decode()
    assert 'class="pagination"' not in html


def test_history_shows_every_description_a_publication_carried(
    client, editor, editor2, moderator, committing
):
    monograph = publish_new(sample_content(title="Aspirin"), editor=editor, moderator=moderator)
    first = workflow.save_draft(
        monograph=monograph,
        content=edited(monograph.live_revision.data, usage="First wording."),
        by=editor,
        summary="Reworded the usage",
        based_on=None,
    ).revision
    workflow.submit(revision=first, by=editor)
    second = workflow.save_draft(
        monograph=monograph,
        content=edited(first.data, dosage="Adults: 300 mg every 4 hours."),
        by=editor2,
        summary="Corrected the adult dose",
        based_on=None,
    ).revision
    committing(
        workflow.approve,
        revision=second,
        by=moderator,
        content_hash=second.content_hash,
        clinical_checked=True,
    )
    workflow.save_draft(
        monograph=monograph,
        content=edited(second.data, usage="A draft nobody approved yet."),
        by=editor,
        summary="PENDING DRAFT SUMMARY",
        based_on=None,
    )
    html = client.get(reverse("monographs:history", args=["aspirin"])).content.decode()
    row = html[html.index("Corrected the adult dose") :]
    row = row[: row.index("</tr>")]
    assert "Reworded the usage" in row  # the replaced save's description is kept
    assert "PENDING DRAFT SUMMARY" not in html  # nothing unpublished of its own
    assert "editor1" not in row and "Editor1" not in row  # no editors' names
