"""What a `--repo` rescan may take from the previous build instead of listing every tag again. Pure.

A repository with more tags than one page holds costs one query per further page of tags. A rescan
on top of a previous build asks, in its one listing query, for two pages: the first in alphabetical
order (as every scan does) and the newest tags (`TAG_COMMIT_DATE`, descending), with the total count.
The tags neither page shows are taken from the previous build (`carry_over`) only when that is proved
to give the same tags a full listing gives, as far as two pages and a count can prove it:

1. every tag a page shows that the previous build knew is unchanged (same commit, same date): a tag
   rewritten where we can see it means tags are being rewritten, possibly where we cannot;
2. the tags the pages show plus the previous build's tags they do not show number exactly `totalCount`:
   a tag deleted or added out of sight changes the count;
3. no carried tag is newer than the oldest tag of the newest page: with the newest tags first, such a
   tag would be on that page, so it was deleted or moved to an older commit;
4. every carried tag has a date (a state written from the REST API has none, a full listing would).

Otherwise the caller pages through every tag, as without a previous build. The order GitHub gives
for `TAG_COMMIT_DATE` is documented only as "underlying commit date"; for annotated tags it is
reported to follow the tagger's date (renovatebot/renovate#16374), the date `TagRef.date` holds.
Only rule 3 depends on the order: rules 1 and 2 hold whatever order the newest page comes in.

What no rule here can see: a change confined to tags on neither page that keeps the count, namely a
tag moved to an older commit (keeping or lowering its date), or a tag deleted while another, dated
no later than the newest page's oldest, is added (were GitHub's order other than the tagger's date,
rule 3 would see less of the first kind, never anything on a page). The rescan then carries the
previous build's view of those tags: it publishes nothing the previous build did not publish (a moved
release keeps its published commit anyway, as on every build without `--accept-moved-tag`, and the
build asks for every tag when that option names the repository), and the next full build, which lists
every tag, reports the move, removes the deleted tag's version and adds the new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..models import TagRef

Listed = tuple[str, TagRef | None]
"""A tag as a page lists it: its name, and its commit and date, or None where it ends at no commit."""


def _when(date: str) -> datetime | None:
    """An ISO 8601 date from GitHub (`Z` or an offset: a tagger's date keeps its zone), comparable."""
    try:
        when = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def carry_over(
    previous: Sequence[TagRef], pages: Sequence[Sequence[Listed]], total: int | None, newest: Sequence[Listed]
) -> tuple[TagRef, ...] | str:
    """The previous build's tags that none of `pages` shows, when with the pages they are every one
    of the repository's `total` tags; else why not (then every tag must be listed).

    `pages` are the pages one query gave (so they agree with each other and with `total`); `newest`
    is the one of them that holds the newest tags first."""
    seen: dict[str, TagRef | None] = {}
    for page in pages:
        for name, tag in page:
            if seen.setdefault(name, tag) != tag:
                return f"the pages disagree about tag {name}"
    before: Mapping[str, TagRef] = {t.name: t for t in previous}
    for name, tag in sorted(seen.items()):
        known = before.get(name)
        if known is not None and known != tag:
            return f"tag {name} changed since the previous build"
    carried = tuple(t for t in previous if t.name not in seen)
    if total is None or len(seen) + len(carried) != total:
        return f"{total} tags, but the pages and the previous build account for {len(seen) + len(carried)}"
    if not carried:
        return carried
    dates = [_when(tag.date) for _, tag in newest if tag is not None]
    oldest = min((d for d in dates if d is not None), default=None)
    if oldest is None or None in dates:
        return "the newest tags' dates are unknown"
    for tag in carried:
        when = _when(tag.date) if tag.date else None
        if when is None:
            return f"the previous build has no date for tag {tag.name}"
        if when > oldest:
            return f"tag {tag.name} is newer than the newest tags listed, but not among them"
    return carried
