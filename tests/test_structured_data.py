"""JSON-LD (schema.org) for monograph pages: parsed back and checked against the monograph."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory, override_settings

from monographs import structured_data
from monographs.content import MonographContent
from tests.workflow_helpers import (
    NALTREXONE,
    content_for,
    content_with,
    make_monograph,
    read_page,
)

SITE = "https://medicines.example.org"


@pytest.fixture
def naltrexone(db, moderator):
    return make_monograph(NALTREXONE, reviewed_by=moderator)


def jsonld(monograph, **request_extra) -> dict:
    request = RequestFactory().get(monograph.get_absolute_url(), **request_extra)
    text = structured_data.monograph_jsonld(monograph, request)
    return json.loads(text)


@override_settings(SITE_URL=SITE)
def test_medical_web_page_fields_match_the_monograph(naltrexone, moderator):
    data = jsonld(naltrexone)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalWebPage"
    assert data["name"] == "Naltrexone"
    assert data["url"] == f"{SITE}/medicines/naltrexone/"
    assert data["lastReviewed"] == "2026-03-14"
    assert data["reviewedBy"] == {"@type": "Person", "name": moderator.get_full_name()}
    assert data["dateModified"] == naltrexone.last_published_at.isoformat()
    assert data["medicalAudience"] == {"@type": "MedicalAudience", "audienceType": "Patient"}
    assert data["description"].startswith("Naltrexone is used to treat alcohol use disorder")
    assert "**" not in data["description"]


def test_about_is_the_drug_with_its_names_and_routes(naltrexone):
    drug = jsonld(naltrexone)["about"]
    assert drug == {
        "@type": "Drug",
        "name": "Naltrexone",
        "nonProprietaryName": "Naltrexone",
        "alternateName": ["Revia", "Vivitrol"],
        "administrationRoute": ["oral", "intramuscular"],
    }


def test_faqs_are_question_and_accepted_answer_pairs_in_plain_text(naltrexone):
    faq_page = jsonld(naltrexone)["hasPart"]
    assert faq_page["@type"] == "FAQPage"
    questions = faq_page["mainEntity"]
    assert [q["@type"] for q in questions] == ["Question", "Question"]
    assert [q["name"] for q in questions] == [
        "Can I drink alcohol while taking naltrexone?",
        "How should I store naltrexone?",
    ]
    assert questions[0]["acceptedAnswer"] == {
        "@type": "Answer",
        "text": "No. Drinking alcohol while on naltrexone may not prevent intoxication.",
    }
    # The answer's own markup is reduced to text; its "&" is a plain character in JSON.
    assert questions[1]["acceptedAnswer"]["text"].startswith("Store it at room temperature")
    assert "&" in questions[1]["acceptedAnswer"]["text"]
    assert "<b>" not in questions[1]["acceptedAnswer"]["text"]


def test_a_forged_host_header_does_not_change_the_canonical_url(naltrexone, settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["*"]
    data = jsonld(naltrexone, HTTP_HOST="evil.example")
    assert data["url"] == f"{SITE}/medicines/naltrexone/"


def test_a_reviewer_without_a_name_is_credited_to_the_site_not_by_login(db, django_user_model):
    anonymous_reviewer = django_user_model.objects.create_user("mod-x", password="x")
    monograph = make_monograph(NALTREXONE, reviewed_by=anonymous_reviewer)
    data = jsonld(monograph)
    assert data["reviewedBy"] == {"@type": "Organization", "name": "medsite"}
    assert "mod-x" not in json.dumps(data)


def test_optional_parts_are_left_out_when_the_content_has_none(db):
    monograph = make_monograph(content_for("Plainol", usage="Plainol is plain."))
    monograph.last_reviewed_at = None
    monograph.save()
    data = jsonld(monograph)
    assert "hasPart" not in data
    assert "lastReviewed" not in data and "reviewedBy" not in data
    assert data["about"] == {"@type": "Drug", "name": "Plainol", "nonProprietaryName": "Plainol"}


def test_a_monograph_without_a_live_revision_has_no_structured_data(db):
    draft = make_monograph(content_for("Draftol", usage="Not yet."), published=False)
    with pytest.raises(ValueError, match="no live revision"):
        structured_data.monograph_jsonld(draft, None)


def test_script_breaking_text_is_escaped_and_survives_a_round_trip(db):
    nasty = 'Bad</script><script>alert("x")</script> <!-- & more'
    content = content_for(
        "Scriptol",
        other_names=(nasty,),
        usage="Used for tests.",
        faqs=f"* **Q: {nasty}?** A: Answer {nasty}\n",
    )
    monograph = make_monograph(content)
    text = structured_data.monograph_jsonld(monograph, None)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\\u003c/script\\u003e" in text
    data = json.loads(text)
    assert data["about"]["alternateName"] == [nasty]


def test_the_live_revision_is_described_not_a_newer_draft(editor, moderator):
    from monographs import workflow
    from monographs.models import Monograph
    from tests.workflow_helpers import edited, publish_new, sample_content

    content = sample_content("Testamol", other_names=["Testa"])
    monograph = publish_new(content, editor=editor, moderator=moderator)
    workflow.save_draft(
        monograph=monograph,
        content=edited(content, other_names=["Testa", "Draftname"], dosage="Inhaled twice."),
        by=editor,
        summary="Draft",
        based_on=monograph.latest_revision,
    )
    monograph = Monograph.objects.get(pk=monograph.pk)
    data = jsonld(monograph)
    assert data["about"]["alternateName"] == ["Testa"]
    assert data["about"]["administrationRoute"] == ["oral", "rectal"]
    assert data["lastReviewed"] == monograph.last_reviewed_at.isoformat()
    assert data["reviewedBy"]["name"] == moderator.get_full_name()


@pytest.mark.parametrize(
    ("dosage", "routes"),
    [
        ("Take one tablet by mouth twice daily.", ["oral"]),
        (
            "**Oral:** 50 mg daily.\n* **Intramuscular (IM):** 380 mg monthly.",
            ["oral", "intramuscular"],
        ),
        ("Given as an IV infusion over 30 minutes, or IM.", ["intravenous", "intramuscular"]),
        ("Inject under the skin (subcutaneous) once a week.", ["subcutaneous"]),
        ("Apply the cream thinly to the affected skin.", ["topical"]),
        ("Two puffs from the inhaler when needed.", ["inhaled"]),
        ("One suppository at night.", ["rectal"]),
        ("Must not be given intravenously. Take orally.", ["oral"]),
        ("I'm told the dose is 5 mg; iv is not a route here.", []),
        ("The dose depends on weight.", []),
    ],
)
def test_administration_routes_are_read_from_the_dosage_text(dosage, routes):
    assert structured_data.administration_routes(dosage) == routes


def test_description_falls_back_to_the_first_section_and_is_shortened():
    content = MonographContent(title="Longol")
    assert structured_data.description(content) == ""
    long_usage = content_for("Longol", usage="word " * 200)
    text = structured_data.description(long_usage, limit=50)
    assert len(text) <= 50 and text.endswith("…")


# --- realistic monographs, FAQs written otherwise, routes --------------------------------------


@pytest.mark.django_db
def test_json_ld_names_routes_and_faqs_of_the_new_monographs(client, imported):
    def jsonld(name: str) -> dict:
        response = client.get(imported[name].get_absolute_url())
        return json.loads("".join(read_page(response.content.decode()).jsonld))

    insulin = jsonld("insulin-glargine.md")
    # "It must never be given intravenously" names a route the drug does not have.
    assert insulin["about"]["administrationRoute"] == "subcutaneous"
    assert insulin["about"]["alternateName"] == ["Lantus", "Toujeo", "Abasaglar", "Semglee"]
    assert [q["name"] for q in insulin["hasPart"]["mainEntity"]] == [
        "Can I mix insulin glargine with other insulins?",
        "Where should I store unopened pens?",
    ]
    assert jsonld("salbutamol.md")["about"]["administrationRoute"] == "inhaled"
    assert jsonld("warfarin.md")["about"]["nonProprietaryName"] == "Warfarin sodium"
    assert jsonld("metoclopramide.md")["about"]["administrationRoute"] == [
        "oral",
        "intramuscular",
        "intravenous",
    ]
    # No FAQs section: no FAQPage at all rather than an empty one.
    assert "hasPart" not in jsonld("paracetamol-oral-suspension.md")
    # A multi-line answer is one text.
    sertraline = jsonld("sertraline.md")["hasPart"]["mainEntity"]
    assert sertraline[1]["acceptedAnswer"]["text"] == (
        'No. Some people feel emotionally "flat"; tell your doctor.'
    )


def test_a_faq_whose_question_is_only_markup_is_left_out_of_the_json_ld():
    body = (
        "* **Q: <img src=x onerror=alert(1)>** A: Something.\n"
        "* **Q: Real question?** A: <script>x</script>\n"
        "* **Q: Can I drive?** A: Not until you know how it affects you."
    )
    content = content_with(("faqs", "FAQs", body))
    questions = structured_data.content_data(content)["questions"]

    assert [q["name"] for q in questions] == ["Can I drive?"]
    assert all(q["acceptedAnswer"]["text"] for q in questions)


@pytest.mark.parametrize(
    ("text", "routes"),
    [
        ("Use a continuous subcutaneous insulin infusion (pump) or injections.", ["subcutaneous"]),
        ("Insert one vaginal tablet at night for 3 nights.", ["vaginal"]),
        ("Place one sublingual tablet under the tongue.", ["sublingual"]),
        (
            "Inhale one capsule a day; the capsules for inhalation must not be swallowed.",
            ["inhaled"],
        ),
        # A form word on its own still names its route.
        ("Give by IV infusion over 30 minutes.", ["intravenous"]),
        ("Take the tablets, or the infusion in hospital.", ["oral", "intravenous"]),
        (
            "Take one tablet at night. A vaginal cream is also available.",
            ["oral", "vaginal", "topical"],
        ),
    ],
)
def test_a_dosage_form_of_another_route_does_not_add_a_route(text, routes):
    assert structured_data.administration_routes(text) == routes
