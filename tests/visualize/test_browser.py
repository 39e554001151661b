"""The visualizer in a real headless Chromium (Playwright): arcs land on their words,
entity marks hold their text and label, stacked spans keep apart, a long sentence
scrolls, and markup in a Doc shows as text without running.

CI installs Chromium (Debian's, /usr/bin/chromium) and playwright in scripts/test.sh;
where the browser cannot start, these tests fail saying so rather than skip."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.visualize.docs import SCRIPT, hostile_doc, parsed_doc
from treadle.tokens import Doc, Vocab
from treadle.visualize import make_server, render

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TREADLE_CHROMIUM", "/usr/bin/chromium")
# Sub-pixel rounding between SVG geometry and CSS boxes.
EPS = 1.0


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install playwright (scripts/test.sh does)")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: apt-get install chromium (scripts/test.sh does), or "
            "point TREADLE_CHROMIUM at one"
        )
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        except Exception as err:
            pytest.fail(f"Chromium at {CHROMIUM} did not start{_limit_hint()}: {err}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh 900x700 page that records dialogs (alert() from injected markup)."""
    context = browser.new_context(viewport={"width": 900, "height": 700})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def _limit_hint() -> str:
    # Chromium reserves far more address space than it uses: under `ulimit -v` it dies
    # at start-up (SIGTRAP) with nothing in its log that says why.
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return ""
    return f" (the address space is limited to {soft // 2**20} MiB, `ulimit -v`; Chromium needs it unlimited)"


def shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


ARC_GEOMETRY = """() => [...document.querySelectorAll('g.treadle-arc')].map(g => {
    const svg = g.ownerSVGElement, path = g.querySelector('path'), m = path.getScreenCTM();
    const at = d => { const p = path.getPointAtLength(d); const q = svg.createSVGPoint();
                      q.x = p.x; q.y = p.y; const r = q.matrixTransform(m); return [r.x, r.y]; };
    const box = i => { const r = svg.querySelector(`text.treadle-word[data-i="${i}"]`)
                                    .getBoundingClientRect();
                       return [r.left, r.right, r.top, r.bottom]; };
    const head = +g.dataset.head, child = +g.dataset.child;
    const arrow = g.querySelector('polygon').getBoundingClientRect();
    const label = g.querySelector('text').getBoundingClientRect();
    return {head, child, start: at(0), end: at(path.getTotalLength()),
            lo: box(Math.min(head, child)), hi: box(Math.max(head, child)), child_box: box(child),
            arrow: [arrow.left, arrow.right, arrow.top, arrow.bottom],
            label: [label.left, label.right, label.top, label.bottom]};
})"""


def test_arcs_start_and_end_on_their_words(page, tmp_path):
    doc = parsed_doc()
    page.set_content(render(doc, "dep", page=True))
    arcs = page.evaluate(ARC_GEOMETRY)
    assert len(arcs) == sum(t.head.i != t.i for t in doc)
    words = page.evaluate(
        "() => [...document.querySelectorAll('text.treadle-word')].map(t => {"
        " const r = t.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; })"
    )
    for arc in arcs:
        (x0, y0), (x1, y1) = arc["start"], arc["end"]
        lo, hi = arc["lo"], arc["hi"]
        assert lo[0] - EPS <= x0 <= lo[1] + EPS, arc  # the foot is over the left word
        assert hi[0] - EPS <= x1 <= hi[1] + EPS, arc  # ... and over the right one
        assert y0 <= lo[2] and y1 <= hi[2], arc  # above the words, never through them
        # The arrow head sits at the dependent's end, pointing at it.
        left, right, _, bottom = arc["arrow"]
        cl, cr, ctop, _ = arc["child_box"]
        assert cl - EPS <= (left + right) / 2 <= cr + EPS and bottom <= ctop + EPS, arc
        # A label is drawn above the words, not on them.
        for w in words:
            overlap_x = arc["label"][0] < w[1] and w[0] < arc["label"][1]
            overlap_y = arc["label"][2] < w[3] and w[2] < arc["label"][3]
            assert not (overlap_x and overlap_y), arc
    shot(page, tmp_path, "dep")


def test_a_long_sentence_scrolls_instead_of_overlapping(page, tmp_path):
    n = 60
    words = [("extraordinarily" if i % 7 == 3 else f"w{i}") for i in range(n)]
    doc = Doc(Vocab(), words=words, heads=[0] * n, deps=["ROOT"] + ["dep"] * (n - 1),
              pos=["NOUN"] * n)  # fmt: skip
    page.set_content(render(doc, "dep", page=True))
    box = page.evaluate(
        "() => { const c = document.querySelector('.treadle-dep');"
        " return {scroll: c.scrollWidth, client: c.clientWidth, page: document.body.clientWidth,"
        " overflow: getComputedStyle(c).overflowX}; }"
    )
    assert box["overflow"] == "auto"
    assert box["scroll"] > 5 * box["client"] and box["client"] <= box["page"]
    rects = page.evaluate(
        "() => [...document.querySelectorAll('text.treadle-word')].map(t => {"
        " const r = t.getBoundingClientRect(); return [r.left, r.right]; })"
    )
    assert len(rects) == n
    for (_, right), (left, _) in zip(rects, rects[1:], strict=False):
        assert right <= left, "neighbouring words overlap"
    scrolled = page.evaluate(
        "() => { const c = document.querySelector('.treadle-dep'); c.scrollLeft = 2000;"
        " return c.scrollLeft; }"
    )
    assert scrolled > 0
    shot(page, tmp_path, "dep-long")


MARKS = """() => [...document.querySelectorAll('mark.treadle-entity')].map(m => {
    const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.right, b.top, b.bottom]; };
    const text = m.querySelector('.treadle-entity-text'), label = m.querySelector('.treadle-entity-label');
    return {mark: r(m), text: r(text), label: r(label), shown: text.innerText,
            label_shown: label.innerText, bg: getComputedStyle(m).backgroundColor};
})"""


def _inside(inner, outer) -> bool:
    return (outer[0] - EPS <= inner[0] and inner[1] <= outer[1] + EPS
            and outer[2] - EPS <= inner[2] and inner[3] <= outer[3] + EPS)  # fmt: skip


def test_entity_marks_hold_their_text_and_label_served_over_http(page, tmp_path):
    doc = parsed_doc()
    server = make_server(doc, "ent", port=0, options={"colors": {"GPE": "rgb(1, 2, 3)"}})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        page.goto(f"http://{host}:{port}/")
        marks = page.evaluate(MARKS)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert [(m["shown"], m["label_shown"]) for m in marks] == [(e.text, e.label_) for e in doc.ents]
    for m in marks:
        assert _inside(m["text"], m["mark"]) and _inside(m["label"], m["mark"]), m
        assert m["text"][1] <= m["label"][0]  # label after the text
    assert marks[1]["bg"] == "rgb(1, 2, 3)" and marks[0]["bg"] != marks[1]["bg"]
    assert marks[0]["mark"][1] < marks[1]["mark"][0]
    shot(page, tmp_path, "ent")


BANDS = """() => [...document.querySelectorAll('.treadle-span-token')].map(t => {
    const range = document.createRange(); range.selectNodeContents(t.firstChild);
    const text = range.getBoundingClientRect();
    return {text: [text.left, text.right, text.top, text.bottom],
            bands: [...t.querySelectorAll('.treadle-span-band')].map(b => {
                const r = b.getBoundingClientRect();
                return {span: +b.dataset.span, top: r.top, bottom: r.bottom,
                        left: r.left, right: r.right}; })};
})"""


def test_overlapping_spans_stack_without_touching(page, tmp_path):
    doc = parsed_doc()
    page.set_content(render(doc, "span", page=True))
    tokens = page.evaluate(BANDS)
    assert len(tokens) == len(doc)
    stacked = 0
    for i, tok in enumerate(tokens):
        covering = [s for s in doc.spans["sc"] if s.start <= i < s.end]
        assert len(tok["bands"]) == len(covering)
        for band in tok["bands"]:
            assert band["top"] >= tok["text"][3] - EPS  # under the token's text
            assert band["left"] <= tok["text"][0] + EPS and tok["text"][1] <= band["right"] + EPS
        for a in tok["bands"]:
            for b in tok["bands"]:
                if a is not b:
                    stacked += 1
                    assert a["bottom"] <= b["top"] or b["bottom"] <= a["top"], (i, a, b)
    assert stacked >= 2  # the Doc has tokens under two spans
    # A span's band is one piece: its tokens' bands line up at one height.
    by_span: dict[int, set[float]] = {}
    for tok in tokens:
        for band in tok["bands"]:
            by_span.setdefault(band["span"], set()).add(round(band["top"]))
    assert all(len(tops) == 1 for tops in by_span.values())
    shot(page, tmp_path, "span")


@pytest.mark.parametrize("style", ["dep", "ent", "span"])
def test_markup_in_a_doc_shows_as_text_and_never_runs(page, tmp_path, style):
    page.set_content(render(hostile_doc(), style, page=True))
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('script, img, b, i').length") == 0
    shown = page.evaluate("() => document.body.innerText")
    assert SCRIPT in shown
    assert page.dialogs == []
    shot(page, tmp_path, f"hostile-{style}")
