# A correct submission in another style: tf.keras optimizers, matrix shapes, random init.
# %%
import numpy as np
import tensorflow as tf
from sklearn.datasets import make_classification


# %%
def fit_linear(X, y, learning_rate=0.1, epochs=100):
    X = tf.constant(np.asarray(X, np.float32).reshape(-1, 1))
    y = tf.constant(np.asarray(y, np.float32).reshape(-1, 1))
    W = tf.Variable(tf.zeros((1, 1)))
    b = tf.Variable(tf.zeros((1,)))
    opt = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((X @ W + b - y) ** 2)
        grads = tape.gradient(loss, [W, b])
        opt.apply_gradients(zip(grads, [W, b]))
    return W.numpy()[0, 0], b.numpy()[0]


# %%
def sigmoid(z):
    return tf.math.sigmoid(z)


def bce_loss(y_true, y_pred):
    y_pred = tf.clip_by_value(y_pred, 1e-12, 1.0 - 1e-7)
    terms = y_true * tf.math.log(y_pred) + (1.0 - y_true) * tf.math.log(1.0 - y_pred)
    return -tf.reduce_sum(terms) / tf.cast(tf.size(terms), terms.dtype)


def compute_gradients(X, y, W, b):
    with tf.GradientTape() as tape:
        tape.watch([W, b])
        p = sigmoid(tf.matmul(tf.cast(X, tf.float32), W) + b)
        loss = bce_loss(tf.cast(y, tf.float32), p)
    return tuple(tape.gradient(loss, [W, b]))


# %%
def train_logistic(X, y, epochs=1000, learning_rate=0.1):
    X = tf.constant(np.asarray(X, np.float32))
    y = tf.constant(np.asarray(y, np.float32).reshape(-1, 1))
    rng = np.random.default_rng(3)
    W = tf.Variable(rng.normal(scale=0.01, size=(X.shape[1], 1)).astype(np.float32))
    b = tf.Variable(np.zeros(1, np.float32))
    losses = []
    for _ in range(epochs):
        dW, db = compute_gradients(X, y, W, b)
        W.assign(W - learning_rate * dW)
        b.assign(b - learning_rate * db)
        losses.append(bce_loss(y, sigmoid(X @ W + b)).numpy())
    return W.numpy(), b.numpy(), np.array(losses)


# %%
X, y = make_classification(n_samples=300, n_features=2, n_redundant=0, n_informative=2,
                           n_clusters_per_class=1, random_state=1)
X = X.astype(np.float32)
y = y.astype(np.float32)
W, b, losses = train_logistic(X, y, epochs=300)
accuracy = np.mean(((X @ W + b).ravel() > 0) == (y > 0.5))
