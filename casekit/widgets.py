"""A coding view for JupyterLab (ipywidgets): read segments, decide on proposals, code.

    >>> from casekit.project import open_project
    >>> from casekit.widgets import CodingView
    >>> CodingView(open_project("casekit.db", coder="kari", codebook="codebooks/x.yaml"))

The view lists a case's documents and segments (filtered by tranche, actor role,
municipality, code, status and coder), shows one page of a document at a time with coded
spans in the codebook's colours and the codes beside each segment, and saves every action
at once through :class:`casekit.project.Project`. Only the page on screen is rendered, so a
long transcript opens as fast as a short one. Material text is escaped where it enters HTML.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
from matplotlib.colors import to_hex

from casekit.codebook import Codebook
from casekit.errors import CasekitError
from casekit.project import Project

PAGE_CHARS = 6000
ALL = ""
STATUSES = ("proposed", "accepted", "rejected")
PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
OTHER = "#888888"
MEMO_TARGETS = (("the case", "case"), ("the document", "document"),
                ("the selected segment", "segment"), ("the selected coding", "coding"),
                ("the selected code", "code"))


# -- rendering (pure functions: text and codings in, HTML out) ------------------------------

def code_colours(codebook: Codebook | None) -> dict[str, str]:
    """Return a #rrggbb colour per code: its own, its parent's, or one per top-level code."""
    if codebook is None:
        return {}
    colours: dict[str, str] = {}
    tops = [c.id for c in codebook.children(None)]
    for code in codebook.codes:  # parents come before their subcodes in a codebook
        if code.colour:
            colours[code.id] = to_hex(code.colour)
        elif code.parent in colours:
            colours[code.id] = colours[code.parent]
        else:
            top = codebook.top_level(code.id)
            colours[code.id] = PALETTE[tops.index(top) % len(PALETTE)]
    return colours


def paginate(spans: Sequence[tuple[int, int]], page_chars: int = PAGE_CHARS
             ) -> list[tuple[int, int]]:
    """Return pages as ``(first, stop)`` index ranges of consecutive spans.

    A page takes spans while their text stays within ``page_chars`` (and at least one).
    """
    pages: list[tuple[int, int]] = []
    first, size = 0, 0
    for i, (start, end) in enumerate(spans):
        if i > first and size + (end - start) > page_chars:
            pages.append((first, i))
            first, size = i, 0
        size += end - start
    if spans:
        pages.append((first, len(spans)))
    return pages


def overlapping(codings: Sequence[dict[str, Any]], starts: Sequence[int], start: int,
                end: int) -> list[dict[str, Any]]:
    """Return the codings (sorted by start, ``starts`` their starts) overlapping a span."""
    return [c for c in codings[:bisect.bisect_left(starts, end)] if c["end"] > start]


def highlight(text: str, start: int, end: int, codings: Sequence[dict[str, Any]],
              colours: dict[str, str]) -> str:
    """Return ``text[start:end]`` as escaped HTML with coded spans highlighted.

    Each coding that is not rejected draws an underline stripe in its code's colour; the
    shortest one also tints the background, so nested codings stay readable.
    """
    live = [c for c in codings if c["status"] != "rejected"]
    cuts = sorted({start, end} | {min(max(c[k], start), end) for c in live
                                  for k in ("start", "end")})
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[a:b])
        active = sorted((c for c in live if c["start"] <= a and c["end"] >= b),
                        key=lambda c: c["end"] - c["start"])
        if not active:
            parts.append(piece)
            continue
        stripes = ", ".join(f"inset 0 -{2 * (i + 1)}px 0 {colours.get(c['code_id'], OTHER)}"
                            for i, c in enumerate(active))
        tint = colours.get(active[0]["code_id"], OTHER) + "2e"
        title = html.escape(", ".join(f"{c['code_id']} ({c['status']})" for c in active),
                            quote=True)
        parts.append(f'<span style="background:{tint};box-shadow:{stripes};'
                     f'padding-bottom:{2 * len(active)}px" title="{title}">{piece}</span>')
    return "".join(parts)


def chips(codings: Sequence[dict[str, Any]], colours: dict[str, str],
          names: dict[str, str]) -> str:
    """Return the code names beside a segment: name, status, coder and coding id."""
    out = []
    for c in codings:
        name = html.escape(names.get(c["code_id"], c["code_id"]))
        if c["status"] == "rejected":
            name = f"<s>{name}</s>"
        who = c["decided_by"] if c["origin"] == "auto" and c["decided_by"] else c["coder"]
        out.append(f'<div style="border-left:4px solid {colours.get(c["code_id"], OTHER)};'
                   f'padding-left:4px;margin-bottom:2px">{name} <span style="color:#777">'
                   f'{c["status"]} · {html.escape(str(who))} · #{c["coding_id"]}</span></div>')
    return "".join(out)


def render_segments(text: str, segments: Sequence[dict[str, Any]],
                    codings: Sequence[dict[str, Any]], colours: dict[str, str],
                    names: dict[str, str], selected: int | None = None) -> str:
    """Return the HTML of consecutive segments, each with its codes beside it.

    ``codings`` are sorted by start; ``selected`` is the index (in ``segments``) to outline.
    """
    starts = [c["start"] for c in codings]
    rows = []
    for i, seg in enumerate(segments):
        near = overlapping(codings, starts, seg["start"], seg["end"])
        label = f"¶{seg['seq']}"
        if seg.get("speaker"):
            label += f" {html.escape(str(seg['speaker']))}"
        outline = "outline:2px solid #4a86c8;" if i == selected else ""
        rows.append(
            f'<div style="display:flex;gap:12px;border-top:1px solid #e5e5e5;padding:4px 0;'
            f'{outline}"><div style="flex:0 0 8em;color:#777;font-size:85%">{label}<br>'
            f'{seg["start"]}–{seg["end"]}</div><div style="flex:1 1 auto;white-space:'
            f'pre-wrap;line-height:1.6">{highlight(text, seg["start"], seg["end"], near, colours)}'
            f'</div><div style="flex:0 0 16em;font-size:85%">{chips(near, colours, names)}'
            "</div></div>")
    return "".join(rows)


def text_spans(text: str, page_chars: int = PAGE_CHARS) -> list[dict[str, Any]]:
    """Return stand-in segments (cut at line breaks or spaces) for a text with none."""
    spans, start = [], 0
    while start < len(text):
        end = min(start + page_chars, len(text))
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            end = cut + 1 if cut > start else end
        spans.append({"seq": len(spans) + 1, "start": start, "end": end, "speaker": None})
        start = end
    return spans


# -- the view --------------------------------------------------------------------------------

def _options(values: Sequence[str], everything: str = "all") -> list[tuple[str, str]]:
    return [(everything, ALL)] + [(v, v) for v in values if v]


class CodingView:
    """The coding view of a case for one coder; display it in a notebook cell.

    The controls are attributes (``tranche``, ``document``, ``segments``, ``code_tree``,
    ``accept_button``, ...) so code and tests can drive the view as a person would.
    """

    def __init__(self, project: Project, *, page_chars: int = PAGE_CHARS,
                 language: str = "nb", unit: str = "paragraph") -> None:
        self.project = project.as_source("widget")
        self.store = project.store
        self.case_id = project.case_id
        self.page_chars = page_chars
        self.unit = unit
        codebook = project.codebook
        self.colours = code_colours(codebook)
        self.names = {c.id: c.name(language) for c in codebook.codes} if codebook else {}
        self.docs = self.store.documents(self.case_id)
        self._load_codings()
        self._quiet = False
        self._doc: dict[str, Any] = {}
        self._selected: int | None = None
        self._build(codebook, language)
        self._refresh_documents()

    # -- layout ----------------------------------------------------------------------------

    def _build(self, codebook: Codebook | None, language: str) -> None:
        docs = self.docs
        order = list(self.store.tranches(self.case_id)["tranche_id"])
        # Select options collapse ordinary spaces; no-break spaces keep the tree's indent.
        tree = [(f"{chr(0xA0) * 4 * codebook.depth(c.id)}{c.id} – {c.name(language)}", c.id)
                for c in codebook.codes] if codebook else []
        deciders = set(self._codings["decided_by"].dropna())
        coders = sorted(set(self._codings["coder"]) | deciders | {self.project.coder})
        self.tranche = w.Dropdown(description="Tranche", options=_options(
            [t for t in order if t in set(docs["tranche"])]))
        self.actor_role = w.Dropdown(description="Actor role", options=_options(
            sorted(set(docs["actor_role"]))))
        self.municipality = w.Dropdown(description="Municipality", options=_options(
            sorted(set(docs["municipality"]))))
        self.code = w.Dropdown(description="Code", options=[("all", ALL), *tree])
        self.status = w.Dropdown(description="Status", options=_options(STATUSES))
        self.coder = w.Dropdown(description="Coder", options=_options(coders))
        filters = (self.tranche, self.actor_role, self.municipality, self.code, self.status,
                   self.coder)
        for control in filters:
            control.observe(self._on_filter, names="value")
        self.document = w.Select(description="Document", rows=6,
                                 layout=w.Layout(width="100%"))
        self.document.observe(self._on_document, names="value")
        self.segments = w.Select(description="Segment", rows=6, layout=w.Layout(width="100%"))
        self.segments.observe(self._on_segment, names="value")
        self.prev_button = w.Button(description="◀ Previous page")
        self.next_button = w.Button(description="Next page ▶")
        self.page = w.BoundedIntText(description="Page", min=1, max=1, value=1,
                                     layout=w.Layout(width="12em"))
        self.page_label = w.Label()
        self.prev_button.on_click(lambda _: self.show_page(self.page.value - 1))
        self.next_button.on_click(lambda _: self.show_page(self.page.value + 1))
        self.page.observe(lambda change: self.show_page(change["new"]), names="value")
        self.text = w.HTML()
        self.codings = w.Select(description="Codings", rows=5, layout=w.Layout(width="100%"))
        self.accept_button = w.Button(description="Accept", button_style="success")
        self.reject_button = w.Button(description="Reject", button_style="danger")
        self.remove_button = w.Button(description="Remove my coding")
        self.code_tree = w.Select(description="Codebook", options=tree, rows=8, index=None,
                                  layout=w.Layout(width="100%"))
        self.start = w.IntText(description="Start", layout=w.Layout(width="12em"))
        self.end = w.IntText(description="End", layout=w.Layout(width="12em"))
        self.find_text = w.Text(description="Find", placeholder="words in the segment")
        self.find_button = w.Button(description="Select these words")
        self.code_segment_button = w.Button(description="Code segment", button_style="info")
        self.code_span_button = w.Button(description="Code start–end", button_style="info")
        self.memo_target = w.Dropdown(description="Memo on", options=MEMO_TARGETS,
                                      value="document")
        self.memo_text = w.Textarea(placeholder="memo", layout=w.Layout(width="100%"))
        self.memo_button = w.Button(description="Save memo")
        self.message = w.HTML()
        self.accept_button.on_click(lambda _: self._decide("accept"))
        self.reject_button.on_click(lambda _: self._decide("reject"))
        self.remove_button.on_click(lambda _: self._remove())
        self.find_button.on_click(lambda _: self._find())
        self.code_segment_button.on_click(lambda _: self._code(whole_segment=True))
        self.code_span_button.on_click(lambda _: self._code(whole_segment=False))
        self.memo_button.on_click(lambda _: self._memo())
        side = w.VBox([
            self.codings, w.HBox([self.accept_button, self.reject_button, self.remove_button]),
            self.code_tree, w.HBox([self.start, self.end]),
            w.HBox([self.find_text, self.find_button]),
            w.HBox([self.code_segment_button, self.code_span_button]),
            self.memo_target, self.memo_text, self.memo_button, self.message],
            layout=w.Layout(width="34%"))
        reading = w.VBox([
            w.HBox([self.prev_button, self.next_button, self.page, self.page_label]),
            self.text], layout=w.Layout(width="66%"))
        self.widget = w.VBox([
            w.HBox(list(filters[:3])), w.HBox(list(filters[3:])),
            w.HBox([self.document, self.segments]), w.HBox([reading, side])])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- data ------------------------------------------------------------------------------

    def _load_codings(self) -> None:
        self._codings = self.store.document_codings(self.case_id)

    def _matching_codings(self) -> Any:
        """Return the case's codings that pass the code, status and coder filters."""
        frame = self._codings
        if self.code.value:
            wanted = set(self.project.codebook.descendants(self.code.value))
            frame = frame[frame["code_id"].isin(wanted)]
        if self.status.value:
            frame = frame[frame["status"] == self.status.value]
        if self.coder.value:
            frame = frame[(frame["coder"] == self.coder.value)
                          | (frame["decided_by"] == self.coder.value)]
        return frame

    def _coding_filter_on(self) -> bool:
        return bool(self.code.value or self.status.value or self.coder.value)

    # -- refreshing ------------------------------------------------------------------------

    def _on_filter(self, _change: Any) -> None:
        if not self._quiet:
            self._refresh_documents()

    def _refresh_documents(self) -> None:
        docs = self.docs
        for control, column in ((self.tranche, "tranche"), (self.actor_role, "actor_role"),
                                (self.municipality, "municipality")):
            if control.value:
                docs = docs[docs[column] == control.value]
        if self._coding_filter_on():
            docs = docs[docs["doc_id"].isin(set(self._matching_codings()["doc_id"]))]
        options = [(f"{r.doc_id} – {r.title} ({r.tranche})", r.doc_id)
                   for r in docs.itertuples()]
        current = self.document.value
        self._quiet = True
        try:
            self.document.options = options
            keep = current in {v for _, v in options}
            self.document.value = current if keep else (options[0][1] if options else None)
        finally:
            self._quiet = False
        if self.document.value is None:
            self._doc = {}
            self.segments.options = []
            self.text.value = "<i>No document matches the filters.</i>"
            self.page_label.value = ""
        elif self.document.value != self._doc.get("doc_id"):
            self.open_document(self.document.value)
        else:
            self._refresh_segments()

    def _on_document(self, change: Any) -> None:
        if not self._quiet and change["new"] is not None:
            self.open_document(change["new"])

    def open_document(self, doc_id: str) -> None:
        """Show a document from its first page (only that page is rendered)."""
        text = self.store.document_text(self.case_id, doc_id)
        segments = self.store.segments(self.case_id, kind=self.unit, doc_id=doc_id,
                                       with_text=False)
        rows = [{"seq": int(s.seq), "start": int(s.start), "end": int(s.end),
                 "speaker": s.speaker if isinstance(s.speaker, str) else None}
                for s in segments.itertuples()]
        rows = rows or text_spans(text, self.page_chars)
        self._doc = {"doc_id": doc_id, "text": text, "segments": rows,
                     "pages": paginate([(r["start"], r["end"]) for r in rows],
                                       self.page_chars)}
        self._doc_codings()
        self._selected = None
        self._quiet = True
        try:
            self.page.max = max(len(self._doc["pages"]), 1)
            self.page.value = 1
        finally:
            self._quiet = False
        self._refresh_segments()
        self.show_page(1)

    def _doc_codings(self) -> None:
        frame = self._codings[self._codings["doc_id"] == self._doc["doc_id"]]
        self._doc["codings"] = frame.to_dict("records")
        self._doc["starts"] = [c["start"] for c in self._doc["codings"]]

    def _refresh_segments(self) -> None:
        rows, text = self._doc["segments"], self._doc["text"]
        indices = range(len(rows))
        if self._coding_filter_on():
            match = self._matching_codings()
            match = match[match["doc_id"] == self._doc["doc_id"]].to_dict("records")
            starts = [c["start"] for c in match]
            indices = [i for i in indices
                       if overlapping(match, starts, rows[i]["start"], rows[i]["end"])]
        options = []
        for i in indices:
            r = rows[i]
            snippet = " ".join(text[r["start"]:r["end"]][:70].split())
            who = f"{r['speaker']}: " if r.get("speaker") else ""
            options.append((f"¶{r['seq']} {who}{snippet}", i))
        self._quiet = True
        try:
            self.segments.options = options
            self.segments.value = (self._selected if self._selected in set(indices)
                                   else None)
        finally:
            self._quiet = False

    def _on_segment(self, change: Any) -> None:
        if not self._quiet and change["new"] is not None:
            self.select_segment(change["new"])

    def select_segment(self, index: int) -> None:
        """Select a segment: show its page, put its offsets in start/end, list its codings."""
        self._selected = index
        seg = self._doc["segments"][index]
        self.start.value, self.end.value = seg["start"], seg["end"]
        page = next(p for p, (a, b) in enumerate(self._doc["pages"], start=1) if a <= index < b)
        self.show_page(page)

    def show_page(self, number: int) -> None:
        """Render page ``number`` (1-based) of the open document, and its codings list."""
        pages = self._doc.get("pages") or []
        if not pages or self._quiet:
            return
        number = min(max(int(number), 1), len(pages))
        first, stop = pages[number - 1]
        self._quiet = True
        try:
            self.page.value = number
        finally:
            self._quiet = False
        selected = (self._selected - first if self._selected is not None
                    and first <= self._selected < stop else None)
        self.text.value = render_segments(
            self._doc["text"], self._doc["segments"][first:stop], self._doc["codings"],
            self.colours, self.names, selected)
        self.page_label.value = f"of {len(pages)} ({len(self._doc['text']):,} characters)"
        self.prev_button.disabled = number == 1
        self.next_button.disabled = number == len(pages)
        self._refresh_codings_list()

    def _refresh_codings_list(self) -> None:
        if self._selected is None:
            self.codings.options = []
            return
        seg = self._doc["segments"][self._selected]
        near = overlapping(self._doc["codings"], self._doc["starts"], seg["start"], seg["end"])
        self.codings.options = [
            (f"#{c['coding_id']} {c['code_id']} · {c['status']} · {c['coder']}",
             int(c["coding_id"])) for c in near]

    # -- actions (each saved at once) ------------------------------------------------------

    def _act(self, action: Callable[[], str]) -> None:
        try:
            done = action()
        except CasekitError as exc:
            self.message.value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'
            return
        self.message.value = f'<span style="color:#1b5e20">{html.escape(done)}</span>'
        self._load_codings()
        self._doc_codings()
        self._refresh_segments()
        self.show_page(self.page.value)

    def _need(self, value: Any, what: str) -> Any:
        if value is None:
            raise CasekitError(f"select {what} first")
        return value

    def _decide(self, how: str) -> None:
        def run() -> str:
            coding_id = self._need(self.codings.value, "a coding")
            getattr(self.project, how)(coding_id)
            return f"Saved: coding #{coding_id} {how}ed"
        self._act(run)

    def _remove(self) -> None:
        def run() -> str:
            coding_id = self._need(self.codings.value, "a coding")
            self.project.remove_coding(coding_id)
            return f"Saved: coding #{coding_id} removed (it stays in the history)"
        self._act(run)

    def _code(self, *, whole_segment: bool) -> None:
        def run() -> str:
            code_id = self._need(self.code_tree.value, "a code in the codebook")
            if whole_segment:
                seg = self._doc["segments"][self._need(self._selected, "a segment")]
                start, end = seg["start"], seg["end"]
            else:
                start, end = self.start.value, self.end.value
            coding_id = self.project.add_coding(self._doc["doc_id"], start, end, code_id)
            row = self.store.coding(coding_id)
            return (f"Saved: #{coding_id} {code_id} on {row['start']}–{row['end']}: "
                    f"“{_clip(row['quote'])}”")
        self._act(run)

    def _find(self) -> None:
        def run() -> str:
            seg = self._doc["segments"][self._need(self._selected, "a segment")]
            words = self.find_text.value.strip()
            passage = self._doc["text"][seg["start"]:seg["end"]]
            at = passage.lower().find(words.lower()) if words else -1
            if at < 0:
                raise CasekitError("those words are not in the selected segment")
            self.start.value = seg["start"] + at
            self.end.value = seg["start"] + at + len(words)
            return f"Selected {self.start.value}–{self.end.value}"
        try:
            self.message.value = html.escape(run())
        except CasekitError as exc:
            self.message.value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'

    def _memo(self) -> None:
        def run() -> str:
            target, text = self.memo_target.value, self.memo_text.value
            doc_id = self._doc.get("doc_id")
            if target == "case":
                memo_id = self.project.memo(text)
            elif target == "document":
                memo_id = self.project.memo(text, doc_id=self._need(doc_id, "a document"))
            elif target == "segment":
                seg = self._doc["segments"][self._need(self._selected, "a segment")]
                memo_id = self.project.memo(text, doc_id=doc_id, start=seg["start"],
                                            end=seg["end"])
            elif target == "coding":
                memo_id = self.project.memo(
                    text, coding_id=self._need(self.codings.value, "a coding"))
            else:
                memo_id = self.project.memo(
                    text, code_id=self._need(self.code_tree.value, "a code"))
            self.memo_text.value = ""
            return f"Saved: memo #{memo_id} on {target}"
        self._act(run)


def _clip(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1] + "…"
