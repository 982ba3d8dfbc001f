# %% [markdown]
# Variante correcte, écrite autrement que la référence : paramètres en attributs séparés
# (poids de forme (sortie, entrée), biais à part), MSE moyenne sur les sorties, `CELogSoftmax`
# seulement, `Sequentiel` qui garde les sorties du dernier forward, `SGD` par
# `np.array_split`, convolution par boucle sur les positions, max-pooling par reshape.

# %%
import numpy as np
from sklearn.datasets import load_digits

rng = np.random.default_rng(7)


# %%
class MSELoss:
    def forward(self, y, yhat):
        return ((y - yhat) ** 2).mean(axis=1)

    def backward(self, y, yhat):
        return 2 * (yhat - y) / y.shape[1]


class Linear:
    def __init__(self, input, output):
        self.W = rng.normal(0, np.sqrt(2 / (input + output)), (output, input))
        self.bias = np.zeros(output)
        self.dW, self.dbias = np.zeros_like(self.W), np.zeros_like(self.bias)

    def forward(self, X):
        return X @ self.W.T + self.bias

    def zero_grad(self):
        self.dW[:] = 0
        self.dbias[:] = 0

    def backward_update_gradient(self, input, delta):
        self.dW += delta.T @ input
        self.dbias += delta.sum(axis=0)

    def backward_delta(self, input, delta):
        return delta @ self.W

    def update_parameters(self, gradient_step=1e-3):
        self.W -= gradient_step * self.dW
        self.bias -= gradient_step * self.dbias


class Activation:
    """Modules without parameters: the derivative is all they need."""

    def zero_grad(self):
        pass

    def backward_update_gradient(self, input, delta):
        pass

    def update_parameters(self, gradient_step=1e-3):
        pass

    def backward_delta(self, input, delta):
        return delta * self.derivative(input)


class TanH(Activation):
    def forward(self, X):
        return np.tanh(X)

    def derivative(self, X):
        return 1 / np.cosh(X) ** 2


class Sigmoide(Activation):
    def forward(self, X):
        return 0.5 * (1 + np.tanh(X / 2))

    def derivative(self, X):
        s = self.forward(X)
        return s - s ** 2


class ReLU(Activation):
    def forward(self, X):
        return np.where(X > 0, X, 0.0)

    def derivative(self, X):
        return (X > 0).astype(float)


# %%
class Sequentiel:
    def __init__(self, *modules):
        self.modules = modules
        self.outputs = []

    def forward(self, X):
        self.outputs = [X]
        for m in self.modules:
            self.outputs.append(m.forward(self.outputs[-1]))
        return self.outputs[-1]

    def backward_update_gradient(self, input, delta):
        for m, x in zip(self.modules[::-1], self.outputs[-2::-1], strict=True):
            m.backward_update_gradient(x, delta)
            delta = m.backward_delta(x, delta)

    def backward_delta(self, input, delta):
        for m, x in zip(self.modules[::-1], self.outputs[-2::-1], strict=True):
            delta = m.backward_delta(x, delta)
        return delta

    def zero_grad(self):
        for m in self.modules:
            m.zero_grad()

    def update_parameters(self, gradient_step=1e-3):
        for m in self.modules:
            m.update_parameters(gradient_step)


class Optim:
    def __init__(self, net, loss, eps=1e-3):
        self.net = net
        self.loss = loss
        self.eps = eps

    def step(self, batch_x, batch_y):
        yhat = self.net.forward(batch_x)
        value = self.loss.forward(batch_y, yhat).mean()
        self.net.zero_grad()
        self.net.backward_update_gradient(batch_x, self.loss.backward(batch_y, yhat))
        self.net.update_parameters(self.eps)
        return value


def SGD(net, loss, X, Y, batch_size, n_iter, eps=1e-3, shuffle=True):
    optim = Optim(net, loss, eps)
    means = []
    n_batches = int(np.ceil(len(X) / batch_size))
    for _ in range(n_iter):
        order = np.random.permutation(len(X)) if shuffle else np.arange(len(X))
        losses = [optim.step(X[b], Y[b]) * len(b) for b in np.array_split(order, n_batches)]
        means.append(sum(losses) / len(X))
    return means


# %%
class Softmax(Activation):
    def forward(self, X):
        z = np.exp(X - np.max(X, axis=-1, keepdims=True))
        return z / np.sum(z, axis=-1, keepdims=True)

    def backward_delta(self, input, delta):
        s = self.forward(input)
        jacobians = np.einsum("ni,ij->nij", s, np.eye(s.shape[1])) - np.einsum("ni,nj->nij", s, s)
        return np.einsum("nij,nj->ni", jacobians, delta)


class CELogSoftmax:
    def forward(self, y, yhat):
        m = yhat.max(axis=1, keepdims=True)
        log_probs = yhat - m - np.log(np.exp(yhat - m).sum(axis=1, keepdims=True))
        return -(y * log_probs).sum(axis=1)

    def backward(self, y, yhat):
        return Softmax().forward(yhat) - y


digits = load_digits()
X_digits = digits.data / 16
X_train, X_test = X_digits[:1500], X_digits[1500:]
Y_train = np.eye(10)[digits.target[:1500]]

net = Sequentiel(Linear(64, 32), TanH(), Linear(32, 10))
SGD(net, CELogSoftmax(), X_train, Y_train, 32, 15, 0.02)
print(np.mean(net.forward(X_test).argmax(1) == digits.target[1500:]))


# %%
class AutoEncoder:
    def __init__(self, encoder, decoder):
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, X):
        self.code = self.encoder.forward(X)
        return self.decoder.forward(self.code)

    def backward_update_gradient(self, input, delta):
        self.decoder.backward_update_gradient(self.code, delta)
        self.encoder.backward_update_gradient(input, self.decoder.backward_delta(self.code, delta))

    def backward_delta(self, input, delta):
        return self.encoder.backward_delta(input, self.decoder.backward_delta(self.code, delta))

    def zero_grad(self):
        self.encoder.zero_grad()
        self.decoder.zero_grad()

    def update_parameters(self, gradient_step=1e-3):
        self.encoder.update_parameters(gradient_step)
        self.decoder.update_parameters(gradient_step)


encoder = Sequentiel(Linear(64, 16), TanH())
decoder = Sequentiel(Linear(16, 64), Sigmoide())
autoencoder = AutoEncoder(encoder, decoder)
SGD(autoencoder, MSELoss(), X_train, X_train, 16, 30, 1.0)
print(np.mean((autoencoder.forward(X_test) - X_test) ** 2))


# %%
class Conv1D:
    def __init__(self, k_size, chan_in, chan_out, stride=1):
        self.k, self.stride = k_size, stride
        self.W = rng.normal(0, 1 / np.sqrt(k_size * chan_in), (k_size, chan_in, chan_out))
        self.dW = np.zeros_like(self.W)

    def positions(self, length):
        return range(0, length - self.k + 1, self.stride)

    def forward(self, X):
        cols = [np.tensordot(X[:, p:p + self.k, :], self.W, axes=([1, 2], [0, 1]))
                for p in self.positions(X.shape[1])]
        return np.stack(cols, axis=1)

    def zero_grad(self):
        self.dW = np.zeros_like(self.W)

    def backward_update_gradient(self, input, delta):
        for t, p in enumerate(self.positions(input.shape[1])):
            self.dW += np.einsum("bkc,bo->kco", input[:, p:p + self.k, :], delta[:, t, :])

    def backward_delta(self, input, delta):
        grad = np.zeros(input.shape)
        for t, p in enumerate(self.positions(input.shape[1])):
            grad[:, p:p + self.k, :] += np.einsum("bo,kco->bkc", delta[:, t, :], self.W)
        return grad

    def update_parameters(self, gradient_step=1e-3):
        self.W -= gradient_step * self.dW


class MaxPool1D(Activation):
    def __init__(self, k_size, stride=None):
        self.k, self.stride = k_size, stride or k_size

    def starts(self, length):
        return np.arange(0, length - self.k + 1, self.stride)

    def forward(self, X):
        if self.stride == self.k:  # non-overlapping windows: one reshape
            n_out = X.shape[1] // self.k
            return X[:, :n_out * self.k].reshape(len(X), n_out, self.k, -1).max(axis=2)
        return np.stack([X[:, s:s + self.k].max(axis=1) for s in self.starts(X.shape[1])], axis=1)

    def backward_delta(self, input, delta):
        grad = np.zeros(input.shape)
        for t, s in enumerate(self.starts(input.shape[1])):
            window = input[:, s:s + self.k]
            grad[:, s:s + self.k] += (window == window.max(axis=1, keepdims=True)) * delta[:, t:t + 1]
        return grad


class Flatten(Activation):
    def forward(self, X):
        return X.reshape(X.shape[0], -1)

    def backward_delta(self, input, delta):
        return delta.reshape(input.shape)
