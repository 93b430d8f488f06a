"""How well does the auto-coder find the four governance logics? Prints one JSON object.

    .venv/bin/python benchmarks/eval_coding.py [--codebook codebooks/governance_logics.yaml]
                                               [--split test|holdout|dev|all] [--errors]

The yardstick is ``eval_passages.yaml``: passages written apart from the codebooks and
the demo corpus (bokmål, nynorsk, English; logics said without their keywords; hybrids;
hard negatives), each labelled with the logics it expresses. A passage counts as coded
with a logic when any code under that logic is proposed anywhere in it. In the same run
the baseline is ``eval_keywords.yaml``, a plain keyword list of the kind written in an
afternoon, matched as substrings. Printed: precision, recall and F1 per logic and the
macro-F1 over the four, for both, on the chosen split (``dev`` was used while tuning;
``test`` was not; ``holdout`` was written by someone who had not seen the codebooks and is
scored once per codebook version, never used for tuning).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from casekit.codebook import Codebook  # noqa: E402
from casekit.coder import CompiledCodebook  # noqa: E402

LOGICS = ("TPA", "NPM", "NPG", "SAMSKAPING")
HERE = Path(__file__).resolve().parent


def load_passages(split: str) -> list[dict]:
    """Return the labelled passages of a split (``all`` for every passage)."""
    passages = YAML(typ="safe").load((HERE / "eval_passages.yaml").read_text(encoding="utf-8"))
    return [p for p in passages if split == "all" or p["split"] == split]


def casekit_labels(codebook: Codebook, passages: list[dict]) -> list[set[str]]:
    """Return the logics casekit proposes for each passage."""
    compiled = CompiledCodebook(codebook)
    out = []
    for passage in passages:
        proposals = compiled.code_text(passage["text"], passage["language"])
        out.append({codebook.top_level(p.code_id) for p in proposals} & set(LOGICS))
    return out


def keyword_labels(passages: list[dict]) -> list[set[str]]:
    """Return the logics the afternoon keyword list finds (substring match)."""
    keywords = YAML(typ="safe").load((HERE / "eval_keywords.yaml").read_text(encoding="utf-8"))
    out = []
    for passage in passages:
        text = passage["text"].lower()
        out.append({logic for logic in LOGICS
                    if any(k.lower() in text for k in keywords.get(logic, []))})
    return out


def scores(gold: list[set[str]], predicted: list[set[str]]) -> dict:
    """Return precision, recall and F1 per logic and the macro-F1 over the four logics."""
    table = {}
    for logic in LOGICS:
        tp = sum(logic in g and logic in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(logic not in g and logic in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(logic in g and logic not in p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[logic] = {"precision": round(precision, 3), "recall": round(recall, 3),
                        "f1": round(f1, 3), "support": tp + fn}
    table["macro_f1"] = round(sum(table[logic]["f1"] for logic in LOGICS) / len(LOGICS), 3)
    return table


def main() -> None:
    """Score casekit and the keyword baseline; print JSON (and disagreements if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebook", default=str(REPO / "codebooks" / "governance_logics.yaml"))
    parser.add_argument("--split", choices=("test", "holdout", "dev", "all"), default="test")
    parser.add_argument("--errors", action="store_true",
                        help="also list the passages casekit gets wrong (to stderr)")
    args = parser.parse_args()
    passages = load_passages(args.split)
    gold = [set(p.get("labels") or []) for p in passages]
    codebook = Codebook.load(args.codebook)
    ours = casekit_labels(codebook, passages)
    baseline = keyword_labels(passages)
    result = {
        "split": args.split,
        "passages": len(passages),
        "codebook": {"id": codebook.id, "version": codebook.version,
                     "sha256": codebook.sha256[:12]},
        "casekit": scores(gold, ours),
        "keyword_baseline": scores(gold, baseline),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.errors:
        for passage, g, p in zip(passages, gold, ours, strict=True):
            if g != p:
                print(f"{passage['id']} [{passage['language']}] gold={sorted(g)} "
                      f"casekit={sorted(p)}: {passage['text']}", file=sys.stderr)


if __name__ == "__main__":
    main()
