"""Fill an EMPTY database with a site-sized catalogue, for measuring pages at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medsite_scale \
        .venv/bin/python tests/benchmarks/populate_scale.py [MONOGRAPHS] [REVISIONS_EACH]

Defaults: 10,000 monographs, 20 published revisions each (200,000 revisions).

How it is built (so the numbers in docs/performance.md can be reproduced):

- ``SAMPLE`` monographs go through the real path, ``workflow.import_source`` (parse, render,
  sanitize, store HTML, JSON-LD and search fields, audit entry), each with its own name,
  brand names and a distinctive word in its text. This is about 20 per second.
- The rest are bulk-inserted copies of those rows (``bulk_create``): the same stored HTML,
  structured data and search text as their template, with their own title, slug, brand
  names and search names. Each gets ``REVISIONS_EACH - 1`` older published revisions
  (status superseded, small content) and one live revision with the full content, as the
  workflow would have left them after that many publications.

Names are made-up pronounceable words ("Zolvaprine"), so the A to Z spreads over the letters
much like a real formulary and trigram search sees realistic spellings.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medsite.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from monographs import search, sourcefile, workflow  # noqa: E402
from monographs.models import Monograph, Revision  # noqa: E402

SAMPLE = int(os.environ.get("SCALE_SAMPLE", "100"))
# Fields of a copied live revision that are its own, not the template's.
_OWN_REVISION_FIELDS = {
    "id",
    "monograph_id",
    "number",
    "status",
    "source",
    "content",
    "content_hash",
    "change_summary",
    "published_at",
    "based_on_id",
    "reverted_from_id",
    "created_at",
    "import_filename",
}
BATCH = 500

_ONSETS = ["b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "z", "tr", "pr", "cl"]
_VOWELS = ["a", "e", "i", "o", "u", "y"]
_ENDINGS = ["pine", "zole", "mab", "tide", "pril", "sartan", "statin", "vir", "cillin", "done"]


def drug_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        first = rng.choice("ABCDEFGHIJKLMNOPRSTVWZ") + rng.choice(_VOWELS)
        middle = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 2))
        )
        name = (first + middle + rng.choice(_ENDINGS)).capitalize()
        if name.casefold() not in taken:
            taken.add(name.casefold())
            return name


def brand_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = (rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_ONSETS)).capitalize()
        name += rng.choice(["ex", "on", "ia", "ol", "ax", "is"])
        if name.casefold() not in taken:
            taken.add(name.casefold())
            return name


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    revisions_each = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    call_command("migrate", verbosity=0)
    if Monograph.objects.exists():
        sys.exit("The database is not empty; point DATABASE_URL at an empty one.")
    rng = random.Random(20261126)
    taken: set[str] = set()
    seed = (ROOT / "content" / "naltrexone.md").read_text(encoding="utf-8")

    start = time.perf_counter()
    workflow.import_source(content=sourcefile.parse(seed), filename="content/naltrexone.md")
    for i in range(1, min(SAMPLE, total)):
        content = sourcefile.parse(seed)
        content.title = drug_name(rng, taken)
        content.generic_name = content.title.lower()
        content.other_names = [brand_name(rng, taken) for _ in range(rng.randint(0, 2))]
        content.sections[0].body += f"\n\nTracer word: scaleword{i:05d}."
        workflow.import_source(content=content, filename=f"scale/{i}.md")
    print(
        f"{min(SAMPLE, total)} imported through the workflow in {time.perf_counter() - start:.1f} s"
    )

    templates = list(Monograph.objects.select_related("live_revision").order_by("id"))
    now = timezone.now()
    start = time.perf_counter()
    made = len(templates)
    while made < total:
        count = min(BATCH, total - made)
        with transaction.atomic():
            monographs = []
            for n in range(count):
                template = templates[(made + n) % len(templates)]
                title = drug_name(rng, taken)
                others = [brand_name(rng, taken) for _ in range(rng.randint(0, 2))]
                # search.monograph_names drops the generic name: it only differs in case.
                names = "\n".join([title, *others])
                when = now - timedelta(days=rng.randint(0, 900), seconds=made + n)
                monographs.append(
                    Monograph(
                        slug=f"{title.lower()}-{made + n}",
                        title=title,
                        generic_name=title.lower(),
                        other_names=others,
                        sort_title=title.casefold(),
                        search_names=names,
                        search_text=template.search_text,
                        first_published_at=when - timedelta(days=400),
                        last_published_at=when,
                        last_reviewed_at=when.date(),
                        next_review_due=when.date() + timedelta(days=730),
                    )
                )
            Monograph.objects.bulk_create(monographs)
            revisions = []
            for n, monograph in enumerate(monographs):
                template = templates[(made + n) % len(templates)].live_revision
                for number in range(1, revisions_each):
                    revisions.append(
                        Revision(
                            monograph=monograph,
                            number=number,
                            status=Revision.Status.SUPERSEDED,
                            source=Revision.Source.EDIT,
                            content={"title": monograph.title, "sections": []},
                            content_hash=f"{monograph.slug}:{number}",
                            change_summary=f"Clinical update {number}",
                            published_at=monograph.first_published_at + timedelta(days=number),
                            disclaimer_version_id=template.disclaimer_version_id,
                        )
                    )
                content = dict(template.content)
                content.update(
                    title=monograph.title,
                    generic_name=monograph.generic_name,
                    other_names=monograph.other_names,
                )
                # Everything publication stored on the template's live revision (article
                # HTML, JSON-LD and whatever parts a later version stores), then its own.
                fields = {
                    f.attname: getattr(template, f.attname)
                    for f in Revision._meta.concrete_fields
                    if f.attname not in _OWN_REVISION_FIELDS
                }
                fields.update(
                    monograph=monograph,
                    number=revisions_each,
                    status=Revision.Status.PUBLISHED,
                    source=Revision.Source.EDIT,
                    content=content,
                    content_hash=f"{monograph.slug}:{revisions_each}",
                    change_summary="Reviewed",
                    published_at=monograph.last_published_at,
                )
                revisions.append(Revision(**fields))
            Revision.objects.bulk_create(revisions, batch_size=2000)
            live = {r.monograph_id: r for r in revisions if r.status == Revision.Status.PUBLISHED}
            for monograph in monographs:
                monograph.live_revision = monograph.latest_revision = live[monograph.id]
            Monograph.objects.bulk_update(monographs, ["live_revision", "latest_revision"])
            # The A to Z's rows, as a publication writes them.
            workflow.write_public_names(monographs)
        made += count
        print(f"  {made} monographs ({time.perf_counter() - start:.0f} s)", flush=True)
    # search.index_fields is the real indexer; make sure the bulk rows look like its output.
    assert search.names_from_index(Monograph.objects.last().search_names)
    if connection.vendor == "postgresql":
        # What autovacuum would do soon after: without statistics on the new rows the
        # planner estimates a tiny table and ignores the search indexes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"{Monograph.objects.count()} monographs, {Revision.objects.count()} revisions")


if __name__ == "__main__":
    main()
