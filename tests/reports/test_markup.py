"""The markdown of our messages, as each reader needs it (`grader.reports.markup`)."""

from grader.reports.markup import to_html, to_plain


def test_html_renders_code_bold_and_emphasis_and_escapes_the_rest():
    html = to_html("Réduisez sur **tous** les axes : `tf.reduce_mean(x)` <b>, *logits* & co")
    assert html == ("Réduisez sur <strong>tous</strong> les axes : <code>tf.reduce_mean(x)</code> &lt;b&gt;, "
                    "<em>logits</em> &amp; co")


def test_a_star_in_code_or_between_spaces_is_no_emphasis():
    assert to_html("`x * 255` puis W -= lr * dW et 4 x n x (d + n + 1)") == \
        "<code>x * 255</code> puis W -= lr * dW et 4 x n x (d + n + 1)"
    assert to_html("`**kwargs` reste du code") == "<code>**kwargs</code> reste du code"
    assert to_plain("`x * y` vaut 2 * 3") == "x * y vaut 2 * 3"


def test_plain_text_drops_the_markers_only():
    assert to_plain("These must be the **first** five images: `batch[:5]`.") == \
        "These must be the first five images: batch[:5]."
    assert to_plain("créez le modèle *dans* la fonction") == "créez le modèle dans la fonction"
    assert to_plain("no markers <here>") == "no markers <here>"
