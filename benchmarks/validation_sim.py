"""How often does the validator stop a run, and how fast? A seeded Monte Carlo study.

Simulates the exact arithmetic of :class:`herbx.events.sequential.RunMonitor` (the SPRT, the
CUSUM change detector and the consecutive-failure guard), vectorised over many trials with
numpy, plus the early checkpoint of :class:`herbx.events.ValidationConsumer`. Before any
figure is printed the vectorised code is checked against ``RunMonitor`` itself, trial by
trial, on a sample of runs (same stop position, same detector).

Run it from the repository root::

    python benchmarks/validation_sim.py            # tables for docs/validation.md
    python benchmarks/validation_sim.py --quick    # fewer trials, for a smoke check
    python benchmarks/validation_sim.py --sweep    # also sweep cusum_threshold

Specimen outcomes are independent draws with a fixed true success rate (or a rate that
changes at a break point). Real runs are burstier than that (a network outage fails a
few specimens in a row), which is one reason the defaults keep a wide margin.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from herbx.events.sequential import DetectorSettings, RunMonitor

DETECTORS = ("none", "sequential_test", "change_detected", "consecutive_failures")
#: A draw function gets (step index, 0-based; indices of the trials still running) and
#: returns one bool per running trial: did that specimen succeed?
Draw = Callable[[int, np.ndarray], np.ndarray]


@dataclass
class SimResult:
    """Per-trial stop position (0 = never stopped), detector code, successes in the first k."""

    stop: np.ndarray
    detector: np.ndarray
    early_successes: np.ndarray
    n_steps: int


def run_detectors(
    draw: Draw, n_trials: int, n_steps: int, settings: DetectorSettings, early: int = 5
) -> SimResult:
    """Feed ``n_steps`` outcomes per trial through the detectors; same float arithmetic as
    ``RunMonitor.update`` (so results are identical, not merely close)."""
    fail_step = settings.failure_step
    succ_step = settings.success_step
    sprt_h = settings.sprt_threshold
    cusum_h = settings.cusum_threshold
    max_cf = settings.max_consecutive_failures

    stop = np.zeros(n_trials, dtype=np.int64)
    detector = np.zeros(n_trials, dtype=np.int8)
    early_successes = np.zeros(n_trials, dtype=np.int64)
    idx = np.arange(n_trials)
    sprt = np.zeros(n_trials)
    cusum = np.zeros(n_trials)
    consec = np.zeros(n_trials, dtype=np.int64)
    for step in range(n_steps):
        if idx.size == 0:
            break
        ok = draw(step, idx)
        if step < early:
            early_successes[idx] += ok
        s = np.where(ok, succ_step, fail_step)
        sprt += s
        cusum += s
        np.maximum(cusum, 0.0, out=cusum)
        consec = np.where(ok, 0, consec + 1)
        hit_sprt = (sprt >= sprt_h) if settings.sequential else np.zeros(idx.size, bool)
        hit_cusum = (cusum >= cusum_h) if settings.change_detection else np.zeros(idx.size, bool)
        hit_cf = (consec >= max_cf) if max_cf else np.zeros(idx.size, bool)
        hit = hit_sprt | hit_cusum | hit_cf
        if hit.any():
            code = np.where(hit_sprt, 1, np.where(hit_cusum, 2, 3)).astype(np.int8)
            stopped = idx[hit]
            stop[stopped] = step + 1
            detector[stopped] = code[hit]
            keep = ~hit
            idx, sprt, cusum, consec = idx[keep], sprt[keep], cusum[keep], consec[keep]
    # trials stopped before `early` outcomes: count their early successes only up to the stop
    return SimResult(stop, detector, early_successes, n_steps)


def constant_rate(rng: np.random.Generator, p: float) -> Draw:
    """Every specimen succeeds with probability ``p``."""
    return lambda _step, idx: rng.random(idx.size) < p


def broken_at(rng: np.random.Generator, p_before: float, p_after: float, at: int) -> Draw:
    """Success rate ``p_before`` for the first ``at`` specimens, ``p_after`` from then on."""
    return lambda step, idx: rng.random(idx.size) < (p_before if step < at else p_after)


def from_matrix(outcomes: np.ndarray) -> Draw:
    """Outcomes given in advance, one row per trial (for checking against RunMonitor)."""
    return lambda step, idx: outcomes[idx, step]


# -- the rules compared -------------------------------------------------------------------


def with_checkpoint(res: SimResult, checkpoint: int, threshold: float) -> np.ndarray:
    """Stop positions of the full validator: the checkpoint fails at ``checkpoint`` when the
    success rate is below ``threshold``, unless a detector stopped the run earlier."""
    stop = res.stop.copy()
    if checkpoint:
        fails = res.early_successes / checkpoint < threshold
        not_yet = (stop == 0) | (stop > checkpoint)
        stop[fails & not_yet] = checkpoint
    return stop


def checkpoint_only(res: SimResult, checkpoint: int, threshold: float) -> np.ndarray:
    """The guide's plain rule: look once at ``checkpoint`` specimens, never again."""
    return np.where(res.early_successes / checkpoint < threshold, checkpoint, 0)


# -- checking the vectorised code against RunMonitor ---------------------------------------


def verify_against_run_monitor(settings: DetectorSettings, seed: int) -> int:
    """Compare stop position and detector, trial by trial; return how many trials matched."""
    rng = np.random.default_rng(seed)
    n_steps = 1500
    rows = []
    for p in (0.0, 0.2, 0.5, 0.6, 0.7, 0.85):
        rows.append(rng.random((60, n_steps)) < p)
    brk = rng.random((60, n_steps)) < 0.85
    brk[:, 300:] &= rng.random((60, n_steps - 300)) < 0.2
    rows.append(brk)
    outcomes = np.vstack(rows)
    res = run_detectors(from_matrix(outcomes), outcomes.shape[0], n_steps, settings)
    for t in range(outcomes.shape[0]):
        monitor = RunMonitor(settings)
        stop, det = 0, "none"
        for i in range(n_steps):
            decision = monitor.update(bool(outcomes[t, i]))
            if decision is not None:
                stop, det = i + 1, decision.detector
                break
        got = (int(res.stop[t]), DETECTORS[int(res.detector[t])])
        if got != (stop, det):
            raise AssertionError(f"trial {t}: vectorised {got} != RunMonitor {(stop, det)}")
        if int(res.early_successes[t]) != int(outcomes[t, : min(5, stop or 5)].sum()):
            raise AssertionError(f"trial {t}: early success count differs")
    return outcomes.shape[0]


# -- reporting ----------------------------------------------------------------------------


def stop_chance(stop: np.ndarray, within: int) -> float:
    """Fraction of trials stopped at or before ``within`` specimens."""
    return float(np.mean((stop > 0) & (stop <= within)))


def median_stop(stop: np.ndarray, within: int) -> float | None:
    """Median stop position among the trials stopped within ``within`` specimens."""
    hits = stop[(stop > 0) & (stop <= within)]
    return float(np.median(hits)) if hits.size else None


def upper95(k: int, n: int) -> float:
    """One-sided 95 % upper bound on a rate after ``k`` events in ``n`` trials."""
    if k == 0:
        return 3.0 / n  # rule of three
    # Wilson score bound: good enough at these counts and easy to check by hand
    z = 1.645
    phat = k / n
    centre = phat + z * z / (2 * n)
    spread = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    return (centre + spread) / (1 + z * z / n)


def fmt_pct(x: float) -> str:
    """0.000123 -> '0.012 %'; small values keep their significant digits."""
    if x == 0:
        return "0"
    if x >= 0.995:
        return "100 %"
    if x >= 0.01:
        return f"{x * 100:.1f} %"
    return f"{x * 100:.3f} %"


def fmt_med(x: float | None) -> str:
    """Median or a dash."""
    return "-" if x is None else f"{x:g}"


def rate_table(settings: DetectorSettings, trials: dict[float, int], seed: int) -> list[str]:
    """Markdown rows: for each true rate, three rules, stop chance over 1k and 10k, medians."""
    lines = [
        "| true success rate | rule | trials | stopped within 1,000 | median stop (1,000) "
        "| stopped within 10,000 | median stop (10,000) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p, n in trials.items():
        rng = np.random.default_rng([seed, int(p * 1000)])
        res = run_detectors(constant_rate(rng, p), n, 10_000, settings)
        rules = {
            "herbx defaults (checkpoint 5 @ 50 % + detectors)": with_checkpoint(res, 5, 0.5),
            "detectors only (checkpoint off)": res.stop,
            "guide's plain rule (5 specimens, 50 %)": checkpoint_only(res, 5, 0.5),
        }
        for name, stop in rules.items():
            lines.append(
                f"| {p:.2f} | {name} | {n:,} | {fmt_pct(stop_chance(stop, 1000))} "
                f"| {fmt_med(median_stop(stop, 1000))} | {fmt_pct(stop_chance(stop, 10_000))} "
                f"| {fmt_med(median_stop(stop, 10_000))} |"
            )
    return lines


def healthy_false_stops(settings: DetectorSettings, n: int, seed: int) -> dict[str, float]:
    """85 %-healthy runs of 10,000 specimens: how many does each detector stop?"""
    rng = np.random.default_rng([seed, 850])
    res = run_detectors(constant_rate(rng, 0.85), n, 10_000, settings)
    k = int((res.stop > 0).sum())
    by = {DETECTORS[c]: int((res.detector == c).sum()) for c in (1, 2, 3)}
    full = with_checkpoint(res, 5, 0.5)
    return {
        "trials": n,
        "stopped": k,
        "rate": k / n,
        "upper95": upper95(k, n),
        **{f"by_{d}": v for d, v in by.items()},
        "with_checkpoint_rate": float(np.mean(full > 0)),
    }


def break_delays(
    settings: DetectorSettings, n: int, seed: int, p_after: float, at: int = 300
) -> dict[str, float]:
    """Runs at 85 % that break at specimen ``at`` to ``p_after``: specimens to a stop after it."""
    rng = np.random.default_rng([seed, 300, int(p_after * 1000)])
    res = run_detectors(broken_at(rng, 0.85, p_after, at), n, at + 2000, settings)
    before = int(((res.stop > 0) & (res.stop <= at)).sum())
    after = res.stop[res.stop > at] - at
    never = int((res.stop == 0).sum())
    return {
        "trials": n,
        "stopped_before_break": before,
        "never_stopped": never,
        "median_delay": float(np.median(after)) if after.size else math.nan,
        "p99_delay": float(np.percentile(after, 99)) if after.size else math.nan,
        "max_delay": int(after.max()) if after.size else -1,
        "within_15": float(np.mean(after <= 15)) if after.size else 0.0,
    }


def sweep(seed: int, n: int) -> list[str]:
    """cusum_threshold against false stops of a healthy run and delay after a break."""
    lines = [
        "| cusum_threshold | 85 % run of 10,000 stopped | 95 % upper bound | by change detector "
        "| break to 0 %: max delay | break to 20 %: median / p99 delay |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for h in (5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0):
        s = replace(DetectorSettings(), cusum_threshold=h)
        fs = healthy_false_stops(s, n, seed)
        b0 = break_delays(s, 2000, seed, 0.0)
        b2 = break_delays(s, 2000, seed, 0.2)
        lines.append(
            f"| {h:g} | {fmt_pct(fs['rate'])} ({int(fs['stopped'])}/{n:,}) "
            f"| {fmt_pct(fs['upper95'])} | {int(fs['by_change_detected'])} "
            f"| {b0['max_delay']} | {b2['median_delay']:g} / {b2['p99_delay']:g} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the verification, the healthy-run check, the break check and the rate table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--quick", action="store_true", help="10x fewer trials")
    ap.add_argument("--sweep", action="store_true", help="also sweep cusum_threshold")
    args = ap.parse_args(argv)
    scale = 10 if args.quick else 1
    settings = DetectorSettings()
    t0 = time.perf_counter()

    checked = verify_against_run_monitor(settings, args.seed)
    print(f"vectorised detectors == RunMonitor on {checked} sample runs of 1,500 specimens")
    print(f"defaults: {settings}")

    n_healthy = 200_000 // scale
    fs = healthy_false_stops(settings, n_healthy, args.seed)
    print(
        f"\n85 %-healthy, 10,000 specimens, {n_healthy:,} trials: detectors stopped "
        f"{int(fs['stopped'])} ({fmt_pct(fs['rate'])}; 95 % upper bound {fmt_pct(fs['upper95'])}; "
        f"sprt {int(fs['by_sequential_test'])}, cusum {int(fs['by_change_detected'])}, "
        f"consecutive {int(fs['by_consecutive_failures'])}); with the checkpoint at 5 @ 50 %: "
        f"{fmt_pct(fs['with_checkpoint_rate'])}"
    )
    ok_healthy = fs["upper95"] < 1e-3

    print("\nbreak at specimen 300 (85 % before):")
    ok_break = True
    for p_after in (0.0, 0.2, 0.4):
        b = break_delays(settings, 20_000 // scale, args.seed, p_after)
        print(
            f"  to {p_after:.0%}: stopped before the break {int(b['stopped_before_break'])}, "
            f"never {int(b['never_stopped'])}, delay median {b['median_delay']:g}, "
            f"p99 {b['p99_delay']:g}, max {b['max_delay']}, within 15: {b['within_15']:.2%}"
        )
        if p_after == 0.0:
            ok_break = b["max_delay"] <= 15

    if args.sweep:
        print("\ncusum_threshold sweep (other settings at their defaults):")
        print("\n".join(sweep(args.seed, 100_000 // scale)))

    trials = {0.0: 2_000, 0.2: 10_000, 0.6: 20_000, 0.7: 20_000, 0.85: 20_000}
    trials = {p: max(n // scale, 200) for p, n in trials.items()}
    print("\nstop chance by true success rate:")
    print("\n".join(rate_table(settings, trials, args.seed)))
    print(
        f"\n{time.perf_counter() - t0:.0f} s; targets: healthy < 1 in 1,000: "
        f"{'met' if ok_healthy else 'MISSED'}; break to 0 % caught within 15: "
        f"{'met' if ok_break else 'MISSED'}"
    )
    return 0 if ok_healthy and ok_break else 1


if __name__ == "__main__":
    sys.exit(main())
