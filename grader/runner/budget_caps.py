"""What the training budget's caps did to one `fit`, in words: written once for both sides.

The runner's capped `Model.fit` (`grader.runner.patches`) records each cap it applied as
`{"epochs": (asked, ran), "train_size": (given, used), ...}`; the runner's note to the student and
the judge's clause in a held-out verdict both say it with `cap_words`, so the two can never
disagree. Pure Python: the runner imports it.
"""

from __future__ import annotations

from grader.numbers import group


def cap_words(record: dict) -> tuple[list[str], list[str]]:
    """(French parts, English parts): '2 époque(s) (5 demandées)', 'on 100 examples (1,000 given)', ..."""
    fr, en = [], []
    if "epochs" in record:
        asked, ran = record["epochs"]
        fr.append(f"{ran} époque(s) ({asked} demandées)")
        en.append(f"{ran} epoch(s) ({asked} asked)")
    if "train_size" in record:
        given, used = record["train_size"]
        fr.append(f"sur {group(used)} exemples ({group(given)} fournis)")
        en.append(f"on {group(used, 'en')} examples ({group(given, 'en')} given)")
    if "steps_per_epoch" in record:
        fr.append(f"{record['steps_per_epoch']} lots par époque")
        en.append(f"{record['steps_per_epoch']} batches per epoch")
    if "batch_size" in record:
        asked, used = record["batch_size"]
        fr.append(f"lots de {used} exemples ({asked} demandés)")
        en.append(f"batches of {used} examples ({asked} asked)")
    if "validation_size" in record:
        given, used = record["validation_size"]
        fr.append(f"validation sur {group(used)} exemples ({group(given)} fournis)")
        en.append(f"validation on {group(used, 'en')} examples ({group(given, 'en')} given)")
    return fr, en


def note(record: dict) -> dict[str, str]:
    """{"fr": 'Budget CPU du correcteur : entraînement limité à 2 époque(s) (5 demandées), ...', "en": ...}:
    the runner's note after a capped `fit`."""
    fr, en = cap_words(record)
    return {"fr": f"Budget {record['profile']} du correcteur : entraînement limité à " + ", ".join(fr) + ".",
            "en": f"The grader's {record['profile']} budget: training limited to " + ", ".join(en) + "."}
