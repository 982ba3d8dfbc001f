# %% [markdown]
# # TP 1 — CNN sur CIFAR-10
#
# Vous entraînez un réseau convolutif profond (blocs convolutifs, normalisation
# par lots `BatchNormalization`, `Dropout`) qui reconnaît les 10 classes de
# CIFAR-10 (images couleur 32 x 32), avec deux callbacks qui pilotent
# l'entraînement (`EarlyStopping`, `ReduceLROnPlateau`), puis vous écrivez une
# fonction qui classe une image quelconque lue sur le disque.
# Remplacez chaque `# VOTRE CODE ICI`. **Gardez les noms indiqués**
# (`X_train`, `y_train_cat`, `class_names`, `create_cnn`, `callbacks`,
# `model_cnn`, `predict_image`...) : le correcteur les observe, teste votre
# modèle sur des images qu'il garde pour lui et appelle `predict_image` sur
# ses propres fichiers.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

# %% [markdown]
# ## Q1 — Les données
# Chargez CIFAR-10 avec `keras.datasets.cifar10.load_data()` (images
# `uint8` de forme `(n, 32, 32, 3)`, étiquettes entières de forme `(n, 1)`).
#
# - `X_train`, `X_test` : pixels en `float32` mis à l'échelle **[0, 1]** ;
# - `y_train_cat`, `y_test_cat` : étiquettes encodées en **one-hot**
#   (10 colonnes, `keras.utils.to_categorical`) ;
# - `class_names` : la liste des 10 noms de classes **dans l'ordre de
#   CIFAR-10** (l'étiquette `i` est la classe `class_names[i]`) : avion,
#   automobile, oiseau, chat, cerf, chien, grenouille, cheval, bateau, camion
#   (en anglais ou en français).

# %%
(x_train_raw, y_train), (x_test_raw, y_test) = keras.datasets.cifar10.load_data()
# BEGIN SOLUTION
X_train = x_train_raw.astype("float32") / 255.0
X_test = x_test_raw.astype("float32") / 255.0
y_train_cat = keras.utils.to_categorical(y_train, 10)
y_test_cat = keras.utils.to_categorical(y_test, 10)
class_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
# END SOLUTION
print("X_train :", X_train.shape, X_train.dtype, "valeurs dans", (float(X_train.min()), float(X_train.max())))
print("y_train_cat :", y_train_cat.shape, "| classes :", class_names)

# %%
plt.figure(figsize=(10, 2))
for i in range(10):
    plt.subplot(1, 10, i + 1)
    plt.imshow(X_train[i])
    plt.title(class_names[int(np.argmax(y_train_cat[i]))], fontsize=8)
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Q2 — Le modèle
# `create_cnn()` renvoie un **nouveau** modèle Keras à chaque appel, d'entrée
# `(32, 32, 3)` (`keras.Input`). Trois blocs convolutifs, avec 32, puis 64,
# puis 128 filtres ; chaque bloc enchaîne :
#
# 1. `Conv2D` 3 x 3, `relu`, `padding="same"` ;
# 2. `BatchNormalization` ;
# 3. `Conv2D` 3 x 3, `relu`, sans padding ;
# 4. `MaxPooling2D` 2 x 2 ;
# 5. `Dropout(0.25)`.
#
# Puis la tête de classification : `Flatten`, `Dense(512, relu)`,
# `BatchNormalization`, `Dropout(0.5)`, `Dense(256, relu)`, `Dropout(0.5)`,
# `Dense(10, softmax)`.
#
# Le modèle a 686 506 paramètres. Compilez-le (optimiseur `adam`, perte
# `categorical_crossentropy`, métrique `accuracy`) dans la fonction ou plus loin.

# %%
def create_cnn():
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    model = keras.Sequential([keras.Input(shape=(32, 32, 3))])
    for filters in (32, 64, 128):
        model.add(layers.Conv2D(filters, (3, 3), activation="relu", padding="same"))
        model.add(layers.BatchNormalization())
        model.add(layers.Conv2D(filters, (3, 3), activation="relu"))
        model.add(layers.MaxPooling2D((2, 2)))
        model.add(layers.Dropout(0.25))
    model.add(layers.Flatten())
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.BatchNormalization())
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(256, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
    # END SOLUTION


model_cnn = create_cnn()
model_cnn.summary()

# %% [markdown]
# ## Q3 — Les callbacks
# `callbacks` est une **liste** de deux callbacks :
#
# - `keras.callbacks.EarlyStopping` : arrête l'entraînement après 10 époques
#   sans amélioration de la perte de validation (`patience=10`) et restaure les
#   meilleurs poids (`restore_best_weights=True`) ;
# - `keras.callbacks.ReduceLROnPlateau` : divise le taux d'apprentissage par 2
#   (`factor=0.5`) après 5 époques sans amélioration (`patience=5`), sans
#   descendre sous `min_lr=1e-7`.

# %%
# BEGIN SOLUTION
# STUB: callbacks = []
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5, min_lr=1e-7),
]
# END SOLUTION

# %% [markdown]
# ## Q4 — Entraînement
# Entraînez `model_cnn` (compilé, voir Q2) jusqu'à 30 époques, par lots de 32
# images, en validant sur `(X_test, y_test_cat)`, avec `callbacks=callbacks`.
# Le correcteur mesure la précision de votre `model_cnn` entraîné sur des
# images de test de sa copie de CIFAR-10 que `load_data()` ne vous a pas
# données. (Sans GPU, il limite le nombre d'époques et d'images : son rapport
# dit exactement comment, et sur quelles données.)

# %%
# BEGIN SOLUTION
# STUB: history = None
history = model_cnn.fit(X_train, y_train_cat, batch_size=32, epochs=30, validation_data=(X_test, y_test_cat),
                        callbacks=callbacks)
# END SOLUTION

# %%
test_loss, test_acc = model_cnn.evaluate(X_test, y_test_cat, verbose=0)
print(f"précision sur le test : {test_acc:.4f}")

# %% [markdown]
# ## Q5 — Classer une image quelconque
# `predict_image(path)` lit le fichier image `path` (PNG, JPEG..., de
# n'importe quelle taille, en couleur ou non), le convertit en RGB et le
# redimensionne en 32 x 32 (`keras.utils.load_img(path, target_size=(32, 32))`),
# met ses pixels à l'échelle [0, 1] comme `X_train`, le fait classer par
# `model_cnn` et renvoie le tuple `(nom de la classe, confiance)` : le nom pris
# dans `class_names`, et la probabilité que le modèle donne à cette classe
# (un nombre entre 0 et 1).

# %%
def predict_image(path):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    img = keras.utils.load_img(path, target_size=(32, 32), color_mode="rgb")
    x = keras.utils.img_to_array(img).astype("float32") / 255.0
    probs = model_cnn.predict(x[np.newaxis], verbose=0)[0]
    i = int(np.argmax(probs))
    return class_names[i], float(probs[i])
    # END SOLUTION


keras.utils.save_img("exemple.png", X_test[0])
name, confidence = predict_image("exemple.png")
print(f"exemple.png : {name} ({confidence:.1%}) ; vraie classe : {class_names[int(np.argmax(y_test_cat[0]))]}")

# %% [markdown]
# ## Question écrite w1 — Améliorations possibles
# Le modèle se trompe surtout entre quelles classes ? Proposez deux améliorations
# possibles du modèle ou de l'entraînement, et dites ce que chacune devrait changer.

# %% [markdown] answer=w1
# Les confusions typiques : chat et chien, camion et automobile, cerf et cheval.
# Améliorations : augmentation de données (retournements, décalages), un réseau
# plus profond ou résiduel, plus d'époques avec la réduction du taux
# d'apprentissage, le transfer learning d'un réseau pré-entraîné.
