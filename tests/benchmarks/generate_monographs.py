"""Write N seed-format monograph files for timing ``import_monographs`` (docs/performance.md).

    .venv/bin/python tests/benchmarks/generate_monographs.py 1000 /tmp/medsite-import-1000
    time .venv/bin/python manage.py import_monographs /tmp/medsite-import-1000

Each file is content/naltrexone.md with its own made-up name (populate_scale.drug_name),
brand names and a tracer word in its usage section, so every file is a new monograph that
goes through the whole import path (parse, validate, render, sanitize, store, audit).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "content" / "naltrexone.md"


def generate(count: int, folder: Path, seed: int = 20261201) -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from populate_scale import brand_name, drug_name  # no Django needed for the names

    rng = random.Random(seed)
    taken: set[str] = {"naltrexone"}
    text = SEED.read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(count):
        name = drug_name(rng, taken)
        brands = [brand_name(rng, taken) for _ in range(rng.randint(0, 2))]
        body = text.replace("Naltrexone", name).replace("naltrexone", name.lower())
        if brands:
            body = body.replace(
                f"title: {name}\n", f"title: {name}\nother_names: [{', '.join(brands)}]\n", 1
            )
        body = body.replace("### Usage\n", f"### Usage\n\nTracer word: importword{i:05d}.\n", 1)
        path = folder / f"{name.lower()}.md"
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"/tmp/medsite-import-{count}")
    files = generate(count, folder)
    print(f"{len(files)} files in {folder}")


if __name__ == "__main__":
    main()
