"""How fast the coding view opens and pages a long transcript. Prints one JSON object.

    .venv/bin/python benchmarks/bench_widget.py [--chars 300000] [--pages 20]

A transcript of at least ``--chars`` characters is built from the demo case's interviews
(their turns repeated in order), ingested into a temporary store and auto-coded with the
governance logics codebook, so the view has proposals to highlight. Measured in one run:

- ``open_s``: building the view on that transcript (filters, document and segment lists,
  loading text and codings, rendering the first page);
- ``page_s``: per page turned with the Next button (median and max over ``--pages``
  pages), and ``jump_s`` for jumping to the last page;
- ``select_segment_s``: picking a segment in the middle of the document from the list,
  and ``accept_s`` accepting a proposal there (saved, reloaded and the page drawn again);
- ``whole_document_s``: the obvious alternative, rendering the whole document's HTML at
  once (what a view without pages would send on every change), and ``speedup`` its time
  over ``page_s`` median.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from casekit.codebook import Codebook  # noqa: E402
from casekit.coding import code_case  # noqa: E402
from casekit.ingest import ingest_case  # noqa: E402
from casekit.project import Project  # noqa: E402
from casekit.store import Store  # noqa: E402
from casekit.widgets import CodingView, render_segments  # noqa: E402

DEMO = REPO / "corpora" / "digi_midtfjord"
SOURCES = [DEMO / "network" / "int_nettverksleder.txt",
           DEMO / "interplay" / "int_ordforer_havvik.txt"]
CODEBOOK = REPO / "codebooks" / "governance_logics.yaml"
_TURN = re.compile(r"^\[\d\d:\d\d:\d\d\] [^:\n]+: .+$", re.M)

CASE_YAML = """\
id: bench
title: Widget benchmark
language: nb
tranches:
  - id: network
    label: Nettverket
"""


def transcript(chars: int) -> str:
    """Return an interview transcript of at least ``chars`` characters."""
    turns = [m.group(0) for path in SOURCES
             for m in _TURN.finditer(path.read_text(encoding="utf-8"))]
    parts, size, i = ["Intervju til ytelsestest.\n"], 0, 0
    while size < chars:
        turn = turns[i % len(turns)]
        parts.append(turn)
        size += len(turn) + 2
        i += 1
    return "\n\n".join(parts) + "\n"


def build_store(folder: Path, chars: int) -> Store:
    """Return a store holding the long transcript, auto-coded."""
    case = folder / "bench"
    case.mkdir()
    (case / "case.yaml").write_text(CASE_YAML, encoding="utf-8")
    (case / "lang.txt").write_text(transcript(chars), encoding="utf-8")
    (case / "manifest.csv").write_text(
        "doc_id,file,kind,tranche,municipality,actor_role,date,language,title\n"
        "lang,lang.txt,interview,network,,network,2025-10-08,nb,Langt intervju\n",
        encoding="utf-8")
    store = Store(folder / "bench.db")
    if not ingest_case(case, store, progress=False).ok:
        raise SystemExit("the benchmark transcript did not ingest")
    code_case(store, "bench", [Codebook.load(CODEBOOK)], progress=False)
    return store


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), args.chars)
        project = Project(store, coder="bench", codebook=CODEBOOK)
        start = time.perf_counter()
        view = CodingView(project)
        open_s = time.perf_counter() - start
        doc = view._doc
        pages = min(args.pages, view.page.max - 1)
        page_times = [timed(view.next_button.click) for _ in range(pages)]
        jump_s = timed(lambda: setattr(view.page, "value", view.page.max))
        # The first segment past the middle with a proposal in it.
        half = doc["segments"][len(doc["segments"]) // 2]["start"]
        coded_at = next(c["start"] for c in doc["codings"] if c["start"] >= half)
        middle = next(i for i, seg in enumerate(doc["segments"]) if seg["end"] > coded_at)
        select_s = timed(lambda: setattr(view.segments, "value", middle))
        page_html = len(view.text.value)
        view.codings.value = view.codings.options[0][1]
        accept_s = timed(view.accept_button.click)
        if "Saved" not in view.message.value:
            raise SystemExit("accepting a proposal failed in the benchmark")
        whole_html = ""

        def whole() -> None:
            nonlocal whole_html
            whole_html = render_segments(doc["text"], doc["segments"], doc["codings"],
                                         view.colours, view.names)

        whole_s = min(timed(whole) for _ in range(3))
        median = statistics.median(page_times)
        print(json.dumps({
            "document_chars": len(doc["text"]),
            "segments": len(doc["segments"]),
            "codings": len(doc["codings"]),
            "pages": view.page.max,
            "page_chars": view.page_chars,
            "open_s": round(open_s, 4),
            "page_s": {"median": round(median, 4), "max": round(max(page_times), 4),
                       "n": len(page_times)},
            "jump_s": round(jump_s, 4),
            "select_segment_s": round(select_s, 4),
            "accept_s": round(accept_s, 4),
            "whole_document_s": round(whole_s, 4),
            "speedup": round(whole_s / median, 1) if median else None,
            "page_html_chars": page_html,
            "whole_document_html_chars": len(whole_html),
        }, indent=2))
        store.close()


if __name__ == "__main__":
    main()
