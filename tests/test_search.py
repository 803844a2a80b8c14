"""Search: index fields, ranking, names, misspellings, odd queries and the search page.

The fixture set is written straight to the tables (a live revision and the denormalised
search fields from ``search.index_fields``), so these tests pin down search alone; what
publishing writes is the workflow's tests' business.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monographs import search
from monographs.models import Monograph
from tests.workflow_helpers import (
    IBUPROFEN,
    METFORMIN,
    NALTREXONE,
    RANITIDINE_WITHDRAWN,
    ZOLPIDEM_DRAFT,
    content_for,
    edit_and_publish,
    edited,
    make_monograph,
    publish_new,
    sample_content,
)


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Result pages are cached under the site generation, which only a committed
    publication moves: each test's catalogue is new, so its cache must be too."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram similarity needs PostgreSQL"
)


@pytest.fixture
def monographs(db) -> dict[str, Monograph]:
    return {
        "naltrexone": make_monograph(NALTREXONE),
        "metformin": make_monograph(METFORMIN),
        "ibuprofen": make_monograph(IBUPROFEN),
        "zolpidem": make_monograph(ZOLPIDEM_DRAFT, published=False),
        "ranitidine": make_monograph(RANITIDINE_WITHDRAWN, withdrawn=True),
    }


def titles(outcome: search.SearchOutcome) -> list[str]:
    return [result.title for result in outcome.results]


# --- index fields -------------------------------------------------------------------


def test_index_fields_lists_each_name_once_one_per_line():
    content = content_for("Naltrexone", other_names=("Revia", "naltrexone", " Vivitrol "))
    names, _text = search.index_fields(content)
    assert names.splitlines() == ["Naltrexone", "Revia", "Vivitrol"]
    assert search.names_from_index(names) == ["Naltrexone", "Revia", "Vivitrol"]


def test_index_fields_text_is_plain_text_of_every_section_with_its_heading():
    _names, text = search.index_fields(NALTREXONE)
    lines = text.splitlines()
    assert len(lines) == len(NALTREXONE.sections)
    assert lines[0].startswith("Usage: Naltrexone is used to treat alcohol use disorder")
    assert "**" not in text and "* " not in text
    assert "Intramuscular (IM): 380 mg" in text
    assert "Can I drink alcohol while taking naltrexone?" in text


# --- names ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Naltrexone", "naltrexone", "  NALTREXONE  ", "vivitrol"])
def test_an_exact_name_goes_straight_to_the_monograph(monographs, query):
    outcome = search.search(query)
    assert outcome.redirect_to == monographs["naltrexone"]


def test_the_search_page_redirects_an_exact_name_to_the_monograph_page(client, monographs):
    response = client.get(reverse("monographs:search"), {"q": "Revia"})
    assert response.status_code == 302
    assert response["Location"] == monographs["naltrexone"].get_absolute_url()


def test_a_brand_name_in_a_longer_query_finds_its_generic_monograph(monographs):
    outcome = search.search("nurofen gel")
    assert titles(outcome)[0] == "Ibuprofen"
    assert outcome.results[0].matched_name == "Nurofen"
    assert outcome.results[0].matched_other_name
    assert outcome.redirect_to is None


def test_a_name_shared_by_two_monographs_lists_both_instead_of_redirecting(db):
    make_monograph(content_for("Paracetamol", other_names=("Panadol",), usage="Pain relief."))
    make_monograph(
        content_for(
            "Panadol Extra",
            generic_name="Paracetamol and caffeine",
            other_names=("Panadol",),
            usage="Pain.",
        )
    )
    outcome = search.search("panadol")
    assert outcome.redirect_to is None
    assert sorted(titles(outcome)) == ["Panadol Extra", "Paracetamol"]


def test_a_name_match_ranks_above_a_mention_in_the_text(monographs):
    # Metformin's text mentions ibuprofen tablets; the Ibuprofen monograph is named so.
    outcome = search.search("ibuprofen tablets")
    assert titles(outcome) == ["Ibuprofen", "Metformin"]


# --- words from the sections ------------------------------------------------------------


def test_a_word_from_a_section_finds_the_monograph_with_the_word_marked(monographs):
    outcome = search.search("cravings")
    assert titles(outcome) == ["Naltrexone"]
    assert "<mark>cravings</mark>" in outcome.results[0].snippet_html
    assert outcome.results[0].matched_name == ""


def test_several_words_find_the_monograph_that_has_them_all(monographs):
    outcome = search.search("fever inflammation")
    assert titles(outcome) == ["Ibuprofen"]
    snippet = outcome.results[0].snippet_html
    assert "<mark>fever</mark>" in snippet and "<mark>inflammation</mark>" in snippet


def test_a_word_in_no_monograph_finds_nothing_and_offers_the_a_to_z(client, monographs):
    response = client.get(reverse("monographs:search"), {"q": "chocolate"})
    assert response.status_code == 200
    assert response.context["outcome"].results == []
    body = response.content.decode()
    assert "No medicines found for “chocolate”" in body
    assert f'href="{reverse("monographs:a_to_z")}"' in body


# --- misspellings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title"),
    [("naltrexon", "Naltrexone"), ("naltrexome", "Naltrexone"), ("metforman", "Metformin")],
)
def test_a_misspelled_name_still_finds_the_monograph(monographs, query, title):
    # PostgreSQL: trigram similarity; SQLite: difflib over the names.
    outcome = search.search(query)
    assert outcome.redirect_to is None
    assert titles(outcome)[0] == title
    assert outcome.results[0].matched_name == title


@on_postgresql
def test_postgresql_misspelling_in_a_brand_name_and_a_partial_name(monographs):
    assert titles(search.search("vivitrl"))[0] == "Naltrexone"
    assert titles(search.search("glucophag"))[0] == "Metformin"


@on_postgresql
def test_postgresql_phrases_and_excluded_words(monographs):
    assert titles(search.search('"alcohol use disorder"')) == ["Naltrexone"]
    # Both words are in Naltrexone's text, not in this order.
    assert titles(search.search('"disorder alcohol"')) == []
    assert sorted(titles(search.search("tablets"))) == ["Ibuprofen", "Metformin"]
    assert titles(search.search("tablets -fever")) == ["Metformin"]
    assert titles(search.search('tablets -"topical gel"')) == ["Metformin"]


@on_postgresql
def test_postgresql_stemming_finds_other_forms_of_a_word(monographs):
    outcome = search.search("craving")
    assert titles(outcome) == ["Naltrexone"]
    assert "<mark>cravings</mark>" in outcome.results[0].snippet_html


def test_did_you_mean_offers_close_names_when_nothing_matched(client, monographs):
    # Too far from "Metformin" to count as a match, close enough to suggest. The name
    # index is the same on both databases ("mtfrmin", two letters short, is now a match).
    query = "metfxxxin"
    outcome = search.search(query)
    assert outcome.results == []
    assert [s.name for s in outcome.suggestions] == ["Metformin"]
    response = client.get(reverse("monographs:search"), {"q": query})
    body = response.content.decode()
    assert "Did you mean" in body
    assert f'href="{monographs["metformin"].get_absolute_url()}">Metformin</a>' in body


# --- only published, never withdrawn -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Zolpidem",
        "zolpidem insomnia",
        "insomnia",
        "stilnoct",
        "zolpidm",
        "Ranitidine",
        "zantac",
        "heartburn",
        "ranitidin",
        "stomach acid",
    ],
)
def test_drafts_and_withdrawn_monographs_are_never_found(client, monographs, query):
    outcome = search.search(query)
    assert outcome.redirect_to is None
    assert titles(outcome) == []
    assert all(s.name not in {"Zolpidem", "Ranitidine"} for s in outcome.suggestions)
    response = client.get(reverse("monographs:search"), {"q": query})
    assert response.status_code == 200
    assert b"Zolpidem" not in response.content.replace(query.encode(), b"")
    assert b"Ranitidine" not in response.content.replace(query.encode(), b"")


# --- odd queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", search.EMPTY_MESSAGE),
        ("   \t ", search.EMPTY_MESSAGE),
        ("x" * 201, search.TOO_LONG_MESSAGE),
        ("naltrexone " * 30, search.TOO_LONG_MESSAGE),
        ("!!!", search.NO_WORDS_MESSAGE),
        ("%_% ' \" -- ;", search.NO_WORDS_MESSAGE),
    ],
)
def test_queries_that_cannot_be_searched_get_a_friendly_message(client, monographs, query, message):
    outcome = search.search(query)
    assert outcome.message == message
    assert outcome.results == [] and outcome.redirect_to is None
    response = client.get(reverse("monographs:search"), {"q": query})
    assert response.status_code == 200
    assert message.encode() in response.content


def test_a_query_of_exactly_200_characters_is_searched(monographs):
    outcome = search.search("cravings " + "a" * 191)
    assert outcome.message == ""
    assert outcome.searched


ODD_QUERIES = [
    "'; DROP TABLE monographs_monograph; --",
    "ナルトレキソン",
    "µg ≥",
    "naltrexone\x00",
    '"unclosed quote',
    "a & b | !c <-> (d:*",
    "-naltrexone or",
    "100% _wild_",
    "<script>alert(1)</script>",
    "Ｎａｌｔｒｅｘｏｎｅ ｃｒａｖｉｎｇｓ",
    "🙂 pain",
    "the",
    "a",
    "OR",
    "naltrexone OR",
    "x" * 200,
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_never_error(client, monographs, query):
    response = client.get(reverse("monographs:search"), {"q": query})
    assert response.status_code in (200, 302)
    # Nothing was dropped or changed by the query.
    assert Monograph.objects.published().count() == 3


def test_sql_looking_query_is_just_words(monographs):
    outcome = search.search("'; DROP TABLE monographs_monograph; --")
    assert outcome.message == "" and titles(outcome) == []


def test_unicode_queries_are_searched_and_echoed(client, monographs):
    for query in ("ナルトレキソン", "µg ≥"):
        response = client.get(reverse("monographs:search"), {"q": query})
        assert response.status_code == 200
        assert response.context["outcome"].searched
        assert f'value="{query}"'.encode() in response.content


def test_fullwidth_letters_are_normalised(monographs):
    outcome = search.search("Ｎａｌｔｒｅｘｏｎｅ ｃｒａｖｉｎｇｓ")
    assert outcome.query == "Naltrexone cravings"
    assert titles(outcome) == ["Naltrexone"]


def test_the_query_is_echoed_escaped_in_the_search_box_and_heading(client, monographs):
    response = client.get(reverse("monographs:search"), {"q": '<script>alert("x")</script>'})
    body = response.content.decode()
    assert "<script>alert" not in body
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in body


# --- snippets -------------------------------------------------------------------------------


def test_snippet_escapes_the_text_before_marking_words():
    snippet = search.make_snippet('Take <b onclick="x()">cravings</b> & more', ["cravings"])
    assert snippet == (
        "Take &lt;b onclick=&quot;x()&quot;&gt;<mark>cravings</mark>&lt;/b&gt; &amp; more"
    )


def test_snippet_is_cut_around_the_first_match_at_word_boundaries():
    text = " ".join(f"word{i}" for i in range(200)) + " naltrexone " + "tail " * 100
    snippet = search.make_snippet(text, ["naltrexone"], length=120)
    assert snippet.startswith("… word")
    assert snippet.endswith(" …")
    assert "<mark>naltrexone</mark>" in snippet
    assert len(snippet) < 200


def test_snippet_marks_a_query_word_inside_html_special_text():
    snippet = search.make_snippet("Stored below 25 °C & away from heat.", ["heat"])
    assert snippet == "Stored below 25 °C &amp; away from <mark>heat</mark>."


def test_snippet_in_results_comes_from_the_content_escaped(monographs):
    outcome = search.search("moisture")
    snippet = outcome.results[0].snippet_html
    assert "<mark>moisture</mark>" in snippet
    assert "<b>" not in snippet  # the FAQ's <b> tag is dropped by the renderer or escaped


# --- the page -------------------------------------------------------------------------------


def test_results_page_lists_names_also_known_as_and_snippets(client, monographs):
    response = client.get(reverse("monographs:search"), {"q": "alcohol"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert "1 result for “alcohol”" in body
    assert f'<a href="{monographs["naltrexone"].get_absolute_url()}">Naltrexone</a>' in body
    assert "Also known as: Revia, Vivitrol" in body
    assert "<mark>alcohol</mark>" in body
    assert 'role="status"' in body
    assert '<meta name="robots" content="noindex, follow">' in body


def test_results_page_says_which_other_name_matched(client, monographs):
    body = client.get(reverse("monographs:search"), {"q": "advil pain"}).content.decode()
    assert "“Advil” is another name for Ibuprofen." in body


def test_search_page_answers_only_get_and_head(client, db):
    assert client.post(reverse("monographs:search"), {"q": "x"}).status_code == 405
    assert client.head(reverse("monographs:search")).status_code == 200


def test_result_pages_are_cached_per_normalised_query(client, monographs):
    url = reverse("monographs:search")
    first = client.get(url, {"q": "cravings"})
    assert b"Naltrexone" in first.content
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, {"q": "  cravings\t"})
    assert again.status_code == 200
    assert again.content == first.content
    assert not [q for q in queries.captured_queries if "monographs_monograph" in q["sql"]]
    other = client.get(url, {"q": "nausea"})
    assert other.content != first.content


def test_a_publication_reaches_cached_result_pages_at_once(
    client, db, editor, moderator, committing
):
    url = reverse("monographs:search")
    assert b"No medicines found" in client.get(url, {"q": "prostaglandins"}).content
    committing(publish_new, sample_content("Testamol"), editor=editor, moderator=moderator)
    response = client.get(url, {"q": "prostaglandins"})
    assert b"Testamol" in response.content
    # The name index moved on too: the new name redirects.
    assert client.get(url, {"q": "testamol"}).status_code == 302


# --- through the workflow -------------------------------------------------------------------


def test_a_new_other_name_is_found_only_once_a_moderator_approves_it(editor, moderator):
    from monographs import workflow
    from tests.workflow_helpers import edited, publish_new, sample_content

    content = sample_content("Naltrexone", generic_name="Naltrexone")
    monograph = publish_new(content, editor=editor, moderator=moderator)
    assert search.search("naltrexone").redirect_to == monograph
    assert search.search("vivitrol").redirect_to is None

    draft = workflow.save_draft(
        monograph=monograph,
        content=edited(content, other_names=["Vivitrol"]),
        by=editor,
        summary="Add the brand name",
        based_on=monograph.latest_revision,
    ).revision
    workflow.submit(revision=draft, by=editor)
    assert search.search("vivitrol").redirect_to is None
    assert titles(search.search("vivitrol")) == []

    workflow.approve(
        revision=draft, by=moderator, content_hash=draft.content_hash, clinical_checked=True
    )
    assert search.search("vivitrol").redirect_to == monograph
    assert search.search("VIVITROL").redirect_to == monograph


def test_a_withdrawn_monograph_leaves_search_and_comes_back_on_restore(editor, moderator):
    from monographs import workflow
    from tests.workflow_helpers import publish_new, sample_content

    monograph = publish_new(sample_content("Testamol"), editor=editor, moderator=moderator)
    assert titles(search.search("prostaglandins")) == ["Testamol"]

    workflow.withdraw(monograph=monograph, by=moderator, reason="Safety review")
    assert titles(search.search("prostaglandins")) == []
    assert search.search("testamol").redirect_to is None

    workflow.restore(monograph=Monograph.objects.get(pk=monograph.pk), by=moderator, reason="Ok")
    assert titles(search.search("prostaglandins")) == ["Testamol"]


@on_postgresql
def test_postgresql_has_the_search_indexes_from_migration_0004(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'monographs_monograph' "
            "AND indexname LIKE 'monograph_search_%%' ORDER BY indexname"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert names == ["monograph_search_document", "monograph_search_names_trgm"]


@on_postgresql
def test_the_full_text_index_is_on_the_stored_document_of_migration_0006(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'monograph_search_document'"
        )
        (definition,) = cursor.fetchone()
    # An index on the to_tsvector expression finds rows, but ranking recomputed it per row.
    assert "USING gin (search_document)" in definition
    # Migration 0012: no pending list for every search to scan after a bulk load.
    assert definition.endswith("WITH (fastupdate=off)")


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored search document is PostgreSQL's"
)

# --- search at scale ----------------------------------------------------------------------


@postgresql_only
class TestSearchAtScale:
    """PostgreSQL ranks on the stored search document, kept by each publication."""

    @pytest.fixture
    def monograph(self, editor, moderator, committing) -> Monograph:
        return committing(
            publish_new, sample_content("Outagol"), editor=editor, moderator=moderator
        )

    def test_postgresql_search_ranks_on_the_stored_document_not_a_recomputed_one(self, monograph):
        with CaptureQueriesContext(connection) as queries:
            outcome = search.search("fever pain")
        ranked = [q["sql"] for q in queries.captured_queries if "ts_rank" in q["sql"]]
        assert ranked, "the ranked search query ran"
        # to_tsvector over every matching monograph's text made a common word take 14 s at
        # 10,000 monographs; the generated column (migration 0006) is computed once per write.
        assert '"search_document"' in ranked[0]
        assert "to_tsvector" not in ranked[0]
        assert [result.title for result in outcome.results] == ["Outagol"]

    def test_the_stored_document_follows_each_publication(
        self, monograph, editor, moderator, committing
    ):
        assert search.search("zanzibarine").results == []
        committing(
            edit_and_publish,
            monograph,
            edited(sample_content("Outagol"), usage="Now mentions zanzibarine."),
            editor=editor,
            moderator=moderator,
        )
        assert [r.title for r in search.search("zanzibarine").results] == ["Outagol"]


# --- accuracy on real names ------------------------------------------------------------------
#
# 1,319 real medicines and 1,979 of their brand names (tests/fixtures/medicine_names.tsv,
# where they come from in its README), published as one catalogue. Every exact name must
# reach its medicine, and so must one-typo misspellings of generic and brand names
# (random edit at a random position after the first letter, fixed seed). Top-1 means the
# redirect, or the first result. Timings are in tests/benchmarks/search_latency.py.

MEDICINE_NAMES = Path(__file__).resolve().parent / "fixtures" / "medicine_names.tsv"
TYPO_SEED = 20261201
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def real_medicines() -> list[tuple[str, list[str]]]:
    rows = []
    for line in MEDICINE_NAMES.read_text(encoding="utf-8").splitlines():
        generic, brands = line.split("\t")
        rows.append((generic, [b.strip() for b in brands.split(",") if b.strip()]))
    return rows


def one_typo(name: str, rng: random.Random) -> str:
    """``name`` with one letter deleted, inserted or replaced, after the first letter."""
    while True:
        position = rng.randrange(1, len(name))
        kind = rng.choice(["delete", "insert", "replace"])
        if kind == "delete":
            typo = name[:position] + name[position + 1 :]
        elif kind == "insert":
            typo = name[:position] + rng.choice(LETTERS) + name[position:]
        else:
            typo = name[:position] + rng.choice(LETTERS) + name[position + 1 :]
        if typo.casefold() != name.casefold():
            return typo


@pytest.fixture
def real_catalogue(db) -> dict[str, int]:
    """The real medicines published; their generic and brand names -> monograph id."""
    from tests.workflow_helpers import bulk_publish

    medicines = real_medicines()
    contents = [
        content_for(generic, other_names=tuple(brands), usage=f"{generic} is a medicine.")
        for generic, brands in medicines
    ]
    monographs = bulk_publish(contents)
    owner = {}
    for monograph, (generic, brands) in zip(monographs, medicines, strict=True):
        for name in [generic, *brands]:
            owner[name] = monograph.id
    return owner


def top1_rate(queries: list[tuple[str, int]]) -> tuple[float, list[str]]:
    misses = []
    for query, expected in queries:
        outcome = search.search(query)
        found = outcome.redirect_to or (outcome.results[0].monograph if outcome.results else None)
        if found is None or found.id != expected:
            misses.append(f"{query!r} -> {found.slug if found else None}")
    return 1 - len(misses) / len(queries), misses


def test_the_real_name_list_is_big_enough_and_unambiguous():
    medicines = real_medicines()
    names = [n.casefold() for generic, brands in medicines for n in [generic, *brands]]
    assert len(medicines) >= 300
    assert sum(len(brands) for _, brands in medicines) >= 300
    assert len(names) == len(set(names))


def accuracy_queries(owner: dict[str, int], sample: int | None) -> dict[str, list[tuple[str, int]]]:
    """Exact names, and one typo in each generic and each brand name; ``sample`` of each
    (fixed seed), or all of them."""
    rng = random.Random(TYPO_SEED)
    medicines = real_medicines()
    kinds = {
        "exact name": list(owner.items()),
        "generic typo": [(one_typo(g, rng), owner[g]) for g, _ in medicines],
        "brand typo": [(one_typo(b, rng), owner[b]) for _, bs in medicines for b in bs],
    }
    if sample:
        kinds = {kind: rng.sample(queries, sample) for kind, queries in kinds.items()}
    return kinds


# Queries per kind in the test (the whole list: SEARCH_ACCURACY_SAMPLE=0, about 3 minutes).
ACCURACY_SAMPLE = int(os.environ.get("SEARCH_ACCURACY_SAMPLE", "400"))
GOALS = {"exact name": 0.995, "generic typo": 0.99, "brand typo": 0.99}


def test_search_accuracy_on_real_names(real_catalogue):
    rates, failures = {}, {}
    for kind, queries in accuracy_queries(real_catalogue, ACCURACY_SAMPLE or None).items():
        rates[kind], failures[kind] = top1_rate(queries)
    print(f"search accuracy on real names ({connection.vendor}): {rates}")  # with -s
    assert all(rates[kind] >= goal for kind, goal in GOALS.items()), (rates, failures)
