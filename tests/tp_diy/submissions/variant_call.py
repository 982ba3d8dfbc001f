# %% [markdown]
# Variante correcte, dans le style « appel » : chaque module et chaque perte se
# calculent en les appelant (`__call__`), et les conteneurs appellent leurs
# modules (`module(x)`, `self.net(x)`, `self.loss(y, yhat)`,
# `self.decoder(self.encoder(x))`). `Linear` range ses paramètres dans
# `self.W`, `self.b` et leurs gradients dans `self.dW`, `self.db`.

# %%
import numpy as np
from sklearn.datasets import load_digits

rng = np.random.default_rng(3)


# %%
class Module:
    def __call__(self, X):
        return self.forward(X)

    def zero_grad(self):
        pass

    def backward_update_gradient(self, input, delta):
        pass

    def update_parameters(self, gradient_step=1e-3):
        pass


class Loss:
    def __call__(self, y, yhat):
        return self.forward(y, yhat)


class MSELoss(Loss):
    def forward(self, y, yhat):
        return np.sum((y - yhat) ** 2, axis=1)

    def backward(self, y, yhat):
        return 2 * (yhat - y)


class Linear(Module):
    def __init__(self, input, output):
        bound = 1 / np.sqrt(input)
        self.W = rng.uniform(-bound, bound, (input, output))
        self.b = rng.uniform(-bound, bound, output)
        self.zero_grad()

    def forward(self, X):
        return X @ self.W + self.b

    def zero_grad(self):
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def backward_update_gradient(self, input, delta):
        self.dW += input.T @ delta
        self.db += delta.sum(axis=0)

    def backward_delta(self, input, delta):
        return delta @ self.W.T

    def update_parameters(self, gradient_step=1e-3):
        self.W -= gradient_step * self.dW
        self.b -= gradient_step * self.db


class TanH(Module):
    def forward(self, X):
        return np.tanh(X)

    def backward_delta(self, input, delta):
        return delta * (1 - np.tanh(input) ** 2)


class Sigmoide(Module):
    def forward(self, X):
        return 1 / (1 + np.exp(-X))

    def backward_delta(self, input, delta):
        s = self(input)
        return delta * s * (1 - s)


class ReLU(Module):
    def forward(self, X):
        return X * (X > 0)

    def backward_delta(self, input, delta):
        return delta * (input > 0)


# %%
class Sequentiel(Module):
    def __init__(self, *modules):
        self.modules = list(modules)

    def inputs(self, X):
        xs = [X]
        for module in self.modules:
            xs.append(module(xs[-1]))
        return xs

    def forward(self, X):
        return self.inputs(X)[-1]

    def backward_update_gradient(self, input, delta):
        xs = self.inputs(input)
        for module, x in zip(reversed(self.modules), reversed(xs[:-1]), strict=True):
            module.backward_update_gradient(x, delta)
            delta = module.backward_delta(x, delta)

    def backward_delta(self, input, delta):
        xs = self.inputs(input)
        for module, x in zip(reversed(self.modules), reversed(xs[:-1]), strict=True):
            delta = module.backward_delta(x, delta)
        return delta

    def zero_grad(self):
        for module in self.modules:
            module.zero_grad()

    def update_parameters(self, gradient_step=1e-3):
        for module in self.modules:
            module.update_parameters(gradient_step)


class Optim:
    def __init__(self, net, loss, eps=1e-3):
        self.net, self.loss, self.eps = net, loss, eps

    def step(self, batch_x, batch_y):
        self.net.zero_grad()
        yhat = self.net(batch_x)
        value = self.loss(batch_y, yhat).mean()
        self.net.backward_update_gradient(batch_x, self.loss.backward(batch_y, yhat))
        self.net.update_parameters(self.eps)
        return value


def SGD(net, loss, X, Y, batch_size, n_iter, eps=1e-3, shuffle=True):
    optim = Optim(net, loss, eps)
    history = []
    for _ in range(n_iter):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            total += optim.step(X[idx], Y[idx]) * len(idx)
        history.append(total / len(X))
    return history


# %%
class Softmax(Module):
    def forward(self, X):
        e = np.exp(X - X.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward_delta(self, input, delta):
        s = self(input)
        return s * (delta - (delta * s).sum(axis=1, keepdims=True))


class CELoss(Loss):
    def forward(self, y, yhat):
        return -np.sum(y * np.log(np.maximum(yhat, 1e-12)), axis=1)

    def backward(self, y, yhat):
        return -y / np.maximum(yhat, 1e-12)


class CELogSoftmax(Loss):
    def forward(self, y, yhat):
        m = yhat.max(axis=1)
        return m + np.log(np.exp(yhat - m[:, None]).sum(axis=1)) - (y * yhat).sum(axis=1)

    def backward(self, y, yhat):
        return Softmax()(yhat) - y


digits = load_digits()
X_digits = digits.data / 16.0
X_train, X_test = X_digits[:1500], X_digits[1500:]
Y_train = np.eye(10)[digits.target[:1500]]


# %%
class AutoEncoder(Module):
    def __init__(self, encoder, decoder):
        self.encoder, self.decoder = encoder, decoder

    def forward(self, X):
        return self.decoder(self.encoder(X))

    def backward_update_gradient(self, input, delta):
        code = self.encoder(input)
        self.decoder.backward_update_gradient(code, delta)
        self.encoder.backward_update_gradient(input, self.decoder.backward_delta(code, delta))

    def backward_delta(self, input, delta):
        code = self.encoder(input)
        return self.encoder.backward_delta(input, self.decoder.backward_delta(code, delta))

    def zero_grad(self):
        self.encoder.zero_grad()
        self.decoder.zero_grad()

    def update_parameters(self, gradient_step=1e-3):
        self.encoder.update_parameters(gradient_step)
        self.decoder.update_parameters(gradient_step)


encoder = Sequentiel(Linear(64, 16), TanH())
decoder = Sequentiel(Linear(16, 64), Sigmoide())
autoencoder = AutoEncoder(encoder, decoder)
SGD(autoencoder, MSELoss(), X_train, X_train, batch_size=16, n_iter=30, eps=0.02)
print(np.mean((autoencoder(X_test) - X_test) ** 2))


# %%
def windows(length, k_size, stride):
    return np.arange((length - k_size) // stride + 1)[:, None] * stride + np.arange(k_size)


class Conv1D(Module):
    def __init__(self, k_size, chan_in, chan_out, stride=1):
        self.k_size, self.stride = k_size, stride
        bound = 1 / np.sqrt(k_size * chan_in)
        self.W = rng.uniform(-bound, bound, (k_size, chan_in, chan_out))
        self.b = np.zeros(chan_out)
        self.zero_grad()

    def forward(self, X):
        idx = windows(X.shape[1], self.k_size, self.stride)
        return np.einsum("btkc,kco->bto", X[:, idx, :], self.W) + self.b

    def zero_grad(self):
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def backward_update_gradient(self, input, delta):
        idx = windows(input.shape[1], self.k_size, self.stride)
        self.dW += np.einsum("btkc,bto->kco", input[:, idx, :], delta)
        self.db += delta.sum(axis=(0, 1))

    def backward_delta(self, input, delta):
        idx = windows(input.shape[1], self.k_size, self.stride)
        out = np.zeros(input.shape)
        np.add.at(out, (slice(None), idx), np.einsum("bto,kco->btkc", delta, self.W))
        return out

    def update_parameters(self, gradient_step=1e-3):
        self.W -= gradient_step * self.dW
        self.b -= gradient_step * self.db


class MaxPool1D(Module):
    def __init__(self, k_size, stride=None):
        self.k_size, self.stride = k_size, stride or k_size

    def forward(self, X):
        return X[:, windows(X.shape[1], self.k_size, self.stride), :].max(axis=2)

    def backward_delta(self, input, delta):
        idx = windows(input.shape[1], self.k_size, self.stride)
        best = input[:, idx, :].argmax(axis=2)
        rows = np.arange(input.shape[0])[:, None, None]
        chans = np.arange(input.shape[2])[None, None, :]
        out = np.zeros(input.shape)
        np.add.at(out, (rows, idx[np.arange(idx.shape[0])[:, None], best], chans), delta)
        return out


class Flatten(Module):
    def forward(self, X):
        return X.reshape(len(X), -1)

    def backward_delta(self, input, delta):
        return delta.reshape(input.shape)
