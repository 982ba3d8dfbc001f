"""Q3: `early_stop`, observed through the attributes Keras keeps on an EarlyStopping callback."""

from __future__ import annotations

from grader.checks import NO_HINT, Message, fail
from grader.checks.probes import callbacks

from .common import checks

KEYS = ("monitor", "patience", "restore_best_weights", "mode", "min_delta", "baseline", "start_from_epoch")

def _callback(obs) -> dict:
    info = obs.memo(("early_stop",), lambda: obs.run(callbacks.describe, "early_stop", list(KEYS)))
    if not any(name.endswith(".EarlyStopping") for name in info["mro"]):
        hint = Message(" C'est une liste : gardez le callback lui-même dans `early_stop` et passez "
                       "`callbacks=[early_stop]` à `fit`.",
                       " This is a list: keep the callback itself in `early_stop` and pass "
                       "`callbacks=[early_stop]` to `fit`.") if info.get("items") else NO_HINT
        raise fail(f"`early_stop` est de type {info['type']} ; attendu `keras.callbacks.EarlyStopping(...)`.{hint.fr}",
                   f"`early_stop` is a {info['type']}; expected `keras.callbacks.EarlyStopping(...)`.{hint.en}")
    return info


@checks("q3", public=True, weight=0.5, fr="`early_stop` est un callback EarlyStopping.", en="`early_stop` is an EarlyStopping.")
def check_early_stop_is_early_stopping(obs, ctx):
    _callback(obs)


@checks("q3", public=True, requires=("check_early_stop_is_early_stopping",), fr="Surveille `val_loss`.",
        en="Monitors `val_loss`.")
def check_early_stop_monitors_val_loss(obs, ctx):
    info = _callback(obs)
    if info["monitor"] != "val_loss":
        hint = (Message(" C'est la perte d'entraînement : surveillez celle de validation.",
                        " This is the training loss: monitor the validation one.") if info["monitor"] == "loss"
                else Message(" Le TP demande la perte de validation, pas la précision.",
                             " The TP asks for the validation loss, not the accuracy.")
                if "acc" in str(info["monitor"]) else NO_HINT)
        raise fail(f"`early_stop` surveille `{info['monitor']}` ; attendu `monitor='val_loss'`.{hint.fr}",
                   f"`early_stop` monitors `{info['monitor']}`; expected `monitor='val_loss'`.{hint.en}")
    if info.get("mode") not in (None, "auto", "min"):
        raise fail(f"`early_stop` a `mode='{info['mode']}'` : une perte doit diminuer, gardez `mode='auto'` ou "
                   "`'min'`.", f"`early_stop` has mode '{info['mode']}'; a loss must decrease ('auto' or 'min').")


@checks("q3", public=True, requires=("check_early_stop_is_early_stopping",), fr="Patience de 3 époques.",
        en="Patience of 3 epochs.")
def check_early_stop_patience_is_3(obs, ctx):
    info = _callback(obs)
    if info["patience"] != 3:
        raise fail(f"`early_stop` a une patience de {info['patience']} ; attendu `patience=3`.",
                   f"`early_stop` has patience {info['patience']}; expected `patience=3`.")


@checks("q3", public=True, requires=("check_early_stop_is_early_stopping",), fr="Restaure les meilleurs poids.",
        en="Restores the best weights.")
def check_early_stop_restores_best_weights(obs, ctx):
    info = _callback(obs)
    if info["restore_best_weights"] is not True:
        raise fail("`early_stop` ne restaure pas les meilleurs poids : sans `restore_best_weights=True`, le modèle "
                   "garde les poids de la dernière époque, après les 3 époques sans amélioration.",
                   "`early_stop` does not restore the best weights: without `restore_best_weights=True`, the model keeps "
                   "the weights of the last epoch, after the 3 epochs without improvement.")
