# %% [markdown]
# # TP — Fashion-MNIST : ANN, fonctions d'activation, CNN, augmentation
#
# Fashion-MNIST remplace les chiffres de MNIST par des vêtements (images 28 x 28
# en niveaux de gris, 10 classes : t-shirt, pantalon, pull...). Vous comparez
# un réseau dense (ANN), plusieurs fonctions d'activation et un réseau
# convolutif (CNN), puis vous préparez une augmentation de données.
# Remplacez chaque `# VOTRE CODE ICI`. **Gardez les noms indiqués**
# (`X_train`, `y_train_cat`, `build_ann`, `build_activation_model`,
# `activation_results`, `build_cnn`, `cnn`, `cm`, `datagen`) : le correcteur
# les observe et teste votre `cnn` sur des images qu'il garde pour lui.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

CLASSES = ["T-shirt", "Pantalon", "Pull", "Robe", "Manteau", "Sandale", "Chemise", "Basket", "Sac", "Bottine"]

# %% [markdown]
# ## Q1 — Les données
# Chargez Fashion-MNIST avec `keras.datasets.fashion_mnist.load_data()`.
# Mettez les pixels (entiers de 0 à 255) à l'échelle **[0, 1]** en `float32`
# dans `X_train` et `X_test` (forme `(n, 28, 28)`), et encodez les étiquettes
# en **one-hot** de largeur 10 dans `y_train_cat` et `y_test_cat`
# (`keras.utils.to_categorical`).

# %%
(X_train, y_train), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
# BEGIN SOLUTION
X_train = X_train.astype("float32") / 255.0
X_test = X_test.astype("float32") / 255.0
y_train_cat = keras.utils.to_categorical(y_train, 10)
y_test_cat = keras.utils.to_categorical(y_test, 10)
# END SOLUTION
print("X_train :", X_train.shape, X_train.dtype, "| y_train_cat :", y_train_cat.shape)

# %%
plt.figure(figsize=(10, 2))
for i in range(8):
    plt.subplot(1, 8, i + 1)
    plt.imshow(X_train[i], cmap="gray")
    plt.title(CLASSES[int(y_train[i])], fontsize=8)
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Q2 — Un réseau dense (ANN)
# `build_ann()` renvoie un **nouveau** modèle à chaque appel : entrée
# `(28, 28)`, `Flatten`, `Dense(128, relu)`, `Dropout(0.2)`, `Dense(64, relu)`,
# `Dense(10, softmax)`. Comptez ses paramètres : 109 386.

# %%
def build_ann():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    # END SOLUTION


ann = build_ann()
ann.summary()

# %% [markdown]
# ## Q3 — Comparer les fonctions d'activation
# `build_activation_model(activation)` reçoit l'une des chaînes `"sigmoid"`,
# `"tanh"`, `"relu"`, `"leaky_relu"` et renvoie le même réseau que `build_ann`
# (le `Dropout(0.2)` est facultatif) avec cette activation dans **les deux
# couches cachées**. Pour `"leaky_relu"`, mettez une couche
# `layers.LeakyReLU(negative_slope=0.1)` après chaque `Dense` cachée (sans
# activation) : la chaîne `"leaky_relu"` de Keras a une pente de 0.2.
#
# Entraînez chaque modèle (`adam`, `categorical_crossentropy`, `accuracy`) avec
# une validation, et rangez sa précision de validation finale dans
# `activation_results[activation]` (un nombre entre 0 et 1).

# %%
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu"]


def build_activation_model(activation):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten()])
    for units in (128, 64):
        if activation == "leaky_relu":
            model.add(layers.Dense(units))
            model.add(layers.LeakyReLU(negative_slope=0.1))
        else:
            model.add(layers.Dense(units, activation=activation))
    model.add(layers.Dense(10, activation="softmax"))
    return model
    # END SOLUTION


activation_results = {}
for activation in ACTIVATIONS:
    # BEGIN SOLUTION
    # STUB: pass
    model = build_activation_model(activation)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(X_train, y_train_cat, epochs=5, batch_size=128, validation_data=(X_test, y_test_cat), verbose=0)
    activation_results[activation] = float(h.history["val_accuracy"][-1])
    # END SOLUTION
print(activation_results)

# %%
plt.bar(list(activation_results), list(activation_results.values()))
plt.ylabel("précision de validation")
plt.show()

# %% [markdown]
# ## Question écrite w1 — ReLU et Softmax
# Quelle est la différence entre ReLU et Softmax ? Où utilise-t-on chacune, et
# laquelle des quatre activations de Q3 a donné la meilleure précision ici ?

# %% [markdown] answer=w1
# ReLU (max(0, x)) agit élément par élément dans les couches cachées : non
# linéaire, pas de saturation pour x > 0, gradients qui ne s'évanouissent pas.
# Softmax agit sur tout le vecteur de sortie et en fait des probabilités de somme
# 1 : couche de sortie d'un classifieur multi-classe. ReLU ou leaky ReLU donnent
# en général la meilleure précision, sigmoïde la moins bonne.

# %% [markdown]
# ## Q4 — Un réseau convolutif (CNN)
# `build_cnn()` renvoie un nouveau modèle : entrée `(28, 28, 1)`,
# `Conv2D(32, 3, relu)`, `MaxPooling2D(2)`, `Conv2D(64, 3, relu)`,
# `MaxPooling2D(2)`, `Flatten`, `Dense(128, relu)`, `Dropout(0.3)`,
# `Dense(10, softmax)` : 225 034 paramètres. Le CNN attend un canal : donnez-lui
# `X_train.reshape(-1, 28, 28, 1)`.

# %%
def build_cnn():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ])
    # END SOLUTION


X_train_cnn = X_train.reshape(-1, 28, 28, 1)
X_test_cnn = X_test.reshape(-1, 28, 28, 1)

# %% [markdown]
# ## Q5 — Entraîner le CNN
# Créez `cnn = build_cnn()`, compilez-le (`adam`, `categorical_crossentropy`,
# `accuracy`) et entraînez-le 10 époques avec une validation. Le correcteur
# mesure la précision de votre `cnn` entraîné sur des images que vous n'avez
# jamais vues.

# %%
# BEGIN SOLUTION
# STUB: cnn = None
cnn = build_cnn()
cnn.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = cnn.fit(X_train_cnn, y_train_cat, epochs=10, batch_size=64, validation_split=0.1, verbose=0)
# END SOLUTION
test_loss, test_acc = cnn.evaluate(X_test_cnn, y_test_cat, verbose=0)
print(f"précision du CNN sur le test : {test_acc:.4f}")

# %% [markdown]
# ## Q6 — Matrice de confusion
# Calculez `cm`, la matrice de confusion 10 x 10 du `cnn` sur **tout**
# `X_test` : `cm[i, j]` compte les images de la vraie classe `i` prédites
# `j` (entiers ; chaque ligne somme au nombre d'images de sa classe).
# `sklearn.metrics.confusion_matrix(y_true, y_pred)` ou
# `tf.math.confusion_matrix` conviennent aussi.

# %%
# BEGIN SOLUTION
# STUB: cm = None
y_pred = np.argmax(cnn.predict(X_test_cnn, verbose=0), axis=1)
y_true = np.argmax(y_test_cat, axis=1)
cm = np.zeros((10, 10), dtype=int)
np.add.at(cm, (y_true, y_pred), 1)
# END SOLUTION
plt.imshow(cm, cmap="Blues")
plt.xticks(range(10), CLASSES, rotation=90)
plt.yticks(range(10), CLASSES)
plt.xlabel("prédit")
plt.ylabel("vrai")
plt.colorbar()
plt.show()

# %% [markdown]
# ## Q7 — Augmentation de données
# Définissez `datagen`, une augmentation avec une rotation de 10 degrés, un
# zoom de 0.1 et un retournement horizontal : soit
# `ImageDataGenerator(rotation_range=10, zoom_range=0.1, horizontal_flip=True)`
# (`tensorflow.keras.preprocessing.image`), soit un `keras.Sequential` de
# couches `RandomRotation`, `RandomZoom(0.1)`, `RandomFlip("horizontal")`.
# Attention : le facteur de `RandomRotation` est une **fraction de tour**.

# %%
# BEGIN SOLUTION
# STUB: datagen = None
datagen = keras.Sequential([
    layers.RandomRotation(10 / 360),
    layers.RandomZoom(0.1),
    layers.RandomFlip("horizontal"),
])
# END SOLUTION

# %%
augmented = datagen(X_train_cnn[:8], training=True) if callable(datagen) else next(datagen.flow(X_train_cnn[:8],
                                                                                                 shuffle=False))
plt.figure(figsize=(10, 2))
for i in range(8):
    plt.subplot(1, 8, i + 1)
    plt.imshow(np.asarray(augmented[i]).reshape(28, 28), cmap="gray")
    plt.axis("off")
plt.show()
