# %% [markdown]
# # TP — GradientTape : descente de gradient et régression logistique
#
# Vous implémentez vous-même la descente de gradient avec `tf.GradientTape` :
# d'abord une régression linéaire, puis une régression logistique.
# Remplacez chaque `# VOTRE CODE ICI`. **Gardez les noms et signatures
# indiqués** : le correcteur appelle vos fonctions sur ses propres données.

# %%
import numpy as np
import tensorflow as tf
from sklearn.datasets import make_classification

# %% [markdown]
# ## Q1 — Régression linéaire
# `fit_linear(X, y, learning_rate=0.1, epochs=100)` : `X` de forme `(n, 1)`,
# `y` de forme `(n, 1)`. Initialisez `w` et `b` (des `tf.Variable`), puis à
# chaque époque calculez l'erreur quadratique moyenne sous un
# `tf.GradientTape`, obtenez les gradients et mettez à jour `w` et `b`.
# Renvoyez `(w, b)`.

# %%
def fit_linear(X, y, learning_rate=0.1, epochs=100):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    X = tf.reshape(tf.cast(X, tf.float32), (-1, 1))
    y = tf.reshape(tf.cast(y, tf.float32), (-1, 1))
    w = tf.Variable(0.0)
    b = tf.Variable(0.0)
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - (w * X + b)))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
    return float(w.numpy()), float(b.numpy())
    # END SOLUTION


rng = np.random.default_rng(0)
X_lin = rng.normal(size=(200, 1)).astype("float32")
y_lin = (2 * X_lin + 1 + 0.1 * rng.normal(size=(200, 1))).astype("float32")
w, b = fit_linear(X_lin, y_lin)
print(f"w = {w:.3f}, b = {b:.3f}")

# %% [markdown]
# ## Q2 — Sigmoïde
# `sigmoid(z) = 1 / (1 + exp(-z))`, élément par élément. Elle doit rester
# finie même pour de très grandes valeurs de `|z|`.

# %%
def sigmoid(z):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    return 1.0 / (1.0 + tf.exp(-z))
    # END SOLUTION


# %% [markdown]
# ## Q3 — Entropie croisée binaire
# `bce_loss(y_true, y_pred)` : la moyenne de
# `-(y log p + (1 - y) log(1 - p))`. Écrêtez `y_pred` (`tf.clip_by_value`) pour
# que la perte reste finie quand `y_pred` vaut exactement 0 ou 1.

# %%
def bce_loss(y_true, y_pred):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    eps = 1e-7
    y_pred = tf.clip_by_value(y_pred, eps, 1 - eps)
    return -tf.reduce_mean(y_true * tf.math.log(y_pred) + (1 - y_true) * tf.math.log(1 - y_pred))
    # END SOLUTION


# %% [markdown]
# ## Q4 — Gradients
# `compute_gradients(X, y, W, b)` renvoie `(dW, db)`, les gradients de
# `bce_loss(y, sigmoid(X @ W + b))` par rapport à `W` (forme `(d, 1)`) et `b`
# (forme `(1,)`), calculés avec `tf.GradientTape`.

# %%
def compute_gradients(X, y, W, b):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    with tf.GradientTape() as tape:
        loss = bce_loss(y, sigmoid(tf.matmul(X, W) + b))
    dW, db = tape.gradient(loss, [W, b])
    return dW, db
    # END SOLUTION


# %% [markdown]
# ## Q5 — Entraînement
# `train_logistic(X, y, epochs=1000, learning_rate=0.1)` : initialisez
# `W` (forme `(d, 1)`) et `b` (forme `(1,)`), puis descente de gradient avec
# `compute_gradients`. Renvoyez `(W, b, losses)` où `losses` est la liste des
# pertes par époque.

# %%
def train_logistic(X, y, epochs=1000, learning_rate=0.1):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    X = tf.cast(X, tf.float32)
    y = tf.reshape(tf.cast(y, tf.float32), (-1, 1))
    W = tf.Variable(tf.zeros((X.shape[1], 1)))
    b = tf.Variable(tf.zeros((1,)))
    losses = []
    for _ in range(epochs):
        losses.append(float(bce_loss(y, sigmoid(tf.matmul(X, W) + b))))
        dW, db = compute_gradients(X, y, W, b)
        W.assign_sub(learning_rate * dW)
        b.assign_sub(learning_rate * db)
    return W, b, losses
    # END SOLUTION


X, y = make_classification(n_samples=500, n_features=2, n_redundant=0, n_informative=2,
                           n_clusters_per_class=1, random_state=42)
X = X.astype("float32")
y = y.reshape(-1, 1).astype("float32")
W, b, losses = train_logistic(X, y)
print(f"perte : {losses[0]:.3f} -> {losses[-1]:.3f}")

# %% [markdown]
# ## Q6 — Précision
# `accuracy` : la précision finale de votre modèle sur `X, y` (un nombre entre
# 0 et 1), prédiction 1 quand la probabilité dépasse 0,5.

# %%
# BEGIN SOLUTION
# STUB: accuracy = None
probs = sigmoid(tf.matmul(X, W) + b)
accuracy = float(tf.reduce_mean(tf.cast(tf.cast(probs > 0.5, tf.float32) == y, tf.float32)))
# END SOLUTION
print(f"précision : {accuracy:.3f}")
