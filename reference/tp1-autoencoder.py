# %% [markdown]
# # TP — Autoencodeur dense sur CIFAR-10
#
# Un autoencodeur apprend à **reconstruire** son entrée en la faisant passer par un
# goulot d'étranglement (le *code*, ou espace latent) : l'encodeur compresse
# chaque image 32 x 32 x 3 (3 072 valeurs) en un vecteur de 64 nombres, le
# décodeur reconstruit l'image à partir de ce vecteur. Il s'entraîne sans
# étiquettes : la cible est l'image elle-même. Remplacez chaque `# VOTRE CODE ICI`.
# **Gardez les noms indiqués** (`x_train`, `x_test`, `autoencoder`, `encoder`) :
# le correcteur les observe et mesure l'erreur de reconstruction de votre modèle
# sur des images qu'il garde pour lui.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

# %% [markdown]
# ## Q1 — Les données
# Chargez CIFAR-10 avec `keras.datasets.cifar10.load_data()` (les étiquettes ne
# servent pas ici). Pour `x_train` et `x_test` : pixels en `float32` mis à
# l'échelle **[0, 1]**, puis chaque image **aplatie** en un vecteur de
# 32 x 32 x 3 = 3 072 valeurs, soit la forme `(nombre d'images, 3072)`.

# %%
(x_train, _), (x_test, _) = keras.datasets.cifar10.load_data()
# BEGIN SOLUTION
x_train = x_train.astype("float32").reshape(-1, 3072) / 255.0
x_test = x_test.astype("float32").reshape(-1, 3072) / 255.0
# END SOLUTION
print("x_train :", x_train.shape, x_train.dtype, "valeurs dans", (float(x_train.min()), float(x_train.max())))
print("x_test  :", x_test.shape)

# %% [markdown]
# ## Q2 — L'autoencodeur
# Construisez `autoencoder`, un modèle Keras d'entrée `keras.Input(shape=(3072,))`
# fait de couches `Dense` :
#
# - l'**encodeur** : 1024 puis 512 neurones, puis le **goulot** de 64 neurones,
#   tous en `relu` ;
# - le **décodeur** : 512 puis 1024 neurones en `relu`, puis 3 072 neurones en
#   `sigmoid` (une valeur dans [0, 1] par pixel, comme les images).
#
# Le modèle a 7 411 776 paramètres. Compilez-le avec l'optimiseur `adam` et la
# perte `mse` (erreur quadratique moyenne entre l'image et sa reconstruction).

# %%
# BEGIN SOLUTION
# STUB: autoencoder = None
input_img = keras.Input(shape=(3072,))
encoded = layers.Dense(1024, activation="relu")(input_img)
encoded = layers.Dense(512, activation="relu")(encoded)
encoded = layers.Dense(64, activation="relu")(encoded)
decoded = layers.Dense(512, activation="relu")(encoded)
decoded = layers.Dense(1024, activation="relu")(decoded)
decoded = layers.Dense(3072, activation="sigmoid")(decoded)
autoencoder = keras.Model(input_img, decoded)
autoencoder.compile(optimizer="adam", loss="mse")
# END SOLUTION
autoencoder.summary()

# %% [markdown]
# ## Q3 — L'encodeur
# Définissez `encoder`, le modèle qui va de l'entrée de l'autoencodeur jusqu'à
# son goulot de 64 neurones. Il doit **partager ses poids** avec `autoencoder`
# (mêmes couches, pas de nouvelles couches) : une fois l'autoencodeur entraîné,
# `encoder.predict(x)` donne directement le code de chaque image.

# %%
# BEGIN SOLUTION
# STUB: encoder = None
encoder = keras.Model(input_img, encoded)
# END SOLUTION
print("code :", encoder.output_shape)

# %% [markdown]
# ## Q4 — Entraînement
# Entraînez `autoencoder` à reconstruire ses entrées : les images sont à la fois
# l'entrée et la cible (`fit(x_train, x_train, ...)`), 5 époques, lots de 256,
# avec `validation_data=(x_test, x_test)`. Le correcteur mesure l'erreur
# quadratique moyenne de reconstruction de votre `autoencoder` entraîné sur des
# images que vous n'avez jamais vues.

# %%
# BEGIN SOLUTION
# STUB: history = None
history = autoencoder.fit(x_train, x_train, epochs=5, batch_size=256, shuffle=True,
                          validation_data=(x_test, x_test))
# END SOLUTION

# %%
decoded_imgs = autoencoder.predict(x_test[:10], verbose=0)
codes = encoder.predict(x_test[:10], verbose=0)
print("codes :", codes.shape, "| MSE sur ces 10 images :", float(np.mean((decoded_imgs - x_test[:10]) ** 2)))
plt.figure(figsize=(12, 3))
for i in range(10):
    plt.subplot(2, 10, i + 1)
    plt.imshow(x_test[i].reshape(32, 32, 3))
    plt.axis("off")
    plt.subplot(2, 10, i + 11)
    plt.imshow(decoded_imgs[i].reshape(32, 32, 3))
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Question écrite w1 — Améliorer la reconstruction
# Les images reconstruites sont floues : pourquoi ? Proposez deux améliorations
# de l'autoencodeur.

# %% [markdown] answer=w1
# Le goulot de 64 dimensions ne garde que l'essentiel (3 072 -> 64) et la perte MSE
# moyenne les détails, d'où le flou. Améliorations : un autoencodeur convolutif,
# un goulot plus large, plus d'époques, une perte perceptuelle ou SSIM.
