# %% [markdown]
# # TP — Manipulation de tenseurs avec TensorFlow
#
# Dans ce TP, vous manipulez un petit lot (« batch ») d'images 28 x 28 comme
# celles de MNIST : création, normalisation, découpage, centrage, mise à plat.
# Remplacez chaque `# VOTRE CODE ICI` par votre code. **Gardez les noms de
# variables et de fonctions indiqués** : le correcteur les lit.

# %%
import tensorflow as tf

# %% [markdown]
# ## Q1 — Un lot d'images
# Créez `batch`, un tenseur `float32` de forme `(10, 28, 28)` dont les valeurs
# sont dans `[0, 1]` (par exemple tirées uniformément avec `tf.random.uniform`).

# %%
# BEGIN SOLUTION
# STUB: batch = None
batch = tf.random.uniform((10, 28, 28), minval=0.0, maxval=1.0, seed=42)
# END SOLUTION
print(batch.shape, batch.dtype)

# %% [markdown]
# ## Q2 — Normalisation globale
# Calculez `normalized = (batch - moyenne) / écart-type`, où la moyenne et
# l'écart-type sont ceux de **tout** le lot (`tf.reduce_mean`,
# `tf.math.reduce_std`). Le résultat a une moyenne ~0 et un écart-type ~1.

# %%
# BEGIN SOLUTION
# STUB: normalized = None
mean = tf.reduce_mean(batch)
std = tf.math.reduce_std(batch)
normalized = (batch - mean) / std
# END SOLUTION
print(float(tf.reduce_mean(normalized)), float(tf.math.reduce_std(normalized)))

# %% [markdown]
# ## Q3 — Découpage
# `first_five` contient les cinq premières images du lot : forme `(5, 28, 28)`.

# %%
# BEGIN SOLUTION
# STUB: first_five = None
first_five = batch[:5]
# END SOLUTION

# %% [markdown]
# ## Q4 — Centrage
# `centered` : chaque image moins l'image moyenne du lot
# (`tf.reduce_mean(batch, axis=0)`), forme `(10, 28, 28)`.

# %%
# BEGIN SOLUTION
# STUB: centered = None
centered = batch - tf.reduce_mean(batch, axis=0)
# END SOLUTION

# %% [markdown]
# ## Question écrite w1 — Normaliser ou centrer ?
# Quelle différence y a-t-il entre `normalized` (Q2) et `centered` (Q4) ? Pourquoi
# normalise-t-on les entrées d'un réseau de neurones ? Répondez dans la cellule
# ci-dessous, en quelques phrases.

# %% [markdown] answer=w1
# `centered` retire à chaque pixel la moyenne de ce pixel sur le lot (l'image
# moyenne) : les valeurs restent à leur échelle. `normalized` retire la moyenne
# globale et divise par l'écart-type global : moyenne 0, écart-type 1. Des entrées
# normalisées, d'échelle comparable, rendent la descente de gradient plus stable
# et plus rapide (pas de direction dominée par de grandes valeurs).

# %% [markdown]
# ## Q5 — Mise à plat
# `flat` : chaque image mise à plat en un vecteur de 784 valeurs, forme
# `(10, 784)`, dans l'ordre ligne par ligne (`tf.reshape`).

# %%
# BEGIN SOLUTION
# STUB: flat = None
flat = tf.reshape(batch, (batch.shape[0], -1))
# END SOLUTION

# %% [markdown]
# ## Q6 (bonus) — Statistiques d'un tenseur
# Écrivez `tensor_stats(t)` qui renvoie le tuple `(min, max, moyenne, écart-type)`
# de **n'importe quel** tenseur `t`, quelle que soit sa forme, sous forme de nombres.

# %%
def tensor_stats(t):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    t = tf.convert_to_tensor(t, dtype=tf.float32)
    return (
        float(tf.reduce_min(t)),
        float(tf.reduce_max(t)),
        float(tf.reduce_mean(t)),
        float(tf.math.reduce_std(t)),
    )
    # END SOLUTION


print(tensor_stats(batch))
