"""A correct answer in another style: tf.keras only, float64 pixels, tf.one_hot labels, a loop over both models,
accuracy from predict."""
import time
import numpy as np
import tensorflow as tf

mnist = tf.keras.datasets.mnist
(xtr, ytr), (xte, yte) = mnist.load_data()
xtr, xte = xtr / 255.0, xte / 255.0          # float64, like many students write it
X_train_rnn, X_test_rnn = xtr, xte
X_train_cnn = np.expand_dims(xtr, -1)
X_test_cnn = xte[..., np.newaxis]
y_train_cat = tf.keras.utils.to_categorical(ytr)
y_test_cat = tf.one_hot(yte, 10).numpy()


def create_cnn_model():
    inputs = tf.keras.Input((28, 28, 1))
    x = inputs
    for filters in (32, 64):
        x = tf.keras.layers.Conv2D(filters, kernel_size=3, activation=tf.nn.relu)(x)
        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.MaxPool2D()(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(128, activation="relu")(x)
    x = tf.keras.layers.Dropout(rate=0.5)(x)
    outputs = tf.keras.layers.Dense(10, activation="softmax")(x)
    m = tf.keras.Model(inputs, outputs, name="cnn")
    m.compile(optimizer=tf.keras.optimizers.Adam(), loss=tf.keras.losses.CategoricalCrossentropy(),
              metrics=["acc"])
    return m


def create_rnn_model():
    m = tf.keras.Sequential(name="lstm")
    m.add(tf.keras.layers.InputLayer(shape=(28, 28)))
    m.add(tf.keras.layers.LSTM(units=128, activation="tanh", return_sequences=True))
    m.add(tf.keras.layers.Dropout(0.2))
    m.add(tf.keras.layers.LSTM(64, return_sequences=False))
    m.add(tf.keras.layers.Dropout(0.2))
    m.add(tf.keras.layers.Dense(128, "relu"))
    m.add(tf.keras.layers.Dropout(0.5))
    m.add(tf.keras.layers.Dense(10, "softmax"))
    m.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return m


model_cnn, model_rnn = create_cnn_model(), create_rnn_model()
comparison = {}
# (the CNN's batch of 8 gives its BatchNormalization enough steps under the tests' tiny budget)
for key, model, xs, xt, bs in (("cnn", model_cnn, X_train_cnn, X_test_cnn, 8),
                               ("rnn", model_rnn, X_train_rnn, X_test_rnn, 32)):
    t0 = time.perf_counter()
    model.fit(xs, y_train_cat, epochs=5, batch_size=bs, verbose=0)
    elapsed = time.perf_counter() - t0
    pred = model.predict(xt, verbose=0).argmax(axis=1)
    comparison[key] = dict(accuracy=float((pred == y_test_cat.argmax(1)).mean()), train_time_s=elapsed,
                           params=int(model.count_params()))
print(comparison)
