"""What the training budget's caps did to one `fit`, in words: written once for both sides.

The runner's capped `Model.fit` (`grader.runner.patches`) records each cap it applied as
`{"epochs": (asked, ran), "train_size": (given, used), ...}`; the runner's note to the student and
the judge's clause in a held-out verdict both say it with `cap_words`, so the two can never
disagree. Pure Python: the runner imports it.
"""

from __future__ import annotations

from grader.numbers import group

#: Each cap a record may hold, with how to say (asked or given, what ran) in French and English.
_CAPS = (
    ("epochs", "{ran} époque(s) ({asked} demandées)", "{ran} epoch(s) ({asked} asked)"),
    ("train_size", "sur {ran} exemples ({asked} fournis)", "on {ran} examples ({asked} given)"),
    ("steps_per_epoch", "{ran} lots par époque", "{ran} batches per epoch"),
    ("batch_size", "lots de {ran} exemples ({asked} demandés)", "batches of {ran} examples ({asked} asked)"),
    ("validation_size", "validation sur {ran} exemples ({asked} fournis)",
     "validation on {ran} examples ({asked} given)"),
)


def cap_words(record: dict) -> tuple[list[str], list[str]]:
    """(French parts, English parts): '2 époque(s) (5 demandées)', 'on 100 examples (1,000 given)', ..."""
    fr, en = [], []
    for key, said_fr, said_en in _CAPS:
        if key not in record:
            continue
        asked, ran = (None, record[key]) if key == "steps_per_epoch" else record[key]
        numbers = {lang: {"asked": group(asked, lang) if asked is not None else "", "ran": group(ran, lang)}
                   for lang in ("fr", "en")}
        fr.append(said_fr.format(**numbers["fr"]))
        en.append(said_en.format(**numbers["en"]))
    return fr, en


def note(record: dict) -> dict[str, str]:
    """{"fr": 'Budget CPU du correcteur : entraînement limité à 2 époque(s) (5 demandées), ...', "en": ...}:
    the runner's note after a capped `fit`."""
    fr, en = cap_words(record)
    return {"fr": f"Budget {record['profile']} du correcteur : entraînement limité à " + ", ".join(fr) + ".",
            "en": f"The grader's {record['profile']} budget: training limited to " + ", ".join(en) + "."}
