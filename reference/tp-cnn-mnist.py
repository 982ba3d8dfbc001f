# %% [markdown]
# # TP — CNN sur MNIST
#
# Vous entraînez un réseau convolutif (CNN) qui reconnaît les chiffres manuscrits
# de MNIST (images 28 x 28 en niveaux de gris, 10 classes), avec un arrêt
# anticipé (`EarlyStopping`), puis vous analysez ses erreurs avec une matrice de
# confusion. Remplacez chaque `# VOTRE CODE ICI`.
# **Gardez les noms indiqués** (`x_train`, `y_train`, `build_model`,
# `early_stop`, `model`, `cm`...) : le correcteur les observe et teste votre
# modèle sur des images qu'il garde pour lui.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

# %% [markdown]
# ## Q1 — Les données
# Chargez MNIST avec `keras.datasets.mnist.load_data()`. Pour `x_train` et
# `x_test` : pixels en `float32` mis à l'échelle **[0, 1]**, et un canal ajouté
# pour les convolutions, soit la forme `(nombre d'images, 28, 28, 1)`.
# Les étiquettes `y_train`, `y_test` sont encodées en **one-hot** (10 colonnes,
# `keras.utils.to_categorical`), pour la perte `categorical_crossentropy`.

# %%
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
# BEGIN SOLUTION
x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255.0
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255.0
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)
# END SOLUTION
print("x_train :", x_train.shape, x_train.dtype, "valeurs dans", (float(x_train.min()), float(x_train.max())))
print("y_train :", y_train.shape, "| première étiquette :", y_train[0])

# %%
plt.figure(figsize=(8, 2))
for i in range(8):
    plt.subplot(1, 8, i + 1)
    plt.imshow(x_train[i, :, :, 0], cmap="gray")
    plt.title(int(np.argmax(y_train[i])))
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Q2 — Le modèle
# `build_model()` renvoie un **nouveau** modèle `keras.Sequential` à chaque
# appel, compilé ou non, d'entrée `(28, 28, 1)` (`keras.Input`) :
#
# 1. `Conv2D` 32 filtres 3 x 3, `relu`, puis `MaxPooling2D` 2 x 2 ;
# 2. `Conv2D` 64 filtres 3 x 3, `relu`, puis `MaxPooling2D` 2 x 2 ;
# 3. `Conv2D` 64 filtres 3 x 3, `relu` ;
# 4. `Flatten`, `Dense` 128 `relu`, `Dropout(0.5)`, `Dense` 10 `softmax`.
#
# Le modèle a 130 890 paramètres.

# %%
def build_model():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    # END SOLUTION


model = build_model()
model.summary()

# %% [markdown]
# ## Q3 — Arrêt anticipé
# Créez `early_stop`, un callback `keras.callbacks.EarlyStopping` qui surveille
# la perte de validation (`val_loss`), patiente 3 époques sans amélioration et
# restaure les meilleurs poids à la fin (`restore_best_weights=True`).

# %%
# BEGIN SOLUTION
# STUB: early_stop = None
early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
# END SOLUTION

# %% [markdown]
# ## Q4 — Entraînement
# Compilez `model` (optimiseur `adam`, perte `categorical_crossentropy`,
# métrique `accuracy`) et entraînez-le jusqu'à 20 époques, 10 % des images
# d'entraînement servant à la validation (`validation_split=0.1`), avec
# `callbacks=[early_stop]`. Le correcteur mesure la précision de votre `model`
# entraîné sur des images que vous n'avez jamais vues.

# %%
# BEGIN SOLUTION
# STUB: history = None
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=20, batch_size=64, validation_split=0.1, callbacks=[early_stop])
# END SOLUTION

# %%
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"précision sur le test : {test_acc:.4f}")

# %% [markdown]
# ## Q5 — Matrice de confusion
# Calculez `cm`, la matrice de confusion 10 x 10 de `model` sur `x_test` :
# `cm[i, j]` est le nombre d'images de la classe `i` (vraie étiquette) que le
# modèle classe en `j` (prédiction). Ce sont des entiers ; la ligne `i` somme
# au nombre d'images de la classe `i` dans `x_test`.
# (`np.argmax` des probabilités et des étiquettes one-hot, puis comptez, ou
# `tf.math.confusion_matrix`, ou `sklearn.metrics.confusion_matrix`.)

# %%
# BEGIN SOLUTION
# STUB: cm = None
y_pred = np.argmax(model.predict(x_test, verbose=0), axis=1)
y_true = np.argmax(y_test, axis=1)
cm = np.zeros((10, 10), dtype=np.int64)
np.add.at(cm, (y_true, y_pred), 1)
# END SOLUTION

# %%
plt.figure(figsize=(6, 5))
plt.imshow(cm, cmap="Blues")
plt.xlabel("prédit")
plt.ylabel("vrai")
plt.colorbar()
plt.show()
