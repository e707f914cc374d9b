"""Accuracy of extracted records against ground truth: per field, per engine/model.

Coverage (a field is non-empty) is not accuracy. For every field the truth gives, this
reports how often the extracted value is *exactly* right under the field's comparison rule
(:mod:`herbx.analysis.eval_compare`: dates as dates, names with and without authorship,
coordinates within a tolerance), the mean similarity, the coverage, spurious values (filled
where the truth is empty) and examples of the misses. Failed specimens count with whatever
they extracted: the question is what the engine read, not what the success rule accepted.

Example::

    from herbx.analysis.evaluate import evaluate_runs
    from herbx.analysis.eval_truth import load_truth
    from herbx.dwc.results import load_run

    report = evaluate_runs([load_run("runs/r1")], load_truth("truth.csv"))
    report.groups[0].field("scientificName").accuracy

Benchmarks use :func:`score_pairs` directly on ``(image, truth_terms, predicted_terms)``
triples, so their numbers and ``herbx eval``'s are computed by the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from herbx.analysis.eval_compare import NAME_TERMS, Tolerances, compare_values
from herbx.analysis.eval_truth import TruthSet
from herbx.dwc.results import RunResults, SpecimenResult


@dataclass
class Example:
    """One miss: which image, what was true, what was extracted."""

    image: str
    truth: str
    predicted: str

    def to_dict(self) -> dict[str, str]:
        """Plain dict for JSON."""
        return {"image": self.image, "truth": self.truth, "predicted": self.predicted}


@dataclass
class FieldScore:
    """Scores of one Darwin Core term over the matched specimens."""

    term: str
    specimens: int = 0
    """Matched specimens (the denominator of coverage)."""
    truth_values: int = 0
    """Specimens whose truth has this term (the denominator of accuracy)."""
    exact: int = 0
    exact_canonical: int | None = None
    similarity_sum: float = 0.0
    predicted: int = 0
    spurious: int = 0
    examples: list[Example] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        """Exactly right / truth values, or None when the truth never gives the term."""
        return self.exact / self.truth_values if self.truth_values else None

    @property
    def accuracy_canonical(self) -> float | None:
        """Names only: exactly right once authorship is removed."""
        if self.exact_canonical is None or not self.truth_values:
            return None
        return self.exact_canonical / self.truth_values

    @property
    def similarity(self) -> float | None:
        """Mean similarity (0..1) over truth values; a missing value scores 0."""
        return self.similarity_sum / self.truth_values if self.truth_values else None

    @property
    def coverage(self) -> float | None:
        """Share of matched specimens where something was extracted for this term."""
        return self.predicted / self.specimens if self.specimens else None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        out: dict[str, Any] = {
            "term": self.term,
            "truth_values": self.truth_values,
            "exact": self.exact,
            "accuracy": self.accuracy,
            "similarity": self.similarity,
            "coverage": self.coverage,
            "predicted": self.predicted,
            "spurious": self.spurious,
            "examples": [e.to_dict() for e in self.examples],
        }
        if self.exact_canonical is not None:
            out["exact_without_authorship"] = self.exact_canonical
            out["accuracy_without_authorship"] = self.accuracy_canonical
        return out


@dataclass
class GroupScore:
    """Scores of one engine/model (or of everything together)."""

    label: str
    runs: list[str]
    fields: list[FieldScore]
    specimens: int = 0
    succeeded: int = 0
    all_correct: int = 0
    missing: list[str] = field(default_factory=list)
    """Truth keys with no result in these runs."""
    unmatched: list[str] = field(default_factory=list)
    """Images in these runs with no truth."""

    def field(self, term: str) -> FieldScore:
        """The score of one term (KeyError when the truth does not give it)."""
        for f in self.fields:
            if f.term == term:
                return f
        raise KeyError(term)

    @property
    def accuracy(self) -> float | None:
        """All exact values / all truth values (micro average over fields)."""
        total = sum(f.truth_values for f in self.fields)
        return sum(f.exact for f in self.fields) / total if total else None

    @property
    def similarity(self) -> float | None:
        """Mean similarity over all truth values."""
        total = sum(f.truth_values for f in self.fields)
        return sum(f.similarity_sum for f in self.fields) / total if total else None

    def worst(self, n: int = 5) -> list[FieldScore]:
        """The ``n`` fields with the lowest accuracy that have misses."""
        scored = [f for f in self.fields if f.accuracy is not None and f.exact < f.truth_values]
        return sorted(scored, key=lambda f: (f.accuracy or 0.0, f.term))[:n]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "label": self.label,
            "runs": self.runs,
            "specimens": self.specimens,
            "succeeded": self.succeeded,
            "all_fields_correct": self.all_correct,
            "accuracy": self.accuracy,
            "similarity": self.similarity,
            "missing": len(self.missing),
            "missing_examples": self.missing[:10],
            "unmatched": len(self.unmatched),
            "fields": [f.to_dict() for f in self.fields],
            "worst_fields": [f.term for f in self.worst()],
        }


@dataclass
class EvalReport:
    """Per engine/model groups, plus ``overall`` when there are several."""

    truth: str
    fields: list[str]
    groups: list[GroupScore]
    overall: GroupScore | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``--json``."""
        return {
            "truth": self.truth,
            "fields": self.fields,
            "groups": [g.to_dict() for g in self.groups],
            "overall": self.overall.to_dict() if self.overall else None,
            "notes": self.notes,
        }


def score_pairs(
    pairs: Iterable[tuple[str, Mapping[str, str], Mapping[str, str]]],
    fields: Sequence[str],
    *,
    label: str = "all",
    tolerances: Tolerances | None = None,
    max_examples: int = 3,
) -> GroupScore:
    """Score ``(image, truth_terms, predicted_terms)`` triples over ``fields``."""
    scores = [FieldScore(term=t, exact_canonical=0 if t in NAME_TERMS else None) for t in fields]
    group = GroupScore(label=label, runs=[], fields=scores)
    for image, truth, predicted in pairs:
        group.specimens += 1
        all_ok = True
        for fs in scores:
            fs.specimens += 1
            true_value = truth.get(fs.term) or ""
            pred_value = predicted.get(fs.term) or ""
            if pred_value:
                fs.predicted += 1
            if not true_value:
                if pred_value:
                    fs.spurious += 1
                continue
            fs.truth_values += 1
            cmp = compare_values(fs.term, true_value, pred_value, tolerances)
            fs.similarity_sum += cmp.similarity
            if cmp.exact:
                fs.exact += 1
            else:
                all_ok = False
                if len(fs.examples) < max_examples:
                    fs.examples.append(Example(image, true_value, pred_value))
            if fs.exact_canonical is not None and cmp.exact_canonical:
                fs.exact_canonical += 1
        if all_ok:
            group.all_correct += 1
    return group


def _pairs(
    results: Iterable[SpecimenResult], truth: TruthSet, missing_keys: set[str]
) -> tuple[list[tuple[str, dict[str, str], dict[str, str]]], list[str], int]:
    pairs: list[tuple[str, dict[str, str], dict[str, str]]] = []
    unmatched: list[str] = []
    succeeded = 0
    for r in results:
        rec = truth.lookup(r.sha256, r.image)
        if rec is None:
            unmatched.append(r.image)
            continue
        missing_keys.discard(rec.key)
        succeeded += r.succeeded
        pairs.append((r.image, rec.terms, r.dwc))
    return pairs, unmatched, succeeded


def evaluate_runs(
    runs: Sequence[RunResults],
    truth: TruthSet,
    *,
    fields: Sequence[str] | None = None,
    tolerances: Tolerances | None = None,
    max_examples: int = 3,
) -> EvalReport:
    """Score runs against the truth, grouped by engine/model (see the module docs).

    Runs with the same engine/model are pooled (a later run wins for the same image);
    ``overall`` pools every group when there is more than one.
    """
    chosen_fields = list(fields) if fields else list(truth.fields)
    unknown = [f for f in chosen_fields if f not in truth.fields]
    if unknown:
        raise ValueError(f"the truth file gives no {', '.join(unknown)}")
    by_label: dict[str, list[RunResults]] = {}
    for run in runs:
        by_label.setdefault(run.label, []).append(run)
    report = EvalReport(truth=str(truth.path), fields=chosen_fields, groups=[])
    all_pairs: list[tuple[str, dict[str, str], dict[str, str]]] = []
    overall_missing: set[str] = set()
    for label, group_runs in by_label.items():
        merged: dict[str, SpecimenResult] = {}
        for run in group_runs:
            for r in run.results:
                merged[r.sha256] = r
        missing = {rec.key for rec in truth.records}
        pairs, unmatched, succeeded = _pairs(merged.values(), truth, missing)
        group = score_pairs(
            pairs, chosen_fields, label=label, tolerances=tolerances, max_examples=max_examples
        )
        group.runs = [r.run_id for r in group_runs]
        group.succeeded = succeeded
        group.missing = sorted(missing)
        group.unmatched = unmatched
        report.groups.append(group)
        all_pairs.extend((f"{label}: {img}", t, p) for img, t, p in pairs)
        overall_missing |= missing
    if len(report.groups) > 1:
        overall = score_pairs(
            all_pairs, chosen_fields, label="overall", tolerances=tolerances,
            max_examples=max_examples,
        )  # fmt: skip
        overall.runs = [r.run_id for r in runs]
        overall.succeeded = sum(g.succeeded for g in report.groups)
        overall.missing = sorted(overall_missing)
        overall.unmatched = [u for g in report.groups for u in g.unmatched]
        report.overall = overall
    return report
