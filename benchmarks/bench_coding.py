"""Coding speed against the obvious alternatives, in one run. Prints one JSON object.

    .venv/bin/python benchmarks/bench_coding.py [--words 1000000] [--codebook PATH]

The corpus is built from the demo case: its documents are copied until there are at
least ``--words`` words (the required figures). Copies repeat the demo's ~4,000 word types,
so a second run (the ``stress_`` figures) uses a corpus in which every copy after the first
joins some words with others of the vocabulary into new compounds, deterministically, as a
real Norwegian corpus keeps producing new word types; there the cost of meeting a word for
the first time (lemmatizing it, looking it up) shows. Units (sentences, paragraphs, turns)
are made first, as ingest stores them.

Measured on the same texts:
- ``casekit_words_per_s``: the compiled codebook proposing codings for every document
  (tokenize, type lookup, phrases, patterns, regexes, units, exclusions);
- ``pandas_words_per_s``: the obvious alternative, one ``Series.str.contains`` regular
  expression per glob term over the segments (no lemmas, no phrases, no exclusions);
- ``tokenizer_words_per_s``: spaCy's blank tokenizer alone, the floor of a spaCy coder;
- ``pattern_scaling_ratio``: coding time with a generated codebook of ten times the
  patterns over the time with the codebook itself;
- ``peak_rss_mb``: the process's peak memory after coding (documents are streamed);
- ``lemmatizer_load_s``: simplemma loading its dictionary, once per process (start-up,
  not counted in the rates above). Caches casekit fills while coding (lemmas and what
  each word type is to the rules) start empty for every timed run; spaCy's lexemes are
  created for both sides before timing, since either side would otherwise pay for the
  other, and so is casekit's numbering of the word types, which lives with them in the
  vocabulary (as lexeme ranks);
- ``casekit_store_words_per_s``: ``code_case`` end to end into a store (reading units,
  writing proposals in transactions).

Times are this process's CPU seconds (``time.process_time``), so that other work on the
machine does not skew the ratios, and each is the best of ``--repeat`` runs; the tokenizer,
casekit and ten-times runs take turns, and ``casekit_over_tokenizer_paired`` and
``pattern_scaling_paired`` are the medians of each round's ratios. The corpus is frozen
out of the garbage collector's way (``gc.freeze``) once built: it is the benchmark's data,
and a full collection during a timed run would walk it.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from casekit.codebook import Codebook  # noqa: E402
from casekit.coder import CompiledCodebook, Unit  # noqa: E402
from casekit.matching import glob_to_regex  # noqa: E402
from casekit.nlp import lemmatizer, tokenizer_pipeline  # noqa: E402
from casekit.readers import read_document  # noqa: E402
from casekit.segment import count_words, segment_document  # noqa: E402

DEMO = REPO / "corpora" / "digi_midtfjord"
clock = time.process_time  # CPU seconds: see the module docstring
SUFFIXES = ("e", "en", "er", "ene", "et", "a", "ing", "ingen", "s", "t")
_WORD = re.compile(r"\b[^\W\d_]{5,}\b")


def demo_documents() -> list[tuple[str, str, str]]:
    """Return (text, kind, language) for every demo document."""
    with open(DEMO / "manifest.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(read_document(DEMO / r["file"]).text, r["kind"], r["language"] or "nb")
            for r in rows]


def build_corpus(words: int, new_compounds: bool = False) -> list[tuple[str, str, str]]:
    """Return documents copied from the demo until ``words``.

    With ``new_compounds``, every copy after the first joins some words with others of
    the vocabulary, so that new word types keep coming as in a real Norwegian corpus.
    """
    base = demo_documents()
    vocabulary = sorted({w.lower() for text, _, _ in base for w in _WORD.findall(text)})
    corpus, total, copy = [], 0, 0
    while total < words:
        rng = random.Random(copy)
        for text, kind, language in base:
            if copy and new_compounds:
                text = _WORD.sub(lambda m, r=rng: m.group() + r.choice(vocabulary)
                                 if r.random() < 0.12 else m.group(), text)
            corpus.append((text, kind, language))
            total += count_words(text)
        copy += 1
    return corpus


def units_of(text: str, kind: str, language: str) -> dict[str, list[Unit]]:
    """Return the units ingest would store for a document."""
    seg = segment_document(text, kind=kind, language=language)
    return {k: [Unit(s.start, s.end, s.seq, s.speaker_role == "interviewer")
                for s in seg.of_kind(k)] for k in ("sentence", "paragraph", "turn")}


def _inflect(glob: str, suffix: str) -> str:
    """Return a glob with an ending added to each alternative, keeping a trailing star."""
    return "|".join(g[:-1] + suffix + "*" if g.endswith("*") else g + suffix
                    for g in glob.split("|"))


def scaled(codebook_path: Path, factor: int = 10) -> Codebook:
    """Return the codebook with ``factor`` times the patterns: inflected variants of each."""
    data = YAML(typ="safe").load(codebook_path.read_text(encoding="utf-8"))
    extra = SUFFIXES[: factor - 1]
    for code in data["codes"]:
        code.pop("examples", None)
        for section in ("rules", "exclude"):
            rules = code.get(section) or {}
            for kind in ("lemma", "surface"):
                rules[kind] = [v for g in rules.get(kind, []) for v in
                               [g, *(_inflect(g, s) for s in extra)]]
            phrases = []
            for item in rules.get("phrase", []):
                text, gap = (item, 0) if isinstance(item, str) else (item["text"],
                                                                       item.get("gap", 0))
                head, _, last = text.rpartition(" ")
                phrases += [{"text": text, "gap": gap}] + [
                    {"text": f"{head} {_inflect(last, s)}".strip(), "gap": gap}
                    for s in extra]
            rules["phrase"] = phrases
            rules["regex"] = [v for rx in rules.get("regex", [])
                              for v in [rx, *(f"{rx}{s}" for s in extra)]]
            patterns = []
            for pattern in rules.get("pattern", []):
                patterns.append(pattern)
                patterns += [[{**spec, "LENGTH": {">=": n}} if i == 0 else spec
                              for i, spec in enumerate(pattern)] for n in range(1, factor)]
            rules["pattern"] = patterns
            code[section] = {k: v for k, v in rules.items() if v} or None
            if code[section] is None:
                code.pop(section)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as f:
        YAML().dump(data, f)
    return Codebook.load(f.name)


def _types(corpus) -> int:
    return len({w.lower() for text, _, _ in corpus for w in re.findall(r"\w+", text)})


def time_casekit(codebook: Codebook, corpus, units) -> float:
    """Return seconds to propose codings for every document, all caches cold.

    A fresh compiled codebook has an empty type cache; the lemma caches are emptied too.
    """
    for language in {language for _, _, language in corpus}:
        lemmatizer(language)._cache.clear()
    compiled = CompiledCodebook(codebook)
    started = clock()
    for (text, _, language), unit_map in zip(corpus, units, strict=True):
        compiled.propose(text, language, unit_map)
    return clock() - started


def time_pandas(codebook: Codebook, segments: pd.Series) -> float:
    """Return seconds for one str.contains regex per glob term over the segments."""
    globs = [r.value for c in codebook.codes for r in c.rules if r.kind in ("lemma", "surface")]
    started = clock()
    for glob in globs:
        core = glob_to_regex(glob).pattern.removesuffix(r"\Z").replace(".*", r"\w*")
        segments.str.contains(rf"\b{core}\b", case=False, regex=True)
    return clock() - started


def time_tokenizer(corpus) -> float:
    """Return seconds for spaCy's blank tokenizer alone over every document."""
    started = clock()
    for text, _, language in corpus:
        tokenizer_pipeline(language).make_doc(text)
    return clock() - started


def time_store(codebook: Codebook, corpus, words: int) -> float:
    """Return seconds for code_case over the corpus ingested into a scratch store."""
    from casekit.coding import code_case
    from casekit.ingest import ingest_case
    from casekit.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "bench"
        case.mkdir()
        (case / "case.yaml").write_text(
            "id: bench\ntitle: Bench\nlanguage: nb\ntranches:\n  - {id: all, label: All}\n",
            encoding="utf-8")
        with open(case / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["doc_id", "file", "kind", "tranche", "municipality",
                             "actor_role", "date", "language", "title"])
            for n, (text, kind, language) in enumerate(corpus):
                (case / f"d{n}.txt").write_text(text, encoding="utf-8")
                writer.writerow([f"d{n}", f"d{n}.txt", kind, "all", "", "", "", language, ""])
        with Store(Path(tmp) / "bench.db") as store:
            assert ingest_case(case, store, progress=False).ok
            started = clock()
            assert code_case(store, "bench", [codebook], progress=False).ok
            return clock() - started


def main() -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--codebook", type=Path,
                        default=REPO / "codebooks" / "governance_logics.yaml")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    parser.add_argument("--no-store", action="store_true", help="skip the end-to-end run")
    parser.add_argument("--no-stress", action="store_true",
                        help="skip the run on a corpus with ever new compounds")
    args = parser.parse_args()
    codebook = Codebook.load(args.codebook)
    corpus = build_corpus(args.words)
    words = sum(count_words(text) for text, _, _ in corpus)
    units = [units_of(*doc) for doc in corpus]
    # The corpus and its units (some 300,000 objects) are the benchmark's data, not the
    # coder's: kept out of the garbage collector's full passes, which would otherwise walk
    # them whenever a timed run happens to trigger one.
    gc.freeze()

    # Both sides need spaCy's lexemes for every new word; whichever ran first would pay
    # for creating them, so create them before anything is timed. simplemma loads its
    # dictionary once per process: that is start-up, reported on its own.
    time_tokenizer(corpus)
    started = clock()
    lemmatizer(codebook.language)("kommunene")
    load_s = clock() - started
    time_casekit(codebook, corpus, units)  # numbers the word types in the vocabulary
    # Interleaved, so that all three see the same state of a shared machine; each round's
    # ratios are kept too (their medians move less between runs than ratios of minima).
    big = scaled(args.codebook)
    tokenizer_runs, casekit_runs, scaled_runs = [], [], []
    peak = 0.0
    for _ in range(args.repeat):
        tokenizer_runs.append(time_tokenizer(corpus))
        casekit_runs.append(time_casekit(codebook, corpus, units))
        peak = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        scaled_runs.append(time_casekit(big, corpus, units))
    tokenizer_s, casekit_s, scaled_s = min(tokenizer_runs), min(casekit_runs), min(scaled_runs)
    paired = statistics.median(c / t for c, t in zip(casekit_runs, tokenizer_runs, strict=True))
    scaling_paired = statistics.median(
        b / c for b, c in zip(scaled_runs, casekit_runs, strict=True))
    segments = pd.Series([text[u.start:u.end] for (text, _, _), unit_map in
                          zip(corpus, units, strict=True) for u in unit_map["sentence"]])
    pandas_s = time_pandas(codebook, segments)
    result = {
        "words": words,
        "documents": len(corpus),
        "distinct_types": _types(corpus),
        "codebook": f"{codebook.id} {codebook.version}",
        "rules": sum(len(c.rules) + len(c.exclude) for c in codebook.codes),
        "rules_scaled": sum(len(c.rules) + len(c.exclude) for c in big.codes),
        "casekit_words_per_s": round(words / casekit_s),
        "pandas_words_per_s": round(words / pandas_s),
        "tokenizer_words_per_s": round(words / tokenizer_s),
        "casekit_over_tokenizer_time": round(casekit_s / tokenizer_s, 2),
        "casekit_over_tokenizer_paired": round(paired, 2),
        "pandas_over_casekit_time": round(pandas_s / casekit_s, 1),
        "pattern_scaling_ratio": round(scaled_s / casekit_s, 2),
        "pattern_scaling_paired": round(scaling_paired, 2),
        "peak_rss_mb": round(peak),
        "lemmatizer_load_s": round(load_s, 2),
    }
    del segments, units
    if not args.no_stress:
        stress = build_corpus(args.words, new_compounds=True)
        stress_units = [units_of(*doc) for doc in stress]
        time_tokenizer(stress)
        stress_tok = time_tokenizer(stress)
        stress_casekit = time_casekit(codebook, stress, stress_units)
        result.update({
            "stress_distinct_types": _types(stress),
            "stress_casekit_words_per_s": round(words / stress_casekit),
            "stress_tokenizer_words_per_s": round(words / stress_tok),
            "stress_casekit_over_tokenizer_time": round(stress_casekit / stress_tok, 2),
        })
    if not args.no_store:
        result["casekit_store_words_per_s"] = round(words / time_store(codebook, corpus,
                                                                       words))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
