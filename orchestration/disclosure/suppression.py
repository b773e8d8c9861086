"""Primary and secondary suppression over linked cells: which cells of a release to hide.

Plain Python over positions and sum groups (relations.py); no table, report or SQL knowledge.
Primary: counts the rules hide (1-4). Secondary: wherever a shown total and shown parts would
give back a hidden cell, or a hidden total is the sum of shown parts, one more cell is hidden:
the one that leaves the fewest other relations with a lone hidden cell (a cell that settles
two relations at once first), then the smallest non-zero count (a zero only when nothing else
is left). Chains the local rule cannot see are the audit's job (release.py repairs them).
Every group is revisited whenever one of its cells becomes hidden, so a choice made for one
table or level is seen by every other group the cell is in (the same cell in every table).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

from orchestration.disclosure.relations import SumGroup


def secondary_suppression(values: Mapping[Hashable, float | None], groups: Sequence[SumGroup],
                          hidden: Iterable[Hashable], hideable: Callable[[Hashable], bool]) -> set:
    """The hidden cells after secondary suppression, starting from `hidden`.

    `values`: every cell's value (None = not available, treated as 0 and never chosen);
    `hideable(position)`: whether a cell may be chosen (counts; not money or fixed figures)."""
    hidden = set(hidden)
    by_cell: dict[Hashable, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        by_cell[group.total].append(index)
        for part in group.parts:
            by_cell[part].append(index)
    pending = list(range(len(groups)))
    queued = set(pending)

    def cost(cell: Hashable) -> int:
        """Groups hiding this cell would leave with a lone hidden part, minus those it settles."""
        total = 0
        for other in by_cell[cell]:
            group = groups[other]
            hidden_parts = sum(p in hidden for p in group.parts)
            if cell == group.total:  # a hidden total needs a hidden part
                total += 1 if hidden_parts == 0 and group.parts else 0
                continue
            total += 1 if hidden_parts == 0 and group.total not in hidden else -1 if hidden_parts == 1 else 0
        return total

    while pending:
        index = pending.pop()
        queued.discard(index)
        chosen = _cell_to_hide(groups[index], values, hidden, hideable, cost)
        if chosen is None:
            continue
        hidden.add(chosen)
        pending.append(index)  # the same group may need another
        queued.add(index)
        for other in by_cell[chosen]:
            if other not in queued:
                pending.append(other)
                queued.add(other)
    return hidden


def _cell_to_hide(group: SumGroup, values: Mapping, hidden: set, hideable: Callable,
                  cost: Callable) -> Hashable | None:
    """The one cell this group needs hidden next, or None when it gives nothing away: a lone
    hidden part (a shown total minus the shown parts gives it back), or a hidden total whose
    parts are all shown (their sum gives it back)."""
    parts = [p for p in dict.fromkeys(group.parts) if p != group.total]
    hidden_parts = [p for p in parts if p in hidden]
    total_hidden = group.total in hidden
    # within a row the parts are other columns of the same people (known + unknown distance =
    # pupils): a hidden total keeps two hidden parts, or the one part is the total in disguise
    wanted = min(2, len(parts)) if group.rule.startswith("row sum") else min(1, len(parts))
    if (len(hidden_parts) == 1 and not total_hidden) or (total_hidden and len(hidden_parts) < wanted):
        choice = _least_informative([p for p in parts if p not in hidden], values, hideable, cost)
        if choice is not None:
            return choice
        if not total_hidden and hideable(group.total):
            return group.total
    return None


def _least_informative(candidates: Sequence, values: Mapping, hideable: Callable, cost: Callable) -> Hashable | None:
    """The cell whose hiding costs least: the fewest other groups left with a lone hidden part
    (most settled), then the smallest non-zero count, then a zero; None when none may be hidden."""
    ranked = [(cost(c), (values.get(c) or 0) == 0, values.get(c) or 0, i, c)
              for i, c in enumerate(candidates) if hideable(c) and values.get(c) is not None]
    return min(ranked, key=lambda r: r[:4])[4] if ranked else None
