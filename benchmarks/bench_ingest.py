"""Ingest speed, against the obvious alternatives, in one run. Prints one JSON object.

    .venv/bin/python benchmarks/bench_ingest.py [--copies N]

The demo case is copied N times (default 8, about 270,000 words) into a scratch case.
Measured:
- ``ingest_words_per_s``: a first ingest (read every format, segment, store);
- ``reingest_unchanged_s`` and ``reingest_ratio``: a second ingest of the unchanged case,
  as a share of the first (incremental ingest hashes files and skips them);
- ``segment_words_per_s`` against ``sentencizer_words_per_s``: casekit's segmentation
  (turns, paragraphs, sentences with offsets) against spaCy's blank pipeline with only a
  sentencizer over the same texts, the floor of any spaCy-based segmenter, and their
  ratio ``segment_overhead_ratio``.
Ratios, not absolute times, are what to compare between machines.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from casekit.ingest import ingest_case  # noqa: E402
from casekit.nlp import sentence_pipeline  # noqa: E402
from casekit.segment import segment_document  # noqa: E402
from casekit.store import Store  # noqa: E402

DEMO = REPO / "corpora" / "digi_midtfjord"


def scratch_case(root: Path, copies: int) -> Path:
    """Return a case folder holding ``copies`` copies of the demo case's documents."""
    case = root / "digi_midtfjord"
    shutil.copytree(DEMO, case)
    with open(DEMO / "manifest.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for n in range(copies):
        for r in rows:
            target = Path(f"copy{n}") / r["file"]
            (case / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(DEMO / r["file"], case / target)
            out.append({**r, "doc_id": f"{r['doc_id']}_{n}", "file": target.as_posix()})
    with open(case / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(out)
    return case


def main() -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        case = scratch_case(root, args.copies)
        with Store(root / "bench.db") as store:
            started = time.perf_counter()
            report = ingest_case(case, store, progress=False)
            first = time.perf_counter() - started
            assert report.ok, report.failures
            started = time.perf_counter()
            again = ingest_case(case, store, progress=False)
            second = time.perf_counter() - started
            assert set(again.counts()) == {"unchanged", "manifest_errors"}
            docs = store.documents("digi_midtfjord")
            words = int(docs["n_words"].sum())
            texts = [(store.document_text("digi_midtfjord", d), k, lang) for d, k, lang in
                     docs[["doc_id", "kind", "language"]].itertuples(index=False)]

        nlp = sentence_pipeline("nb")
        for text, _, _ in texts:  # warm the vocabulary so neither side pays for new lexemes
            list(nlp.pipe(text.split("\n\n")))
        started = time.perf_counter()
        for text, kind, language in texts:
            segment_document(text, kind=kind, language=language)
        segmenting = time.perf_counter() - started
        started = time.perf_counter()
        for text, _, _ in texts:
            for paragraph in nlp.pipe(text.split("\n\n"), batch_size=256):
                list(paragraph.sents)
        floor = time.perf_counter() - started

    print(json.dumps({
        "documents": len(texts),
        "words": words,
        "ingest_words_per_s": round(words / first),
        "reingest_unchanged_s": round(second, 3),
        "reingest_ratio": round(second / first, 4),
        "segment_words_per_s": round(words / segmenting),
        "sentencizer_words_per_s": round(words / floor),
        "segment_overhead_ratio": round(segmenting / floor, 2),
    }, indent=2))


if __name__ == "__main__":
    main()
