"""The little markdown our messages use — `code`, **bold**, *emphasis* — for each kind of reader;
and a student's own markdown (a written answer) rendered as they saw it, made inert.

Check authors write "Réduisez sur **tous** les axes" or "`flat` a la forme (10, 3)". An HTML report
shows them as <strong> and <code>; PrairieLearn shows a test's `message` as plain text in a <pre>
(its `pl-external-grader-results` element escapes it), so there the markers are removed rather
than shown raw; Gradescope's `md` outputs keep them. Inside a code span nothing is emphasis
(`x * 255`, `W -= lr * dW`), and a lone `*` between spaces stays a multiplication.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

_CODE = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")


def _spans(text: str, code: Callable[[str], str], prose: Callable[[str], str]) -> str:
    """`text` with its code spans given to `code` and everything between them to `prose`."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out += [prose(text[last:m.start()]), code(m.group(1))]
        last = m.end()
    out.append(prose(text[last:]))
    return "".join(out)


def _emphasis(text: str, strong: str, em: str) -> str:
    return _EMPHASIS.sub(em, _STRONG.sub(strong, text))


def to_html(text: str) -> Markup:
    """Escaped HTML: code spans as <code>, **x** as <strong>, *x* as <em>; nothing else is markup."""
    return Markup(_spans(str(text),
                         lambda c: f"<code>{escape(c)}</code>",
                         lambda p: _emphasis(str(escape(p)), r"<strong>\1</strong>", r"<em>\1</em>")))


def to_plain(text: str) -> str:
    """The same text without its markers, for readers that show text as it is (PrairieLearn)."""
    return _spans(str(text), lambda c: c, lambda p: _emphasis(p, r"\1", r"\1"))


#: what a student's rendered markdown may keep: text structure only (no link, image, form, style, script)
STUDENT_TAGS = frozenset({"p", "br", "hr", "strong", "em", "b", "i", "u", "del", "s", "sub", "sup", "code", "pre",
                          "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
                          "tbody", "tr", "th", "td", "span", "div"})


def student_markdown(text: str) -> Markup:
    """A student's markdown cell as HTML, the way Jupyter showed it to them (paragraphs, lists, bold,
    code, tables, their own inline HTML), then sanitised to structure alone: no attribute survives, a
    link keeps its words but not its target, an image or a script is dropped; nothing loads or runs."""
    import bleach
    import mistune

    rendered = mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])(str(text))
    return Markup(bleach.clean(str(rendered), tags=STUDENT_TAGS, attributes={}, protocols=[], strip=True,
                               strip_comments=True))
