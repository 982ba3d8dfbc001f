# %% [markdown]
# Variante correcte, où les conteneurs lisent les champs de leurs propres
# modules : chaque module range ses paramètres dans `self.params` et leurs
# gradients dans `self.grads` (deux dictionnaires) et les expose par
# `parameters()`. `Sequentiel`, `Optim` et `AutoEncoder` remettent à zéro et
# mettent à jour les paramètres eux-mêmes, en lisant ces champs ; `MSELoss` est
# la moyenne des carrés sur les sorties.

# %%
import numpy as np
from sklearn.datasets import load_digits

rng = np.random.default_rng(11)


# %%
class Module:
    def __init__(self):
        self.params, self.grads = {}, {}

    def parameters(self):
        """(paramètres, gradients) de chaque module : ici, ceux de ce module."""
        return [(self.params, self.grads)]

    def zero_grad(self):
        for g in self.grads.values():
            g[...] = 0.0

    def update_parameters(self, gradient_step=1e-3):
        for name, p in self.params.items():
            p -= gradient_step * self.grads[name]

    def backward_update_gradient(self, input, delta):
        pass


class MSELoss:
    def forward(self, y, yhat):
        return np.mean((y - yhat) ** 2, axis=1)

    def backward(self, y, yhat):
        return 2 * (yhat - y) / y.shape[1]


class Linear(Module):
    def __init__(self, input, output):
        super().__init__()
        self.params = {"W": rng.normal(0, 1 / np.sqrt(input), (input, output)), "b": np.zeros(output)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def forward(self, X):
        return X @ self.params["W"] + self.params["b"]

    def backward_update_gradient(self, input, delta):
        self.grads["W"] += input.T @ delta
        self.grads["b"] += delta.sum(axis=0)

    def backward_delta(self, input, delta):
        return delta @ self.params["W"].T


class TanH(Module):
    def forward(self, X):
        return np.tanh(X)

    def backward_delta(self, input, delta):
        return delta * (1 - np.tanh(input) ** 2)


class Sigmoide(Module):
    def forward(self, X):
        return np.exp(-np.logaddexp(0, -X))

    def backward_delta(self, input, delta):
        s = self.forward(input)
        return delta * s * (1 - s)


class ReLU(Module):
    def forward(self, X):
        return np.maximum(X, 0)

    def backward_delta(self, input, delta):
        return delta * (input > 0)


# %%
def zero(parameters):
    for _, grads in parameters:
        for g in grads.values():
            g[...] = 0.0


def descend(parameters, gradient_step):
    for params, grads in parameters:
        for name, p in params.items():
            p -= gradient_step * grads[name]


class Sequentiel(Module):
    def __init__(self, *modules):
        super().__init__()
        self.modules = list(modules)

    def parameters(self):
        return [pair for m in self.modules for pair in m.parameters()]

    def forward(self, X):
        for m in self.modules:
            X = m.forward(X)
        return X

    def backward_update_gradient(self, input, delta):
        xs = [input]
        for m in self.modules[:-1]:
            xs.append(m.forward(xs[-1]))
        for m, x in zip(self.modules[::-1], xs[::-1], strict=True):
            m.backward_update_gradient(x, delta)
            delta = m.backward_delta(x, delta)

    def backward_delta(self, input, delta):
        xs = [input]
        for m in self.modules[:-1]:
            xs.append(m.forward(xs[-1]))
        for m, x in zip(self.modules[::-1], xs[::-1], strict=True):
            delta = m.backward_delta(x, delta)
        return delta

    def zero_grad(self):
        zero(self.parameters())

    def update_parameters(self, gradient_step=1e-3):
        descend(self.parameters(), gradient_step)


class Optim:
    def __init__(self, net, loss, eps=1e-3):
        self.net, self.loss, self.eps = net, loss, eps

    def step(self, batch_x, batch_y):
        zero(self.net.parameters())
        yhat = self.net.forward(batch_x)
        self.net.backward_update_gradient(batch_x, self.loss.backward(batch_y, yhat))
        descend(self.net.parameters(), self.eps)
        return self.loss.forward(batch_y, yhat).mean()


def SGD(net, loss, X, Y, batch_size, n_iter, eps=1e-3, shuffle=True):
    optim = Optim(net, loss, eps)
    history = []
    for _ in range(n_iter):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        batches = [order[i:i + batch_size] for i in range(0, len(X), batch_size)]
        history.append(sum(optim.step(X[b], Y[b]) * len(b) for b in batches) / len(X))
    return history


# %%
class Softmax(Module):
    def forward(self, X):
        e = np.exp(X - X.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward_delta(self, input, delta):
        s = self.forward(input)
        return s * (delta - np.sum(delta * s, axis=1, keepdims=True))


class CELogSoftmax:
    def forward(self, y, yhat):
        m = yhat.max(axis=1)
        return m + np.log(np.exp(yhat - m[:, None]).sum(axis=1)) - np.sum(y * yhat, axis=1)

    def backward(self, y, yhat):
        return Softmax().forward(yhat) - y


digits = load_digits()
X_digits = digits.data / 16.0
X_train, X_test = X_digits[:1500], X_digits[1500:]


# %%
class AutoEncoder(Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def parameters(self):
        return self.encoder.parameters() + self.decoder.parameters()

    def forward(self, X):
        return self.decoder.forward(self.encoder.forward(X))

    def backward_update_gradient(self, input, delta):
        code = self.encoder.forward(input)
        self.decoder.backward_update_gradient(code, delta)
        self.encoder.backward_update_gradient(input, self.decoder.backward_delta(code, delta))

    def backward_delta(self, input, delta):
        code = self.encoder.forward(input)
        return self.encoder.backward_delta(input, self.decoder.backward_delta(code, delta))

    def zero_grad(self):
        zero(self.parameters())

    def update_parameters(self, gradient_step=1e-3):
        descend(self.parameters(), gradient_step)


encoder = Sequentiel(Linear(64, 16), TanH())
decoder = Sequentiel(Linear(16, 64), Sigmoide())
autoencoder = AutoEncoder(encoder, decoder)
SGD(autoencoder, MSELoss(), X_train, X_train, batch_size=16, n_iter=30, eps=1.0)
print(np.mean((autoencoder.forward(X_test) - X_test) ** 2))


# %%
class Conv1D(Module):
    def __init__(self, k_size, chan_in, chan_out, stride=1):
        super().__init__()
        self.k_size, self.stride = k_size, stride
        self.params = {"W": rng.normal(0, 1 / np.sqrt(k_size * chan_in), (k_size, chan_in, chan_out)),
                       "b": np.zeros(chan_out)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def idx(self, length):
        return np.arange((length - self.k_size) // self.stride + 1)[:, None] * self.stride + np.arange(self.k_size)

    def forward(self, X):
        return np.einsum("btkc,kco->bto", X[:, self.idx(X.shape[1]), :], self.params["W"]) + self.params["b"]

    def backward_update_gradient(self, input, delta):
        self.grads["W"] += np.einsum("btkc,bto->kco", input[:, self.idx(input.shape[1]), :], delta)
        self.grads["b"] += delta.sum(axis=(0, 1))

    def backward_delta(self, input, delta):
        out = np.zeros(input.shape)
        np.add.at(out, (slice(None), self.idx(input.shape[1])), np.einsum("bto,kco->btkc", delta, self.params["W"]))
        return out


class MaxPool1D(Module):
    def __init__(self, k_size, stride=None):
        super().__init__()
        self.k_size, self.stride = k_size, stride or k_size

    def forward(self, X):
        starts = range(0, X.shape[1] - self.k_size + 1, self.stride)
        return np.stack([X[:, s:s + self.k_size].max(axis=1) for s in starts], axis=1)

    def backward_delta(self, input, delta):
        out = np.zeros(input.shape)
        for t, s in enumerate(range(0, input.shape[1] - self.k_size + 1, self.stride)):
            window = input[:, s:s + self.k_size]
            first = (window == window.max(axis=1, keepdims=True)).cumsum(axis=1).cumsum(axis=1) == 1
            out[:, s:s + self.k_size] += first * delta[:, t:t + 1]
        return out


class Flatten(Module):
    def forward(self, X):
        return X.reshape(len(X), -1)

    def backward_delta(self, input, delta):
        return delta.reshape(input.shape)
