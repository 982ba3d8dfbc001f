"""Open a page of ours in a real headless Chromium and say what it displayed.

`render_in_chromium(path)` loads a copy of the page with one probe script added (the page's own
Content-Security-Policy is kept; only a `script-src` for that script's hash is added, so a picture
that is not a `data:` PNG is still refused as it would be for a student). The probe writes what the
browser really laid out into the DOM, which `--dump-dom` hands back: the visible text, each image
as decoded (complete, natural and shown size), the text of every <strong>, <em> and <code>, the
shown size of each inline SVG and every link's resolved address.

`prairielearn_page(doc)` lays out a PrairieLearn `results.json` the way PrairieLearn's
`pl-external-grader-results` element does: `message` and `output` escaped inside <pre> (plain text,
so any markdown marker would show as is), `images[]` as <img>.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

PROBE = """addEventListener('load', () => {
  const box = (e) => e.getBoundingClientRect();
  const seen = {
    title: document.title,
    text: document.body.innerText,
    width: document.documentElement.clientWidth,
    height: document.body.scrollHeight,
    images: [...document.images].map((i) => ({src: i.getAttribute('src').slice(0, 22), complete: i.complete,
      naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, shownWidth: box(i).width,
      shownHeight: box(i).height, alt: i.alt})),
    strong: [...document.querySelectorAll('strong, b')].map((e) => e.innerText),
    em: [...document.querySelectorAll('em, i')].map((e) => e.innerText),
    code: [...document.querySelectorAll('code')].map((e) => e.innerText),
    svgs: [...document.querySelectorAll('svg')].map((e) => ({width: box(e).width, height: box(e).height,
      parts: e.querySelectorAll('rect, path, text').length})),
    links: [...document.querySelectorAll('a[href]')].map((a) => ({text: a.innerText, href: a.href})),
  };
  const out = document.createElement('pre');
  out.id = '__probe';
  out.textContent = JSON.stringify(seen);
  document.body.appendChild(out);
});"""

_CSP = re.compile(r'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")', re.I)


def chromium() -> str | None:
    """The browser, or None (the callers skip, saying why)."""
    found = shutil.which("chromium") or CHROMIUM
    return found if Path(found).exists() else None


def _with_probe(page: str) -> str:
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    allow = f"script-src 'sha256-{digest}'"
    if _CSP.search(page):
        page = _CSP.sub(lambda m: f"{m.group(1)}{m.group(2).rstrip('; ')}; {allow}{m.group(3)}", page, count=1)
    script = f"<script>{PROBE}</script>"
    return page.replace("</body>", script + "</body>", 1) if "</body>" in page else page + script


def render_in_chromium(path: Path | str, *, width: int = 1000, height: int = 900, timeout: float = 120) -> dict[str, Any]:
    """What headless Chromium displayed of the HTML page at `path` (see the module's docstring).

    Raises AssertionError with Chromium's own words when the page did not load or the probe did not run.
    """
    browser = chromium()
    assert browser is not None, "chromium is not installed"
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="grader-browser-") as tmp:
        copy = path.with_name(f".{path.stem}-probe.html")  # beside the page: its relative links still work
        copy.write_text(_with_probe(path.read_text(encoding="utf-8")), encoding="utf-8")
        try:
            proc = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-quic",
                 f"--window-size={width},{height}", f"--user-data-dir={tmp}", "--virtual-time-budget=5000",
                 "--dump-dom", copy.as_uri()],
                capture_output=True, text=True, timeout=timeout)
        finally:
            copy.unlink(missing_ok=True)
    found = re.search(r'<pre id="__probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the probe did not run in {path.name}: {proc.stderr[-1500:]}"
    return json.loads(html.unescape(found.group(1)))


def prairielearn_page(doc: dict[str, Any]) -> str:
    """A PrairieLearn results document laid out as PrairieLearn's grader-results element shows it."""
    e = html.escape

    def pre(label: str, value: object) -> str:
        return f"<div><strong>{label}</strong><pre>{e(str(value))}</pre></div>" if value else ""

    def figures(images: list[dict]) -> str:
        return "".join(f'<figure><figcaption><strong>{e(i.get("label") or "Figure")}</strong></figcaption>'
                       f'<img src="{e(i["url"])}"></figure>' for i in images)

    parts = [f"<h3>{'Score' if doc.get('gradable', True) else 'Invalid, not gradable'}: "
             f"{round(100 * float(doc.get('score', 0)), 2)}%</h3>"]
    parts += [f"<div class=\"alert\"><strong>Error:</strong> {e(err)}</div>" for err in doc.get("format_errors", [])]
    parts += [pre("Message", doc.get("message")), pre("Output", doc.get("output")), figures(doc.get("images", []))]
    for t in doc.get("tests", []):
        parts.append(f"<section><h4>[{t.get('points')}/{t.get('max_points')}] {e(t.get('name', ''))}</h4>"
                     f"<p><strong>Description:</strong> {e(t.get('description', ''))}</p>"
                     + pre("Message", t.get("message")) + pre("Output", t.get("output"))
                     + figures(t.get("images", [])) + "</section>")
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>PrairieLearn</title></head><body>"
            + "".join(parts) + "</body></html>")
