"""Codebook review: how each code and rule of a codebook performs on a case.

For tuning a codebook: auto codings per code (by the researcher's decisions) and per rule,
the codes and rules that never fire, keyword-in-context samples of what each code
matched, and candidate terms from the sentences the auto-coder left uncoded: frequent
lemmas and collocations (NLTK's collocation finders on lemmas). Every function returns a
tidy DataFrame; the auto codings are read once (:func:`auto_codings`) and passed on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from casekit.errors import UsageError
from casekit.matching import glob_to_regex

if TYPE_CHECKING:
    from casekit.codebook import Codebook
    from casekit.store import Store

# NLTK and spaCy (casekit.nlp) are imported where candidate terms are found: a report
# that only counts hits (a case report's coverage section) need not load them.

INTERVIEWER = "interviewer"
CODE_HIT_COLUMNS = ["codebook_id", "code_id", "name", "codings", "proposed", "accepted",
                    "rejected", "documents", "accept_rate", "rules", "rules_fired"]
RULE_HIT_COLUMNS = ["codebook_id", "code_id", "rule", "kind", "codings", "hits", "documents",
                    "top_match", "in_codebook"]
KWIC_COLUMNS = ["codebook_id", "code_id", "rule", "status", "doc_id", "tranche", "left",
                "keyword", "right"]
SENTENCE_COLUMNS = ["doc_id", "seq", "start", "end", "language", "text"]
TOKEN_COLUMNS = ["doc_id", "seq", "position", "surface", "lemma", "stop"]
TERM_COLUMNS = ["lemma", "count", "sentences", "documents", "forms", "in_codebook"]
COLLOCATION_COLUMNS = ["phrase", "count", "score"]
MEASURES = ("likelihood_ratio", "pmi", "chi_sq", "student_t", "raw_freq")

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short function-word lists, written for casekit (NLTK's stopwords corpus cannot be
# downloaded offline). Lower-cased surface forms; a token is a stop word when its surface
# form or its lemma is listed.
STOPWORDS: dict[str, frozenset[str]] = {
    "nb": _words("""
        alle alt andre at av bare ble bli blir blitt både da de dem den denne dere deres
        det dette dem di din disse du eller en ene enn er et ett etter for fordi fra før
        ha hadde han hans har hele hennes her hun hva hvem hver hvilke hvis hvor hvordan
        i ikke inn jeg kan kunne litt man mange med meg men mer mest min mine mot må ned
        noe noen nå når og også om opp oss over på sa samme seg selv si sin sine sitt
        skal skulle slik som så tar til under ut var vi vil ville være vært å altså ja
        nei jo liksom egentlig veldig mye mer bli få gjøre går kommer sånn der hos
        blant hvilken hvilket ingen annen annet sammen uten ganske helt faktisk kanskje
        nok fortsatt tro tror si sier mene mener synes vite vet tenke tenker gå komme
        stå står ta gi gir ting gang sitte snakke spørre
        """),
    "nn": _words("""
        alle alt andre at av berre bli blir blei vart vore både då dei deim den denne
        de dykk det dette desse du eller ein eit eitt enn er etter for fordi frå før ha
        hadde han hans har heile hennar her ho kva kven kvar kvifor korleis i ikkje inn
        eg kan kunne litt mange med meg men meir mest min mine mot må ned noko nokon no
        når og også om opp oss over på sa same seg sjølv si sin sine sitt skal skulle
        slik som så til under ut var vi vil ville vere ja nei jo liksom eigentleg veldig
        mykje få gjere går kjem sånn der hjå blant ingen anna saman utan ganske heilt
        faktisk kanskje nok framleis tru trur seie seier meine meiner synest veit tenkje
        tenkjer gå kome stå står ta gi gjev ting gong sitje snakke spørje
        """),
    "en": _words("""
        a about above after again all also am an and any are as at be because been
        before being below between both but by can could did do does doing down during
        each few for from further had has have having he her here hers him his how i if
        in into is it its itself just me more most my no nor not now of off on once only
        or other our ours out over own same she should so some such than that the their
        them then there these they this those through to too under until up very was we
        were what when where which while who whom why will with would you your yes well
        really quite lot get got go going like
        """),
}


def _codebook_ids(codebooks: Sequence[Codebook]) -> list[str]:
    return [book.id for book in codebooks]


def auto_codings(store: Store, case_id: str, codebooks: Sequence[Codebook] = (), *,
                 status: Sequence[str] = ("proposed", "accepted", "rejected"),
                 include_stale: bool = False) -> pd.DataFrame:
    """Return the auto-coder's codings of a case, with the evidence of each.

    ``codebooks`` keeps the codings of those codebooks (empty: every codebook);
    ``status`` the statuses to count (by default all three: a rejected proposal is
    evidence about a rule too). Columns: doc_id, coding_id, start, end, codebook_id,
    code_id, coder, origin, status, n_hits, rule, evidence (a list of hits: rule,
    matched, start, end), quote. Raises :class:`StoreError` for an unknown case.
    """
    store.require_case(case_id)
    spans = store.coded_spans(case_id, statuses=list(status), origins=["auto"],
                              include_stale=include_stale)
    if codebooks:
        spans = spans[spans["codebook_id"].isin(_codebook_ids(codebooks))]
    return spans.reset_index(drop=True)


def _hits(spans: pd.DataFrame) -> pd.DataFrame:
    """Return one row per evidence hit: codebook_id, code_id, coding_id, doc_id, rule,
    matched."""
    rows = [(book, code, coding, doc, hit["rule"], " ".join(str(hit["matched"]).split()))
            for book, code, coding, doc, evidence in zip(
                spans["codebook_id"], spans["code_id"], spans["coding_id"], spans["doc_id"],
                spans["evidence"], strict=True)
            for hit in evidence]
    return pd.DataFrame(rows, columns=["codebook_id", "code_id", "coding_id", "doc_id", "rule",
                                       "matched"])


def code_hits(codebooks: Sequence[Codebook], spans: pd.DataFrame,
              language: str = "nb") -> pd.DataFrame:
    """Return the auto codings per code, one row per code of the codebooks.

    Columns: codebook_id, code_id, name (in ``language``), codings, proposed, accepted,
    rejected, documents, accept_rate (accepted of the decided codings; NaN when none was
    decided), rules (the code's rules in the codebook) and rules_fired (of those, how
    many fired at least once). Codes come in codebook and file order, codes that never
    fire included (zeros); codes in ``spans`` that the codebooks lack come last.
    """
    keys = [(book.id, code.id, code.name(language), len(code.rules))
            for book in codebooks for code in book.codes]
    known = {(b, c) for b, c, _, _ in keys}
    extra = sorted(set(zip(spans["codebook_id"], spans["code_id"], strict=True)) - known)
    frame = pd.DataFrame([*keys, *[(b, c, c, 0) for b, c in extra]],
                         columns=["codebook_id", "code_id", "name", "rules"])
    counted = ["codings", "proposed", "accepted", "rejected", "documents"]
    if len(spans):
        counts = spans.groupby(["codebook_id", "code_id"]).agg(
            codings=("coding_id", "size"), documents=("doc_id", "nunique"),
            proposed=("status", lambda s: int((s == "proposed").sum())),
            accepted=("status", lambda s: int((s == "accepted").sum())),
            rejected=("status", lambda s: int((s == "rejected").sum())))
        frame = frame.merge(counts.reset_index(), on=["codebook_id", "code_id"], how="left")
    else:
        frame = frame.assign(**dict.fromkeys(counted, 0))
    frame[counted] = frame[counted].fillna(0).astype("int64")
    decided = frame["accepted"] + frame["rejected"]
    frame["accept_rate"] = (frame["accepted"] / decided.where(decided > 0)).astype("float64")
    labels = {(book.id, code.id): {rule.label for rule in code.rules}
              for book in codebooks for code in book.codes}
    hits = _hits(spans)
    fired = hits.groupby(["codebook_id", "code_id"])["rule"].agg(set) if len(hits) else {}
    frame["rules_fired"] = np.array(
        [len(labels.get((b, c), set()) & fired.get((b, c), set()))
         for b, c in zip(frame["codebook_id"], frame["code_id"], strict=True)], dtype="int64")
    return frame[CODE_HIT_COLUMNS]


def rule_hits(codebooks: Sequence[Codebook], spans: pd.DataFrame) -> pd.DataFrame:
    """Return how often each rule fired, one row per rule of each code.

    Columns: codebook_id, code_id, rule (its label, as the auto-coder records it), kind
    (lemma, surface, phrase, regex, pattern), codings (codings whose evidence names the
    rule), hits (its matches in them), documents, top_match (the words it matched most
    often, lower-cased; ties to the first in order; "" when it never fired) and
    in_codebook (False for a rule the codings name but the codebooks no longer have:
    an older version's rule). Rules come in codebook and file order; rules that never
    fire have zeros.
    """
    keys = [(book.id, code.id, rule.label, rule.kind)
            for book in codebooks for code in book.codes for rule in code.rules]
    frame = pd.DataFrame(keys, columns=["codebook_id", "code_id", "rule", "kind"])
    frame["in_codebook"] = True
    hits = _hits(spans)
    if len(hits):
        found = hits[["codebook_id", "code_id", "rule"]].drop_duplicates()
        extra = found.merge(frame, how="left", indicator=True)
        extra = extra[extra["_merge"] == "left_only"][["codebook_id", "code_id", "rule"]]
        extra = extra.assign(kind=extra["rule"].str.split(":").str[0], in_codebook=False)
        frame = pd.concat([frame, extra], ignore_index=True)
    key = ["codebook_id", "code_id", "rule"]
    if len(hits):
        hits = hits.assign(matched=hits["matched"].str.lower())
        stats = hits.groupby(key).agg(
            codings=("coding_id", "nunique"), hits=("coding_id", "size"),
            documents=("doc_id", "nunique"),
            top_match=("matched", lambda m: Counter(m).most_common(1)[0][0])).reset_index()
        frame = frame.merge(stats, on=key, how="left")
    else:
        frame = frame.assign(codings=0, hits=0, documents=0, top_match="")
    for column in ("codings", "hits", "documents"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["top_match"] = frame["top_match"].fillna("").astype(object)
    frame["in_codebook"] = frame["in_codebook"].astype(bool)
    return frame[RULE_HIT_COLUMNS].reset_index(drop=True)


def _context(text: str, start: int, end: int, window: int) -> tuple[str, str, str]:
    """Return (left, keyword, right): ``window`` words either side, whitespace collapsed."""
    left = text[max(0, start - 40 * window):start].split()
    right = text[end:end + 40 * window].split()
    return (" ".join(left[-window:]) if window else "", " ".join(text[start:end].split()),
            " ".join(right[:window]) if window else "")


def kwic_samples(store: Store, case_id: str, spans: pd.DataFrame, *, n: int = 3,
                 window: int = 8) -> pd.DataFrame:
    """Return up to ``n`` keyword-in-context samples per code, from the codings' evidence.

    Each sample is the first hit of one coding, with ``window`` words either side. Samples
    are spread: codings from documents not yet sampled for the code come first, then the
    rest, each in document order. Codes come sorted by codebook and code id. Columns:
    codebook_id, code_id, rule, status, doc_id, tranche, left, keyword, right. Passages
    are material text: show them through pandas (which escapes HTML), never as markup.
    """
    if n < 1 or window < 0:
        raise UsageError(f"kwic_samples needs n >= 1 and window >= 0 (got n={n}, "
                         f"window={window})")
    if spans.empty:
        return pd.DataFrame(columns=KWIC_COLUMNS)
    tranches = store.documents(case_id).set_index("doc_id")["tranche"]
    ordered = spans.sort_values(["codebook_id", "code_id", "doc_id", "start", "coding_id"])
    picked = []
    for _, group in ordered.groupby(["codebook_id", "code_id"], sort=False):
        first = ~group["doc_id"].duplicated()
        picked.append(pd.concat([group[first], group[~first]]).head(n))
    chosen = pd.concat(picked)
    texts = {d: store.document_text(case_id, d) for d in chosen["doc_id"].unique()}
    rows = []
    for row in chosen.itertuples(index=False):
        hit = row.evidence[0] if row.evidence else {"rule": row.rule, "start": row.start,
                                                    "end": row.end}
        rows.append((row.codebook_id, row.code_id, hit["rule"] or "", row.status, row.doc_id,
                     tranches.get(row.doc_id, ""),
                     *_context(texts[row.doc_id], int(hit["start"]), int(hit["end"]), window)))
    return pd.DataFrame(rows, columns=KWIC_COLUMNS)


def uncoded_sentences(store: Store, case_id: str, spans: pd.DataFrame, *,
                      include_interviewer: bool = False) -> pd.DataFrame:
    """Return the sentences of a case that no coding in ``spans`` overlaps.

    Interviewer speech is left out unless asked for. Columns: doc_id, seq, start, end,
    language, text, in the store's document order.
    """
    store.require_case(case_id)
    sentences = store.segments(case_id, kind="sentence")
    if not include_interviewer:
        sentences = sentences[sentences["speaker_role"] != INTERVIEWER]
    covered = np.zeros(len(sentences), dtype=bool)
    sentences = sentences.reset_index(drop=True)
    for doc_id, mine in spans.groupby("doc_id"):
        rows = sentences.index[sentences["doc_id"] == doc_id]
        if not len(rows):
            continue
        starts, ends = mine["start"].to_numpy(), mine["end"].to_numpy()
        for i in rows:
            s, e = sentences.at[i, "start"], sentences.at[i, "end"]
            covered[i] = bool(((starts < e) & (ends > s)).any())
    return sentences.loc[~covered, SENTENCE_COLUMNS].reset_index(drop=True)


def _is_stop(surface: str, lemma: str, stop: frozenset[str]) -> bool:
    """Return True for a token that cannot be a term: a stop word, too short, not a word."""
    return (surface in stop or lemma in stop or len(lemma) < 3
            or not any(c.isalpha() for c in lemma))


def sentence_tokens(sentences: pd.DataFrame,
                    stopwords: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Return the words of ``sentences`` (from :func:`uncoded_sentences`), one row a token.

    Columns: doc_id, seq, position (in the sentence), surface (lower-cased), lemma (by the
    sentence's language, see :mod:`casekit.nlp`) and stop (a stop word of that language,
    shorter than three letters, or no letter at all). ``stopwords`` maps languages to
    words (default :data:`STOPWORDS`); a language without a list has only the length test.
    """
    from casekit import nlp

    lists = {k: frozenset(w.lower() for w in v)
             for k, v in (STOPWORDS if stopwords is None else stopwords).items()}
    rows = []
    for doc_id, seq, language, text in zip(sentences["doc_id"], sentences["seq"],
                                           sentences["language"], sentences["text"],
                                           strict=True):
        language = language or "nb"
        lemmatize, stop = nlp.lemmatizer(language), lists.get(language, frozenset())
        words = [t.lower_ for t in nlp.tokenizer_pipeline(language)(text)
                 if not (t.is_space or t.is_punct)]
        for position, surface in enumerate(words):
            lemma = lemmatize(surface)
            rows.append((doc_id, int(seq), position, surface, lemma,
                         _is_stop(surface, lemma, stop)))
    return pd.DataFrame(rows, columns=TOKEN_COLUMNS).astype(
        {"seq": "int64", "position": "int64", "stop": "bool"})


def _codebook_globs(codebooks: Sequence[Codebook]) -> list[re.Pattern[str]]:
    """Return the lemma and surface rule globs of the codebooks as compiled regexes."""
    return [glob_to_regex(str(rule.value)) for book in codebooks for code in book.codes
            for rule in code.rules if rule.kind in ("lemma", "surface")]


def candidate_terms(tokens: pd.DataFrame, codebooks: Sequence[Codebook] = (), *,
                    min_count: int = 3, top: int = 30) -> pd.DataFrame:
    """Return the most frequent lemmas of uncoded sentences: candidates for new rules.

    ``tokens`` comes from :func:`sentence_tokens`; stop words are left out. Columns:
    lemma, count (occurrences), sentences, documents, forms (up to three surface forms,
    most frequent first) and in_codebook (a lemma or surface glob of ``codebooks``
    already matches the lemma or one of its forms: the rule exists, but an exclusion or
    another unit kept it from coding these sentences). At most ``top`` rows with at
    least ``min_count`` occurrences, most frequent first, ties by lemma.
    """
    if min_count < 1 or top < 1:
        raise UsageError(f"candidate_terms needs min_count >= 1 and top >= 1 "
                         f"(got min_count={min_count}, top={top})")
    words = tokens[~tokens["stop"]]
    if words.empty:
        return pd.DataFrame(columns=TERM_COLUMNS)
    stats = words.groupby("lemma").agg(
        count=("surface", "size"), documents=("doc_id", "nunique"),
        forms=("surface", lambda s: ", ".join(f for f, _ in sorted(
            Counter(s).items(), key=lambda kv: (-kv[1], kv[0]))[:3])))
    stats["sentences"] = words.drop_duplicates(["doc_id", "seq", "lemma"]).groupby(
        "lemma").size()
    stats = stats[stats["count"] >= min_count].reset_index()
    stats = stats.sort_values(["count", "lemma"], ascending=[False, True]).head(top)
    globs = _codebook_globs(codebooks)
    stats["in_codebook"] = [
        any(g.match(w) for g in globs for w in (lemma, *forms.split(", ")))
        for lemma, forms in zip(stats["lemma"], stats["forms"], strict=True)]
    return stats[TERM_COLUMNS].astype(
        {"count": "int64", "sentences": "int64", "documents": "int64",
         "in_codebook": "bool"}).reset_index(drop=True)


def collocations(tokens: pd.DataFrame, *, size: int = 2, measure: str = "likelihood_ratio",
                 min_count: int = 3, top: int = 20) -> pd.DataFrame:
    """Return word pairs (or triples) of lemmas that occur together more than by chance.

    NLTK's bigram (``size=2``) or trigram (``size=3``) collocation finder runs on the
    lemmas of each sentence in ``tokens`` (from :func:`sentence_tokens`); n-grams with a
    stop word or fewer than ``min_count`` occurrences are left out. ``measure``:
    likelihood_ratio, pmi, chi_sq, student_t or raw_freq (NLTK's association measures).
    Columns: phrase (the lemmas joined by spaces), count, score; best first, at most
    ``top`` rows, ties by phrase.
    """
    if size not in (2, 3):
        raise UsageError(f"collocations are pairs or triples: size 2 or 3, not {size}")
    if measure not in MEASURES:
        raise UsageError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    if min_count < 1 or top < 1:
        raise UsageError(f"collocations needs min_count >= 1 and top >= 1 "
                         f"(got min_count={min_count}, top={top})")
    from nltk.collocations import (
        BigramAssocMeasures,
        BigramCollocationFinder,
        TrigramAssocMeasures,
        TrigramCollocationFinder,
    )

    # Stop words become "" rather than vanish, so words they separated stay apart.
    words = np.where(tokens["stop"].to_numpy(dtype=bool), "", tokens["lemma"].to_numpy())
    sentences = [list(words[idx]) for idx in tokens.groupby(
        ["doc_id", "seq"], sort=False).indices.values()] if len(tokens) else []
    finder_class, measures = ((BigramCollocationFinder, BigramAssocMeasures()) if size == 2
                              else (TrigramCollocationFinder, TrigramAssocMeasures()))
    finder = finder_class.from_documents(sentences)
    finder.apply_word_filter(lambda w: w == "")
    finder.apply_freq_filter(min_count)
    scored = finder.score_ngrams(getattr(measures, measure)) if finder.ngram_fd else []
    rows = [(" ".join(gram), int(finder.ngram_fd[gram]), float(score))
            for gram, score in scored]
    frame = pd.DataFrame(rows, columns=COLLOCATION_COLUMNS).astype(
        {"count": "int64", "score": "float64"})
    return frame.sort_values(["score", "phrase"], ascending=[False, True]).head(top).reset_index(
        drop=True)


def never_fired(frame: pd.DataFrame, *, count: str = "codings",
                code: str = "code_id") -> pd.DataFrame:
    """Return the rows of codes that never fire, neither themselves nor through a subcode.

    ``frame`` has one row per code (:func:`code_hits`, or
    :func:`casekit.analysis.frequencies` at ``level="code"`` with ``count="units"`` and
    ``code="code"``). A parent code without rules of its own is not silent while one of
    its subcodes fires. The rows keep their order and columns.
    """
    fired = [c for c, n in zip(frame[code], frame[count], strict=True) if n > 0]
    silent = [n == 0 and not any(f.startswith(c + ".") for f in fired)
              for c, n in zip(frame[code], frame[count], strict=True)]
    return frame[np.array(silent, dtype=bool)]


def silent_rules(rules: pd.DataFrame, *, examples: int = 8) -> pd.DataFrame:
    """Return, per code, how many of its rules never fire, with some of them as examples.

    ``rules`` comes from :func:`rule_hits`. One row per code with a silent rule, in the
    frame's order: codebook_id, code_id, rules (the code's rows in ``rules``, a lost rule
    included), silent, examples (the first
    ``examples`` silent rule labels, "; "-joined, "…" when there are more).
    """
    if examples < 1:
        raise UsageError(f"silent_rules needs examples >= 1, not {examples}")
    key = ["codebook_id", "code_id"]
    columns = [*key, "rules", "silent", "examples"]
    if rules.empty:
        return pd.DataFrame(columns=columns)
    grouped = rules.groupby(key, sort=False)
    frame = grouped.agg(rules=("rule", "size")).join(
        rules[rules["codings"] == 0].groupby(key, sort=False).agg(
            silent=("rule", "size"),
            examples=("rule", lambda r: "; ".join(r.iloc[:examples])
                      + ("; …" if len(r) > examples else ""))), how="inner")
    return frame.reset_index()[columns].astype({"rules": "int64", "silent": "int64"})


def busiest_rules(rules: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Return the ``n`` rules of each code that took part in the most codings.

    ``rules`` comes from :func:`rule_hits`; rules that never fire are left out. Codes keep
    the frame's order; within a code, most codings first (ties in the frame's order).
    """
    if n < 1:
        raise UsageError(f"busiest_rules needs n >= 1, not {n}")
    fired = rules[rules["codings"] > 0]
    order = fired.groupby(["codebook_id", "code_id"], sort=False).ngroup()
    ranked = fired.assign(_code=order, _codings=-fired["codings"]).sort_values(
        ["_code", "_codings"], kind="stable")
    return (ranked.groupby("_code", sort=False).head(n)
            .drop(columns=["_code", "_codings"]).reset_index(drop=True))
