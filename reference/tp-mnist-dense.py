# %% [markdown]
# # TP — Reconnaissance de chiffres manuscrits (réseau dense)
#
# Vous entraînez un premier réseau de neurones avec Keras : un perceptron à une
# couche cachée qui reconnaît les chiffres manuscrits de MNIST (images 28 x 28
# en niveaux de gris, 10 classes). Remplacez chaque `# VOTRE CODE ICI`.
# **Gardez les noms indiqués** (`x_train`, `build_model`, `model`, `history`,
# `n_params`...) : le correcteur les observe et teste votre modèle sur des
# images qu'il garde pour lui.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

# %% [markdown]
# ## Q1 — Les données
# Chargez MNIST avec `keras.datasets.mnist.load_data()`. Mettez les pixels
# (entiers de 0 à 255) à l'échelle **[0, 1]** en `float32`, pour `x_train` et
# `x_test`. Les étiquettes `y_train`, `y_test` restent des **entiers** de 0 à 9
# (pas d'encodage one-hot : la perte `sparse_categorical_crossentropy` les
# prend telles quelles).

# %%
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
# BEGIN SOLUTION
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
# END SOLUTION
print("x_train :", x_train.shape, x_train.dtype, "valeurs dans", (float(x_train.min()), float(x_train.max())))
print("x_test  :", x_test.shape, "| étiquettes :", y_train[:10])

# %%
plt.figure(figsize=(8, 2))
for i in range(8):
    plt.subplot(1, 8, i + 1)
    plt.imshow(x_train[i], cmap="gray")
    plt.title(int(y_train[i]))
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Question écrite w1 — Pourquoi normaliser les pixels ?
# **Questions :** pourquoi met-on les pixels à l'échelle [0, 1] avant
# l'entraînement ? Que se passerait-il avec les entiers de 0 à 255 ?

# %% [markdown] answer=w1
# Des entrées petites et de même échelle gardent les activations et les gradients
# dans une plage raisonnable : l'optimiseur converge plus vite et plus sûrement.
# Avec des valeurs jusqu'à 255, les sommes pondérées sont grandes, les gradients
# instables, et le taux d'apprentissage par défaut d'Adam ne convient plus.

# %% [markdown]
# ## Q2 — Le modèle
# `build_model()` renvoie un **nouveau** modèle `keras.Sequential` à chaque
# appel : entrée `(28, 28)` (`keras.Input`), `Flatten`, une couche `Dense` de
# 128 neurones activée par `relu`, puis une couche `Dense` de 10 neurones
# activée par `softmax` (une probabilité par chiffre).

# %%
def build_model():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    # END SOLUTION


model = build_model()
model.summary()

# %% [markdown]
# ## Question écrite w2 — Que fait `Flatten` ?
# **Questions :** que fait la couche `Flatten` ? Pourquoi n'a-t-elle aucun
# paramètre ? Pourquoi `softmax` sur la dernière couche ?

# %% [markdown] answer=w2
# `Flatten` met chaque image 28 x 28 à plat en un vecteur de 784 valeurs, la forme
# qu'attend une couche `Dense` ; elle ne fait que réarranger les valeurs, donc rien
# à apprendre. `softmax` transforme les 10 sorties en probabilités positives de
# somme 1, une par chiffre, ce que compare la perte d'entropie croisée.

# %% [markdown]
# ## Q3 — Compilation
# Compilez `model` avec l'optimiseur `adam`, la perte
# `sparse_categorical_crossentropy` et la métrique `accuracy`.

# %%
# BEGIN SOLUTION
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
# END SOLUTION

# %% [markdown]
# ## Q4 — Entraînement
# Entraînez `model` 5 époques sur `x_train, y_train` en suivant la précision sur
# `x_test, y_test` (`validation_data`), et gardez l'historique renvoyé par
# `fit` dans `history` : `history.history` doit contenir `accuracy` et
# `val_accuracy` pour chaque époque.

# %%
# BEGIN SOLUTION
# STUB: history = None
history = model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))
# END SOLUTION

# %%
plt.plot(history.history["accuracy"], label="entraînement")
plt.plot(history.history["val_accuracy"], label="validation")
plt.xlabel("époque")
plt.ylabel("précision")
plt.legend()
plt.show()

# %% [markdown]
# ## Q5 — Évaluation
# Évaluez `model` sur le jeu de test. Le correcteur, lui, mesure la précision
# de votre `model` entraîné sur des images que vous n'avez jamais vues.

# %%
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"précision sur le test : {test_acc:.4f}")
predictions = np.argmax(model.predict(x_test[:10], verbose=0), axis=1)
print("prédit :", predictions, "| vrai :", y_test[:10])

# %% [markdown]
# ## Q6 — Combien de paramètres le modèle contient-il ?
# Calculez-le **à la main** (poids et biais de chaque couche `Dense` ;
# `Flatten` n'en a pas) et mettez le résultat, un entier, dans `n_params`.
# Comparez ensuite avec `model.count_params()`.

# %%
# BEGIN SOLUTION
# STUB: n_params = None
n_params = (28 * 28 * 128 + 128) + (128 * 10 + 10)
# END SOLUTION
print(n_params, model.count_params())

# %% [markdown]
# ## Question écrite w3 — Améliorer le modèle
# **Questions :** citez deux façons d'améliorer la précision de ce modèle, et
# dites comment vous vérifieriez qu'elles n'entraînent pas de surapprentissage.

# %% [markdown] answer=w3
# Par exemple : plus d'époques, une couche cachée de plus ou plus large, du
# Dropout, un réseau convolutif (qui exploite la structure 2D des images).
# On compare la précision d'entraînement et celle de validation (`history`) : un
# écart qui se creuse signale le surapprentissage.
