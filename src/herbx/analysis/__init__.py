"""Reading runs after the fact: summaries, replays and filtered copies of event logs.

Example::

    from herbx.analysis import summarize, replay

    summarize("runs/r1/events.jsonl").success_rate
    replay("runs/r1/events.jsonl", early_checkpoint=10, early_threshold=0.6).would_stop

Evaluation against ground truth lives in :mod:`herbx.analysis.evaluate` (imported on use).
"""

from herbx.analysis.replay import ReplayResult, replay
from herbx.analysis.summary import LogSummary, Segment, SummaryBuilder, summarize

__all__ = ["LogSummary", "ReplayResult", "Segment", "SummaryBuilder", "replay", "summarize"]
