# %% [markdown]
# # TP — Transfer learning avec ResNet50
#
# Vous réutilisez un réseau **ResNet50** pré-entraîné sur ImageNet pour un problème
# de classification **binaire** (par exemple chats / chiens) : on garde la base
# convolutive, on la gèle, on lui ajoute une petite tête de classification, puis
# on « dégèle » ses dernières couches pour un réglage fin (*fine-tuning*) avec un
# très petit taux d'apprentissage. Remplacez chaque `# VOTRE CODE ICI`.
#
# **Gardez les noms et les signatures indiqués** (`build_transfer_model`,
# `unfreeze_top`, `compile_for_finetuning`, `make_datasets`) : le correcteur
# appelle vos fonctions lui-même.
#
# *Sur la machine de correction il n'y a pas de réseau, donc pas de poids
# ImageNet* : le correcteur appelle `build_transfer_model(weights=None, ...)`
# (même architecture, poids aléatoires) avec de petites images pour aller vite,
# et fabrique lui-même un petit dossier d'images pour `make_datasets`. Votre
# fonction doit donc transmettre `weights` et `input_shape` à `ResNet50`. Les
# cellules d'entraînement plus bas ne tournent que si le dossier d'images existe :
# chez le correcteur, elles sont simplement sautées.

# %%
import os

import keras
import numpy as np
from keras import layers
from keras.applications import ResNet50
from keras.applications.resnet50 import preprocess_input

# %% [markdown]
# ## Q1 — Le modèle de transfert
# `build_transfer_model(weights="imagenet", input_shape=(224, 224, 3))` renvoie un
# **nouveau** modèle Keras :
#
# 1. une entrée `keras.Input(shape=input_shape)` recevant des images RGB aux
#    pixels dans [0, 255] ;
# 2. `preprocess_input` de `keras.applications.resnet50` appliqué **dans le
#    modèle** (le modèle reçoit des images brutes : c'est lui qui les prépare
#    comme ResNet50 l'attend) ;
# 3. la base `ResNet50(weights=weights, include_top=False, input_shape=input_shape)`,
#    **gelée** (`base.trainable = False`) ;
# 4. `GlobalAveragePooling2D`, puis `Dense(1, activation="sigmoid")`.
#
# Seule la tête (la couche `Dense`, 2 049 paramètres) est entraînable.

# %%
def build_transfer_model(weights="imagenet", input_shape=(224, 224, 3)):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    base = ResNet50(weights=weights, include_top=False, input_shape=input_shape)
    base.trainable = False
    inputs = keras.Input(shape=input_shape)
    x = preprocess_input(inputs)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)
    # END SOLUTION


# %% [markdown]
# Sans réseau (sur la machine de correction par exemple), les poids ImageNet ne
# peuvent pas être téléchargés : on construit alors la même architecture avec
# des poids aléatoires, pour pouvoir continuer.

# %%
try:
    model = build_transfer_model()
except Exception as error:  # pas de réseau : pas de poids ImageNet
    print("Poids ImageNet indisponibles, poids aléatoires à la place :", str(error)[:120])
    model = build_transfer_model(weights=None)
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"{model.count_params():,} paramètres dont {trainable:,} entraînables")

# %% [markdown]
# ## Q2 — Dégeler le haut de la base
# `unfreeze_top(model, n_layers=30)` rend entraînables **exactement les
# `n_layers` dernières entrées** de la liste `layers` de la base ResNet50 du
# modèle (les couches sans poids, comme `Activation` ou `Add`, comptent aussi),
# garde gelé tout le reste de la base, et laisse la tête entraînable. Pensez à
# rendre d'abord la base elle-même entraînable (`base.trainable = True`) : une
# couche dont la base est gelée ne s'entraîne pas. La fonction modifie `model`
# et le renvoie.

# %%
def unfreeze_top(model, n_layers=30):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    base = model.get_layer("resnet50")
    base.trainable = True
    for layer in base.layers[:-n_layers]:
        layer.trainable = False
    return model
    # END SOLUTION


# %% [markdown]
# ## Q3 — Compiler pour le réglage fin
# `compile_for_finetuning(model)` compile `model` avec l'optimiseur `Adam` et un
# taux d'apprentissage de **1e-5** (bien plus petit que pour la tête seule, pour
# ne pas détruire ce que la base a appris), la perte `binary_crossentropy`
# (sur des probabilités : la sortie est une sigmoïde) et la métrique `accuracy`.
# Elle renvoie le modèle.

# %%
def compile_for_finetuning(model):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model
    # END SOLUTION


# %% [markdown]
# ## Q4 — Les données
# `make_datasets(directory, batch_size=32)` renvoie `(train_ds, val_ds)`, deux
# `tf.data.Dataset` construits avec
# `keras.utils.image_dataset_from_directory(directory, ...)` sur un dossier qui
# contient **un sous-dossier par classe** (deux classes) :
#
# - images redimensionnées en 224 x 224, pixels laissés dans [0, 255]
#   (`preprocess_input` est dans le modèle) ;
# - étiquettes **binaires** (`label_mode="binary"`), lots de `batch_size` images ;
# - 80 % des images pour l'entraînement, 20 % pour la validation :
#   `validation_split=0.2`, `subset="training"` puis `subset="validation"`,
#   avec **la même graine** (`seed`) pour les deux appels, sinon les deux parts
#   se recouvrent.

# %%
def make_datasets(directory, batch_size=32):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    common = dict(validation_split=0.2, seed=1337, image_size=(224, 224), batch_size=batch_size,
                  label_mode="binary")
    train_ds = keras.utils.image_dataset_from_directory(directory, subset="training", **common)
    val_ds = keras.utils.image_dataset_from_directory(directory, subset="validation", **common)
    return train_ds, val_ds
    # END SOLUTION


# %% [markdown]
# ## Entraînement (sur votre machine)
# Téléchargez un jeu d'images à deux classes, par exemple
# `cats_and_dogs_filtered` :
#
# ```python
# path = keras.utils.get_file(
#     "cats_and_dogs_filtered.zip",
#     origin="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
#     extract=True)
# ```
#
# puis indiquez dans `DATA_DIR` le dossier qui contient les sous-dossiers
# `cats/` et `dogs/`. On entraîne d'abord la tête seule (base gelée, taux
# d'apprentissage 1e-3), puis on dégèle les 30 dernières couches de la base et on
# continue avec `compile_for_finetuning` (1e-5). Sans ce dossier (chez le
# correcteur), ces cellules ne font rien.

# %%
DATA_DIR = "cats_and_dogs_filtered/train"
HAS_DATA = os.path.isdir(DATA_DIR)
if HAS_DATA:
    train_ds, val_ds = make_datasets(DATA_DIR)
    print("classes :", train_ds.class_names)
else:
    print(f"Dossier {DATA_DIR!r} absent : entraînement sauté.")

# %%
if HAS_DATA:
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    history_head = model.fit(train_ds, validation_data=val_ds, epochs=5)

# %%
if HAS_DATA:
    unfreeze_top(model, n_layers=30)
    compile_for_finetuning(model)
    history_fine = model.fit(train_ds, validation_data=val_ds, epochs=5)
    print("précision de validation :", history_fine.history["val_accuracy"][-1])
