# %% [markdown]
# # TP 1 — Comparaison LSTM vs CNN sur MNIST
#
# Une image MNIST (28 x 28 pixels en niveaux de gris) peut se lire de deux façons :
# comme une **image**, que parcourt un réseau convolutif (CNN), ou comme une
# **séquence** de 28 lignes de 28 pixels, que lit un réseau récurrent (LSTM).
# Vous construisez les deux modèles, les entraînez sur les mêmes chiffres, puis
# comparez leur précision, leur temps d'entraînement et leur nombre de paramètres.
# Remplacez chaque `# VOTRE CODE ICI`.
# **Gardez les noms indiqués** (`X_train_cnn`, `X_train_rnn`, `y_train_cat`,
# `create_cnn_model`, `create_rnn_model`, `model_cnn`, `model_rnn`, `comparison`...) :
# le correcteur les observe et teste vos modèles sur des images qu'il garde pour lui.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

# %% [markdown]
# ## Q1 — Les données, sous deux formes
# Chargez MNIST avec `keras.datasets.mnist.load_data()` et mettez les pixels en
# `float32` à l'échelle **[0, 1]**. Préparez deux versions des images :
#
# - pour le CNN, `X_train_cnn` et `X_test_cnn`, de forme `(nombre d'images, 28, 28, 1)`
#   (un canal ajouté pour les convolutions) ;
# - pour le LSTM, `X_train_rnn` et `X_test_rnn`, de forme `(nombre d'images, 28, 28)` :
#   une séquence de 28 pas de temps (les lignes), chacun de 28 valeurs (les pixels).
#
# Les étiquettes `y_train_cat` et `y_test_cat` sont encodées en **one-hot**
# (10 colonnes, `keras.utils.to_categorical`), pour la perte `categorical_crossentropy`.

# %%
(X_train, y_train), (X_test, y_test) = keras.datasets.mnist.load_data()
# BEGIN SOLUTION
X_train = X_train.astype("float32") / 255.0
X_test = X_test.astype("float32") / 255.0
X_train_cnn = X_train.reshape(-1, 28, 28, 1)
X_test_cnn = X_test.reshape(-1, 28, 28, 1)
X_train_rnn = X_train.reshape(-1, 28, 28)
X_test_rnn = X_test.reshape(-1, 28, 28)
y_train_cat = keras.utils.to_categorical(y_train, 10)
y_test_cat = keras.utils.to_categorical(y_test, 10)
# END SOLUTION
print("CNN :", X_train_cnn.shape, "| LSTM :", X_train_rnn.shape, "| étiquettes :", y_train_cat.shape)
print("valeurs dans", (float(X_train_cnn.min()), float(X_train_cnn.max())))

# %%
plt.figure(figsize=(8, 2))
for i in range(8):
    plt.subplot(1, 8, i + 1)
    plt.imshow(X_train_rnn[i], cmap="gray")
    plt.title(int(np.argmax(y_train_cat[i])))
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Q2 — Le CNN
# `create_cnn_model()` renvoie un **nouveau** modèle `keras.Sequential` compilé
# (optimiseur `adam`, perte `categorical_crossentropy`, métrique `accuracy`)
# à chaque appel, d'entrée `(28, 28, 1)` (`keras.Input`) :
#
# 1. `Conv2D` 32 filtres 3 x 3, `relu`, `BatchNormalization`, `MaxPooling2D` 2 x 2 ;
# 2. `Conv2D` 64 filtres 3 x 3, `relu`, `BatchNormalization`, `MaxPooling2D` 2 x 2 ;
# 3. `Flatten`, `Dense` 128 `relu`, `Dropout(0.5)`, `Dense` 10 `softmax`.
#
# Le modèle a 225 418 paramètres, dont 192 non entraînables (les moyennes et
# variances mobiles des `BatchNormalization`).

# %%
def create_cnn_model():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
    # END SOLUTION


create_cnn_model().summary()

# %% [markdown]
# ## Q3 — Le LSTM
# `create_rnn_model()` renvoie un **nouveau** modèle `keras.Sequential` compilé
# de la même façon, d'entrée `(28, 28)` : 28 pas de temps de 28 valeurs.
#
# 1. `LSTM` 128 unités avec `return_sequences=True` (il transmet toute la
#    séquence à la couche suivante), puis `Dropout(0.2)` ;
# 2. `LSTM` 64 unités (seul son dernier état sort), puis `Dropout(0.2)` ;
# 3. `Dense` 128 `relu`, `Dropout(0.5)`, `Dense` 10 `softmax`.
#
# Le modèle a 139 402 paramètres.

# %%
def create_rnn_model():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.LSTM(128, return_sequences=True),
        layers.Dropout(0.2),
        layers.LSTM(64),
        layers.Dropout(0.2),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
    # END SOLUTION


create_rnn_model().summary()

# %% [markdown]
# ## Q4 — Entraînement des deux modèles
# Créez `model_cnn = create_cnn_model()` et `model_rnn = create_rnn_model()`, puis
# entraînez chacun 10 époques par lots de 32 images, 10 % des images
# d'entraînement servant à la validation (`validation_split=0.1`), chacun sur
# ses propres données (`X_train_cnn` ou `X_train_rnn`). Mesurez la durée de chaque
# `fit` avec `time.time()` : vous en aurez besoin en Q5. Le correcteur mesure la
# précision de vos deux modèles entraînés sur des images que vous n'avez jamais vues.

# %%
# BEGIN SOLUTION
# STUB: model_cnn = None
# STUB: model_rnn = None
model_cnn = create_cnn_model()
start = time.time()
history_cnn = model_cnn.fit(X_train_cnn, y_train_cat, epochs=10, batch_size=32, validation_split=0.1, verbose=2)
time_cnn = time.time() - start

model_rnn = create_rnn_model()
start = time.time()
history_rnn = model_rnn.fit(X_train_rnn, y_train_cat, epochs=10, batch_size=32, validation_split=0.1, verbose=2)
time_rnn = time.time() - start
# END SOLUTION

# %% [markdown]
# ## Q5 — Comparaison
# Évaluez les deux modèles sur leur jeu de test (`model.evaluate`) et rangez les
# résultats dans le dictionnaire `comparison` :
#
# ```python
# comparison = {
#     "cnn": {"accuracy": ..., "train_time_s": ..., "params": ...},
#     "rnn": {"accuracy": ..., "train_time_s": ..., "params": ...},
# }
# ```
#
# `accuracy` est la précision du modèle sur `X_test_cnn` (ou `X_test_rnn`),
# `train_time_s` la durée de son entraînement en secondes, `params` son nombre de
# paramètres (`count_params()`).

# %%
# BEGIN SOLUTION
# STUB: comparison = None
_, acc_cnn = model_cnn.evaluate(X_test_cnn, y_test_cat, verbose=0)
_, acc_rnn = model_rnn.evaluate(X_test_rnn, y_test_cat, verbose=0)
comparison = {
    "cnn": {"accuracy": float(acc_cnn), "train_time_s": time_cnn, "params": model_cnn.count_params()},
    "rnn": {"accuracy": float(acc_rnn), "train_time_s": time_rnn, "params": model_rnn.count_params()},
}
# END SOLUTION
for name, row in comparison.items():
    print(f"{name.upper():4s} précision {row['accuracy']:.4f} | {row['train_time_s']:.1f} s | "
          f"{row['params']:,} paramètres")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
for ax, key, title in zip(axes, ("accuracy", "train_time_s", "params"),
                          ("précision sur le test", "temps d'entraînement (s)", "paramètres"), strict=True):
    ax.bar(["CNN", "LSTM"], [comparison["cnn"][key], comparison["rnn"][key]], color=["tab:blue", "tab:orange"])
    ax.set_title(title)
plt.show()

# %% [markdown]
# ## Question écrite w1 — CNN ou LSTM ?
# D'après `comparison`, quel modèle est le plus précis, lequel s'entraîne le plus
# vite, lequel a le moins de paramètres ? Expliquez pourquoi un CNN convient
# mieux aux images qu'un LSTM qui les lit ligne par ligne.

# %% [markdown] answer=w1
# Le CNN est en général plus précis et bien plus rapide ; le LSTM a moins de
# paramètres mais ses 28 pas de temps sont séquentiels. Les convolutions
# exploitent la localité 2D et l'invariance par translation ; le LSTM ne voit
# qu'une ligne à la fois et doit mémoriser la structure verticale.

# %% [markdown]
# ## Question écrite w2 — Quel modèle pour le temps réel ?
# Pour une application en temps réel (reconnaître des chiffres sur une caméra),
# quel modèle choisiriez-vous, et pourquoi ?

# %% [markdown] answer=w2
# Le CNN : sa prédiction se parallélise (pas de récurrence), elle est plus rapide
# par image et plus précise ; le LSTM, séquentiel, a une latence plus grande.
