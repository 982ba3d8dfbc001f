"""Q2: `unfreeze_top(model, n_layers=30)`, on fresh models, with the default count and with 10.

Judged on the student's own `build_transfer_model(weights=None)` model, so that their function
finds the base the way their model holds it; where that model cannot be built or holds no
ResNet50 base (a Q1 mistake, charged there), the judge's reference model is used instead. The
probe hands back, per entry of the base's `layers` list, its `trainable` flag, whether it has
weights and whether those weights really are among the model's trainable ones (a layer flagged
trainable inside a base left frozen does not train).
"""

from __future__ import annotations

from grader.checks import NO_HINT, Message, built, fail

from . import probes
from .common import N_UNFREEZE, SMALL, checks


def _runs(obs) -> list[dict]:
    runs = built(obs, "unfreeze_top", probes.unfreeze, list(SMALL), [None, N_UNFREEZE[1]])["runs"]
    for run in runs:
        if run.get("no_base"):
            raise fail("Après `unfreeze_top`, le modèle ne contient plus de base ResNet50 : modifiez `model` sur "
                       "place (et renvoyez-le) au lieu d'en construire un autre.",
                       "After `unfreeze_top`, the model no longer holds a ResNet50 base: modify `model` in place (and "
                       "return it) instead of building another one.")
    return runs


def _count(run: dict) -> int:
    return N_UNFREEZE[0] if run["n"] is None else int(run["n"])


def _call(run: dict) -> str:
    return "unfreeze_top(model)" if run["n"] is None else f"unfreeze_top(model, {run['n']})"


def _diagnose(run: dict) -> Message:
    """What the flags look like, in words (both languages): the usual slips of a slice."""
    flags, weighted, n = run["flags"], run["weighted"], _count(run)
    total = len(flags)
    on = [i for i, f in enumerate(flags) if f]
    if on == [i for i, w in enumerate(weighted) if w][-n:]:
        return Message(f" Vous avez compté seulement les couches qui ont des poids : les {n} dernières *entrées* de "
                       "`base.layers` comptent toutes, y compris `Activation`, `Add`... (`base.layers[-n_layers:]`).",
                       f" You counted only the layers that have weights: the last {n} *entries* of `base.layers` "
                       "all count, `Activation`, `Add`... included (`base.layers[-n_layers:]`).")
    if len(on) == total:
        return Message(" Toute la base est dégelée : ne dégelez que le haut (`base.layers[-n_layers:]`), le reste "
                       "reste gelé.", " The whole base is unfrozen: unfreeze only the top (`base.layers[-n_layers:]`), "
                       "the rest stays frozen.")
    if not on:
        return Message(" Aucune couche de la base n'est marquée entraînable : mettez `layer.trainable = True` pour "
                       "les `n_layers` dernières entrées de `base.layers`.",
                       " No layer of the base is marked trainable: set `layer.trainable = True` for the last "
                       "`n_layers` entries of `base.layers`.")
    if on != list(range(total - len(on), total)):
        return Message(f" Les couches dégelées ne sont pas les dernières de la base (indices {on[:3]}...).",
                       f" The unfrozen layers are not the last ones of the base (indices {on[:3]}...).")
    if abs(len(on) - n) == 1:
        return Message(f" {len(on)} au lieu de {n} : une erreur d'une couche dans la tranche (`base.layers[-n_layers:]`).",
                       f" {len(on)} instead of {n}: an off-by-one error in the slice (`base.layers[-n_layers:]`).")
    if run["n"] is None:
        return Message(f" Vérifiez la valeur par défaut : `n_layers=30` ({len(on)} couches dégelées).",
                       f" Check the default value: `n_layers=30` ({len(on)} layers unfrozen).")
    return Message(f" {len(on)} couches dégelées au lieu de {n} : utilisez le paramètre `n_layers`.",
                   f" {len(on)} layers unfrozen instead of {n}: use the `n_layers` parameter.")


def _check_flags(run: dict) -> Message | None:
    flags, n = run["flags"], _count(run)
    expected = [False] * (len(flags) - n) + [True] * n
    if flags != expected:
        hint = _diagnose(run)
        raise fail(f"Après `{_call(run)}`, {sum(flags)} des {len(flags)} entrées de `base.layers` sont "
                   f"entraînables ; attendu exactement les {n} dernières.{hint.fr}",
                   f"After `{_call(run)}`, {sum(flags)} of the {len(flags)} entries of `base.layers` are trainable; "
                   f"expected exactly the last {n}.{hint.en}")
    if why := run["fallback"]:
        fr, en = (why.get("fr", ""), why.get("en", "")) if isinstance(why, dict) else (str(why), str(why))
        return Message(f"Correct (vérifié sur le modèle du correcteur : {fr[:200]}).",
                       f"Correct (checked on the grader's model: {en[:200]}).")
    return None


@checks("q2", weight=1.5, fr="`unfreeze_top(model)` dégèle exactement les 30 dernières entrées de la base "
        "(valeur par défaut).", en="`unfreeze_top(model)` unfreezes exactly the base's last 30 entries (default).")
def check_unfreeze_top_default_30(obs, ctx):
    return _check_flags(_runs(obs)[0])


@checks("q2", weight=1.5, fr="`unfreeze_top(model, 10)` dégèle exactement les 10 dernières entrées de la base.",
        en="`unfreeze_top(model, 10)` unfreezes exactly the base's last 10 entries.")
def check_unfreeze_top_other_count(obs, ctx):
    return _check_flags(_runs(obs)[1])


@checks("q2", weight=1, requires=("check_unfreeze_top_default_30", "check_unfreeze_top_other_count"),
        fr="Les couches dégelées ont vraiment des poids entraînables, les autres aucun.",
        en="The unfrozen layers really have trainable weights, the others none.")
def check_unfrozen_layers_really_train(obs, ctx):
    for run in _runs(obs):
        stuck = [name for name, flag, eff, w in zip(run["names"], run["flags"], run["effective"], run["weighted"],
                                                     strict=True) if w and flag and not eff]
        if stuck:
            hint = Message(" La base elle-même est encore gelée (`base.trainable = False`) : ses couches ne "
                           "s'entraînent pas, quel que soit leur propre `trainable`. Mettez d'abord "
                           "`base.trainable = True`, puis regelez les premières couches.",
                           " The base itself is still frozen (`base.trainable = False`): its layers do not train, "
                           "whatever their own `trainable`. Set `base.trainable = True` first, then freeze the "
                           "first layers again.") if run["owner_trainable"] is False else NO_HINT
            raise fail(f"Après `{_call(run)}`, {len(stuck)} couches marquées entraînables n'ont aucun poids "
                       f"entraînable dans le modèle (par exemple {', '.join(stuck[:3])}).{hint.fr}",
                       f"After `{_call(run)}`, {len(stuck)} layers flagged trainable have no trainable weight in the "
                       f"model (for example {', '.join(stuck[:3])}).{hint.en}")
        loose = [name for name, flag, eff in zip(run["names"], run["flags"], run["effective"], strict=True)
                 if eff and not flag]
        if loose:
            raise fail(f"Après `{_call(run)}`, des couches gelées ont pourtant des poids entraînables "
                       f"({', '.join(loose[:3])}).", f"After `{_call(run)}`, frozen layers have trainable weights.")


@checks("q2", weight=1, fr="La tête reste entraînable.", en="The head stays trainable.")
def check_head_stays_trainable(obs, ctx):
    for run in _runs(obs):
        if not run["head"]:
            raise fail("Aucune couche à poids après la base : la tête `Dense` a disparu.",
                       "No layer with weights after the base: the Dense head is gone.")
        frozen = [name for name, ok in run["head"] if not ok]
        if frozen:
            raise fail(f"Après `{_call(run)}`, la tête n'est plus entraînable ({', '.join(frozen)}) : ne gelez que des "
                       "couches de la base.", f"After `{_call(run)}`, the head is no longer trainable ({', '.join(frozen)}): freeze only layers "
                                              "of the base.")
