"""schema.org JSON-LD for a public monograph page.

One ``MedicalWebPage`` whose ``about`` is a ``Drug`` and whose ``hasPart`` is the FAQ page.
Everything comes from the live revision's content (and the monograph's publication and
review dates), never from a draft. The workflow builds it when it publishes (and
``rebuild_published`` again) and stores the text in ``Revision.jsonld``: a page view does
none of this work. Property names are schema.org's own:
https://schema.org/MedicalWebPage, https://schema.org/Drug, https://schema.org/FAQPage.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from .content import MonographContent
from .models import Monograph
from .rendering import markdown_to_text

DESCRIPTION_CHARS = 300

# Routes of administration a Dosage section may name, in schema.org's free-text style
# ("oral"). Abbreviations (IM, IV, SC) count only in capitals: "im" and "iv" are words too.
_ROUTE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (route, re.compile(pattern, flags))
    for route, pattern, flags in [
        ("oral", r"\b(?:oral(?:ly)?|by mouth|tablets?|capsules?|oral solution)\b", re.I),
        ("intramuscular", r"\bintramuscular(?:ly)?\b|\bIM\b", re.I),
        ("intravenous", r"\bintravenous(?:ly)?\b|\bIV\b|\binfusion\b", re.I),
        ("subcutaneous", r"\bsub-?cutaneous(?:ly)?\b|\bSC\b|\bSubQ\b|\bunder the skin\b", re.I),
        ("sublingual", r"\bsublingual(?:ly)?\b|\bunder the tongue\b", re.I),
        ("buccal", r"\bbuccal(?:ly)?\b", re.I),
        ("transdermal", r"\btransdermal(?:ly)?\b|\bpatch(?:es)?\b", re.I),
        ("topical", r"\btopical(?:ly)?\b|\bcream\b|\bointment\b|\bgel\b|\bon the skin\b", re.I),
        ("inhaled", r"\binhal(?:ed|er|ers|ation)\b|\bnebuli[sz]er\b", re.I),
        ("intranasal", r"\bintranasal(?:ly)?\b|\bnasal spray\b|\bnasally\b", re.I),
        ("rectal", r"\brectal(?:ly)?\b|\bsuppositor(?:y|ies)\b", re.I),
        ("vaginal", r"\bvaginal(?:ly)?\b|\bpessar(?:y|ies)\b", re.I),
        ("ophthalmic", r"\bophthalmic\b|\beye drops?\b", re.I),
        ("otic", r"\botic\b|\bear drops?\b", re.I),
    ]
]
# "IM", "IV", "SC" and "SubQ" must be capitals even though the words around them are not.
_CASE_SENSITIVE_ABBREVIATIONS = re.compile(r"\b(?:IM|IV|SC|SubQ)\b")
_NEGATION = re.compile(r"\b(?:not|never|nor)\b(?:\s+(?:be|for|given|used|to|by))*\s+$", re.I)


# Dosage-form words that imply a route only when nothing around them names another one:
# "vaginal tablet", "sublingual tablet", "capsules for inhalation", "subcutaneous infusion".
_FORM_WORDS = {"tablet", "tablets", "capsule", "capsules", "infusion"}
_OTHER_ROUTE_NEARBY = re.compile(
    r"\b(?:vaginal(?:ly)?|sublingual(?:ly)?|buccal(?:ly)?|rectal(?:ly)?|sub-?cutaneous(?:ly)?"
    r"|under the (?:tongue|skin)|inhal\w*|pumps?|SC|SubQ)\b",
    re.I,
)


def _names_another_routes_form(text: str, match: re.Match[str]) -> bool:
    if match.group(0).casefold() not in _FORM_WORDS:
        return False
    # The words around it, within its sentence.
    before = re.split(r"[.;:!?\n]", text[max(0, match.start() - 40) : match.start()])[-1]
    after = re.split(r"[.;:!?\n]", text[match.end() : match.end() + 25])[0]
    return bool(_OTHER_ROUTE_NEARBY.search(before) or _OTHER_ROUTE_NEARBY.search(after))


def administration_routes(dosage_text: str) -> list[str]:
    """Routes named in a Dosage section's text, in the order they first appear."""
    found: list[tuple[int, str]] = []
    for route, pattern in _ROUTE_PATTERNS:
        for match in pattern.finditer(dosage_text):
            word = match.group(0)
            if word.casefold() in {"im", "iv", "sc", "subq"} and not (
                _CASE_SENSITIVE_ABBREVIATIONS.fullmatch(word)
            ):
                continue
            if _NEGATION.search(dosage_text, max(0, match.start() - 30), match.start()):
                continue  # "not for intravenous use" names a route the drug doesn't have
            if _names_another_routes_form(dosage_text, match):
                continue
            found.append((match.start(), route))
            break
    return [route for _position, route in sorted(found)]


def canonical_url(monograph: Monograph) -> str:
    """The page's one absolute address, from settings (never from the request's Host)."""
    return f"{settings.SITE_URL}{monograph.get_absolute_url()}"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > 0 else limit - 1].rstrip(" ,;:") + "…"


def description(content: MonographContent, *, limit: int = DESCRIPTION_CHARS) -> str:
    """Plain-text summary from the Usage section (the page's meta description too)."""
    usage = content.section("usage")
    source = usage.body if usage else (content.sections[0].body if content.sections else "")
    return _truncate(markdown_to_text(source), limit)


def _reviewer(monograph: Monograph) -> dict[str, Any] | None:
    user = monograph.last_reviewed_by
    if user is None:
        return None
    name = user.get_full_name().strip()
    if name:
        return {"@type": "Person", "name": name}
    # No public name on record: credit the site rather than print a login name.
    return {"@type": "Organization", "name": settings.MEDSITE_SITE_NAME}


def _drug(content: MonographContent) -> dict[str, Any]:
    drug: dict[str, Any] = {"@type": "Drug", "name": content.title.strip()}
    if content.generic_name.strip():
        drug["nonProprietaryName"] = content.generic_name.strip()
    other_names = [name.strip() for name in content.other_names if name.strip()]
    if other_names:
        drug["alternateName"] = other_names
    dosage = content.section("dosage")
    routes = administration_routes(markdown_to_text(dosage.body)) if dosage else []
    if routes:
        drug["administrationRoute"] = routes if len(routes) > 1 else routes[0]
    return drug


def _questions(content: MonographContent) -> list[dict[str, Any]]:
    # Judged on the text a reader gets: a question that was only markup the sanitizer
    # removes ("<img ...>") would be an empty Question, which schema.org consumers reject.
    pairs = [(markdown_to_text(faq.question), markdown_to_text(faq.answer)) for faq in content.faqs]
    return [
        {
            "@type": "Question",
            "name": question,
            "acceptedAnswer": {"@type": "Answer", "text": answer},
        }
        for question, answer in pairs
        if question and answer
    ]


def content_data(content: MonographContent) -> dict[str, Any]:
    """The part of the JSON-LD that comes from a revision's content alone."""
    from .references import citations, section_references

    return {
        "name": content.title.strip(),
        "description": description(content),
        "about": _drug(content),
        "questions": _questions(content),
        "citation": citations(
            [ref for section in content.sections for ref in section_references(section)]
        ),
    }


def monograph_data(monograph: Monograph) -> dict[str, Any]:
    """The JSON-LD as a dict (see ``monograph_jsonld``)."""
    revision = monograph.live_revision
    if revision is None:
        raise ValueError(f"{monograph.slug} has no live revision: nothing public to describe.")
    stored = content_data(revision.data)
    url = canonical_url(monograph)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": stored["name"],
        "inLanguage": "en",
        "medicalAudience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        "about": stored["about"],
    }
    if stored["description"]:
        data["description"] = stored["description"]
    if monograph.last_reviewed_at:
        data["lastReviewed"] = monograph.last_reviewed_at.isoformat()
    reviewer = _reviewer(monograph)
    if reviewer:
        data["reviewedBy"] = reviewer
    modified = monograph.last_published_at or revision.published_at
    if modified:
        data["dateModified"] = modified.isoformat()
    if monograph.first_published_at:
        data["datePublished"] = monograph.first_published_at.isoformat()
    if stored.get("citation"):
        data["citation"] = stored["citation"]
    if stored["questions"]:
        data["hasPart"] = {
            "@type": "FAQPage",
            "url": f"{url}#faqs",
            "mainEntity": stored["questions"],
        }
    return data


_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
}


def dumps_for_script(data: dict[str, Any]) -> SafeString:
    """JSON that is safe between <script> and </script>: no "<", ">" or "&" survives raw,
    so no text in the content can close the script element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    return mark_safe(text)  # noqa: S308 - the characters that matter in HTML are escaped


def monograph_jsonld(monograph: Monograph, request: HttpRequest | None = None) -> str:
    """JSON-LD text for ``<script type="application/ld+json">{{ jsonld }}</script>``
    (built at publication and stored as ``Revision.jsonld``).

    ``request`` is accepted for the page's contract; the URL comes from ``SITE_URL`` so a
    forged Host header can't change the canonical address.
    """
    return dumps_for_script(monograph_data(monograph))
