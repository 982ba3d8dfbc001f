# %% [markdown]
# # TP — Réseau de neurones DIY (numpy, sans framework)
#
# Vous écrivez votre propre petite bibliothèque de réseaux de neurones, en
# numpy seulement : des **modules** (couches) et des **pertes** que l'on
# assemble, puis une descente de gradient stochastique. Remplacez chaque
# `# VOTRE CODE ICI`. **Gardez les noms de classes et de méthodes** : le
# correcteur instancie vos classes et les appelle sur ses propres données.
#
# Conventions (le correcteur s'y fie) :
# - les données sont en lignes : `X` a la forme `(batch, d)` ;
# - `Loss.forward(y, yhat)` renvoie la perte **de chaque exemple**, forme
#   `(batch,)` ; `Loss.backward(y, yhat)` renvoie le gradient de la **somme**
#   de ces pertes par rapport à `yhat` (même forme que `yhat`) ; les étiquettes
#   des entropies croisées sont en *one-hot* ;
# - `Module.backward_update_gradient(input, delta)` **ajoute** au gradient
#   stocké le gradient des paramètres ; `zero_grad()` le remet à zéro ;
#   `update_parameters(gradient_step)` fait
#   `paramètres -= gradient_step * gradient` ;
#   `backward_delta(input, delta)` renvoie le gradient par rapport à `input`.
# - Vous stockez les paramètres comme vous voulez (tableaux, dictionnaire,
#   biais à part) : le correcteur n'observe que le comportement.
#
# Vérifiez chaque module avec des différences finies centrées :
# `(f(x + h) - f(x - h)) / 2h` doit être très proche de votre gradient.

# %%
import numpy as np
from sklearn.datasets import load_digits

np.random.seed(0)

# %% [markdown]
# ## Classes de base
# `Loss` et `Module` sont les classes dont héritent toutes les autres.
# Complétez `zero_grad` et `update_parameters` de `Module` : chaque module à
# paramètres range ses paramètres dans le dictionnaire `self._parameters` et
# leurs gradients, de mêmes formes, dans `self._gradient`.

# %%
class Loss:
    """Une perte : une valeur par exemple, et son gradient par rapport à la prédiction."""

    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class Module:
    """Un module : `forward`, deux passes arrière, et des paramètres avec leurs gradients."""

    def __init__(self):
        self._parameters = {}
        self._gradient = {}

    def zero_grad(self):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        for name, value in self._parameters.items():
            self._gradient[name] = np.zeros_like(value)
        # END SOLUTION

    def forward(self, X):
        raise NotImplementedError

    def update_parameters(self, gradient_step=1e-3):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        for name in self._parameters:
            self._parameters[name] -= gradient_step * self._gradient[name]
        # END SOLUTION

    def backward_update_gradient(self, input, delta):
        pass  # un module sans paramètre n'a rien à accumuler

    def backward_delta(self, input, delta):
        raise NotImplementedError


# %% [markdown]
# ## Q1 — Perte quadratique et module linéaire
# `MSELoss` : `forward(y, yhat)` renvoie `||y - yhat||²` pour chaque exemple
# (forme `(batch,)`) ; `backward(y, yhat)` son gradient par rapport à `yhat`.
#
# `Linear(input, output)` calcule `X @ W + b`, avec `W` de forme
# `(input, output)` initialisé aléatoirement (par exemple uniforme dans
# `[-1/√input, 1/√input]`) et un biais `b` de forme `(output,)`. Ses
# gradients sont créés nuls dès le constructeur.

# %%
class MSELoss(Loss):
    def forward(self, y, yhat):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return np.sum((y - yhat) ** 2, axis=1)
        # END SOLUTION

    def backward(self, y, yhat):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return -2 * (y - yhat)
        # END SOLUTION


class Linear(Module):
    def __init__(self, input, output):
        super().__init__()
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        bound = 1 / np.sqrt(input)
        self._parameters = {"W": np.random.uniform(-bound, bound, (input, output)),
                            "b": np.random.uniform(-bound, bound, output)}
        self._gradient = {"W": np.zeros((input, output)), "b": np.zeros(output)}
        # END SOLUTION

    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return X @ self._parameters["W"] + self._parameters["b"]
        # END SOLUTION

    def backward_update_gradient(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        self._gradient["W"] += input.T @ delta
        self._gradient["b"] += delta.sum(axis=0)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return delta @ self._parameters["W"].T
        # END SOLUTION


# %% [markdown]
# Vérifiez vos gradients par différences finies avant d'aller plus loin.

# %%
def finite_differences(f, x, h=1e-5):
    """Gradient de la fonction scalaire `f` en `x`, par différences centrées."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


lin, mse = Linear(3, 2), MSELoss()
x_check, y_check = np.random.randn(4, 3), np.random.randn(4, 2)
delta_check = mse.backward(y_check, lin.forward(x_check))
numeric = finite_differences(lambda x: mse.forward(y_check, lin.forward(x)).sum(), x_check)
print("erreur de backward_delta :", np.abs(lin.backward_delta(x_check, delta_check) - numeric).max())

# %% [markdown]
# ## Q2 — Fonctions d'activation
# `TanH`, `Sigmoide` et `ReLU` : des modules sans paramètre, appliqués
# élément par élément ; `backward_delta` multiplie `delta` par la dérivée.

# %%
class TanH(Module):
    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return np.tanh(X)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return delta * (1 - np.tanh(input) ** 2)
        # END SOLUTION


class Sigmoide(Module):
    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return np.exp(-np.logaddexp(0, -X))
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        s = self.forward(input)
        return delta * s * (1 - s)
        # END SOLUTION


class ReLU(Module):
    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return np.maximum(X, 0)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return delta * (input > 0)
        # END SOLUTION


# %% [markdown]
# ## Q3 — Encapsulation : `Sequentiel`, `Optim`, `SGD`
# `Sequentiel(*modules)` est lui-même un module : `forward` enchaîne les
# modules ; les passes arrière parcourent les modules à l'envers, chaque
# module recevant **son** entrée ; `zero_grad` et `update_parameters`
# s'appliquent à tous.
#
# `Optim(net, loss, eps)` : `step(batch_x, batch_y)` remet les gradients à
# zéro, calcule la perte, rétropropage, met à jour les paramètres avec le pas
# `eps` et renvoie la perte **moyenne** du lot.
#
# `SGD(net, loss, X, Y, batch_size, n_iter, eps=1e-3, shuffle=True)` :
# `n_iter` époques ; chaque époque voit chaque exemple **une fois**, par
# mini-lots de `batch_size`, dans un **nouvel ordre aléatoire** quand
# `shuffle` est vrai. Renvoie la liste des pertes moyennes de chaque époque.

# %%
class Sequentiel(Module):
    def __init__(self, *modules):
        super().__init__()
        self.modules = list(modules)

    def _inputs(self, X):
        """L'entrée de chaque module, puis la sortie du réseau."""
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        inputs = [X]
        for module in self.modules:
            inputs.append(module.forward(inputs[-1]))
        return inputs
        # END SOLUTION

    def forward(self, X):
        return self._inputs(X)[-1]

    def backward_update_gradient(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        inputs = self._inputs(input)
        for i in reversed(range(len(self.modules))):
            self.modules[i].backward_update_gradient(inputs[i], delta)
            if i > 0:
                delta = self.modules[i].backward_delta(inputs[i], delta)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        inputs = self._inputs(input)
        for i in reversed(range(len(self.modules))):
            delta = self.modules[i].backward_delta(inputs[i], delta)
        return delta
        # END SOLUTION

    def zero_grad(self):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        for module in self.modules:
            module.zero_grad()
        # END SOLUTION

    def update_parameters(self, gradient_step=1e-3):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        for module in self.modules:
            module.update_parameters(gradient_step)
        # END SOLUTION


class Optim:
    def __init__(self, net, loss, eps=1e-3):
        self.net, self.loss, self.eps = net, loss, eps

    def step(self, batch_x, batch_y):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        self.net.zero_grad()
        yhat = self.net.forward(batch_x)
        losses = self.loss.forward(batch_y, yhat)
        self.net.backward_update_gradient(batch_x, self.loss.backward(batch_y, yhat))
        self.net.update_parameters(self.eps)
        return float(np.mean(losses))
        # END SOLUTION


def SGD(net, loss, X, Y, batch_size, n_iter, eps=1e-3, shuffle=True):
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    optim = Optim(net, loss, eps)
    history = []
    for _ in range(n_iter):
        order = np.arange(len(X))
        if shuffle:
            np.random.shuffle(order)
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            total += optim.step(X[batch], Y[batch]) * len(batch)
        history.append(total / len(X))
    return history
    # END SOLUTION


# %% [markdown]
# Testez sur un mélange de 4 gaussiennes (un « ou exclusif ») aux étiquettes
# ±1 : le signe de la sortie donne la classe. Le correcteur entraîne ainsi
# `Sequentiel(Linear(2, 8), TanH(), Linear(8, 1))` avec votre `SGD` et attend
# une précision d'au moins 0,95.

# %%
def four_gaussians(n, sigma=0.3):
    centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]])
    labels = np.array([1, 1, -1, -1])
    which = np.random.randint(0, 4, n)
    return centers[which] + sigma * np.random.randn(n, 2), labels[which].reshape(-1, 1).astype(float)


X_gauss, y_gauss = four_gaussians(400)
net_gauss = Sequentiel(Linear(2, 8), TanH(), Linear(8, 1))
losses_gauss = SGD(net_gauss, MSELoss(), X_gauss, y_gauss, batch_size=10, n_iter=60, eps=0.01)
print("précision (4 gaussiennes) :", np.mean(np.sign(net_gauss.forward(X_gauss)) == y_gauss))

# %% [markdown]
# ## Q4 — Multi-classe : `Softmax` et entropie croisée
# `Softmax` (un module sans paramètre, par ligne) et au moins une des deux
# pertes : `CELoss` sur des **probabilités** (après une `Softmax`),
# `-Σ y log(yhat)`, ou `CELogSoftmax` sur des **scores** bruts,
# `-Σ y·yhat + log Σ exp(yhat)` (plus stable). Les étiquettes sont en one-hot.
# On classe ensuite les chiffres 8 x 8 de scikit-learn (qui remplacent USPS),
# ramenés dans `[0, 1]`. Le correcteur entraîne de même, avec votre `SGD`,
# `Sequentiel(Linear(64, 32), TanH(), Linear(32, 10), Softmax())` et `CELoss`
# (ou, sans `CELoss`, le réseau sans `Softmax` et `CELogSoftmax`) et attend au
# moins 90 % de bonnes réponses sur des chiffres qu'il garde pour lui.

# %%
class Softmax(Module):
    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        e = np.exp(X - X.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        s = self.forward(input)
        return s * (delta - np.sum(delta * s, axis=1, keepdims=True))
        # END SOLUTION


class CELoss(Loss):
    def forward(self, y, yhat):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return -np.sum(y * np.log(np.clip(yhat, 1e-12, None)), axis=1)
        # END SOLUTION

    def backward(self, y, yhat):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return -y / np.clip(yhat, 1e-12, None)
        # END SOLUTION


class CELogSoftmax(Loss):
    def forward(self, y, yhat):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        top = yhat.max(axis=1)
        return top + np.log(np.exp(yhat - top[:, None]).sum(axis=1)) - np.sum(y * yhat, axis=1)
        # END SOLUTION

    def backward(self, y, yhat):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        e = np.exp(yhat - yhat.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True) - y
        # END SOLUTION


digits = load_digits()
X_digits = digits.data / 16.0
y_digits = digits.target
X_train, X_test = X_digits[:1500], X_digits[1500:]
y_train, y_test = y_digits[:1500], y_digits[1500:]
Y_train = np.eye(10)[y_train]

# %%
net_digits = Sequentiel(Linear(64, 32), TanH(), Linear(32, 10), Softmax())
SGD(net_digits, CELoss(), X_train, Y_train, batch_size=32, n_iter=15, eps=0.02)
print("précision (chiffres, test) :", np.mean(net_digits.forward(X_test).argmax(axis=1) == y_test))

# %% [markdown]
# ## Q5 — Autoencodeur
# `AutoEncoder(encoder, decoder)` est un module : `forward(X)` vaut
# `decoder(encoder(X))` et les passes arrière traversent les deux. Entraînez
# `autoencoder` sur `X_train` (les 1 500 premiers chiffres, dans `[0, 1]`),
# avec un `encoder` 64 → 16 et un `decoder` 16 → 64 terminé par une
# `Sigmoide`. Le correcteur mesure l'erreur de reconstruction par pixel
# (moyenne des carrés) sur les autres chiffres : au plus 0,03 (l'image moyenne
# donne 0,074). Il lit aussi les codes latents de votre `encoder`.

# %%
class AutoEncoder(Sequentiel):
    def __init__(self, encoder, decoder):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        super().__init__(encoder, decoder)
        self.encoder, self.decoder = encoder, decoder
        # END SOLUTION


# BEGIN SOLUTION
# STUB: encoder = decoder = autoencoder = None
encoder = Sequentiel(Linear(64, 16), TanH())
decoder = Sequentiel(Linear(16, 64), Sigmoide())
autoencoder = AutoEncoder(encoder, decoder)
SGD(autoencoder, MSELoss(), X_train, X_train, batch_size=16, n_iter=30, eps=0.02)
# END SOLUTION
print("erreur de reconstruction par pixel (test) :", np.mean((autoencoder.forward(X_test) - X_test) ** 2))

# %% [markdown]
# ## Q6 — Convolutions 1D
# Les entrées sont de forme `(batch, longueur, canaux)`.
# - `Conv1D(k_size, chan_in, chan_out, stride=1)` : filtres de forme
#   `(k_size, chan_in, chan_out)` (biais facultatif) ; la sortie a la forme
#   `(batch, (longueur - k_size) // stride + 1, chan_out)`.
# - `MaxPool1D(k_size, stride=k_size)` : le maximum de chaque fenêtre, canal
#   par canal.
# - `Flatten` : `(batch, longueur, canaux)` → `(batch, longueur * canaux)`.

# %%
def windows(X, k_size, stride):
    """Indices `(n_out, k_size)` des fenêtres le long de l'axe 1."""
    # BEGIN SOLUTION
    # STUB: raise NotImplementedError
    n_out = (X.shape[1] - k_size) // stride + 1
    return np.arange(n_out)[:, None] * stride + np.arange(k_size)[None, :]
    # END SOLUTION


class Conv1D(Module):
    def __init__(self, k_size, chan_in, chan_out, stride=1):
        super().__init__()
        self.k_size, self.chan_in, self.chan_out, self.stride = k_size, chan_in, chan_out, stride
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        bound = 1 / np.sqrt(k_size * chan_in)
        self._parameters = {"W": np.random.uniform(-bound, bound, (k_size, chan_in, chan_out)),
                            "b": np.random.uniform(-bound, bound, chan_out)}
        self._gradient = {name: np.zeros_like(p) for name, p in self._parameters.items()}
        # END SOLUTION

    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        idx = windows(X, self.k_size, self.stride)
        return np.einsum("btkc,kco->bto", X[:, idx, :], self._parameters["W"]) + self._parameters["b"]
        # END SOLUTION

    def backward_update_gradient(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        idx = windows(input, self.k_size, self.stride)
        self._gradient["W"] += np.einsum("btkc,bto->kco", input[:, idx, :], delta)
        self._gradient["b"] += delta.sum(axis=(0, 1))
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        idx = windows(input, self.k_size, self.stride)
        out = np.zeros(input.shape)
        np.add.at(out, (slice(None), idx), np.einsum("bto,kco->btkc", delta, self._parameters["W"]))
        return out
        # END SOLUTION


class MaxPool1D(Module):
    def __init__(self, k_size, stride=None):
        super().__init__()
        self.k_size = k_size
        self.stride = k_size if stride is None else stride

    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return X[:, windows(X, self.k_size, self.stride), :].max(axis=2)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        idx = windows(input, self.k_size, self.stride)
        best = input[:, idx, :].argmax(axis=2)  # (batch, n_out, chan)
        rows = np.arange(input.shape[0])[:, None, None]
        chans = np.arange(input.shape[2])[None, None, :]
        out = np.zeros(input.shape)
        np.add.at(out, (rows, idx[np.arange(idx.shape[0])[:, None], best], chans), delta)
        return out
        # END SOLUTION


class Flatten(Module):
    def forward(self, X):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return X.reshape(len(X), -1)
        # END SOLUTION

    def backward_delta(self, input, delta):
        # BEGIN SOLUTION
        # STUB: raise NotImplementedError
        return delta.reshape(input.shape)
        # END SOLUTION


# %% [markdown]
# Un petit réseau convolutif sur les chiffres, vus comme des signaux de
# longueur 64 à un canal.

# %%
cnn = Sequentiel(Conv1D(3, 1, 8, stride=2), ReLU(), MaxPool1D(2), Flatten(), Linear(8 * 15, 10))
X_seq = X_train[:500].reshape(-1, 64, 1)
SGD(cnn, CELogSoftmax(), X_seq, Y_train[:500], batch_size=32, n_iter=3, eps=0.01)
print("précision du CNN (test) :", np.mean(cnn.forward(X_test.reshape(-1, 64, 1)).argmax(axis=1) == y_test))
