# A correct answer in another style: tf.keras imports, functional API, a separate Activation layer
# after each Conv2D (before its BatchNormalization), the MaxPool2D alias, models compiled outside
# the functions with loss/metric objects, labels one-hot with np.eye, a single `X_test` reshaped at
# evaluation time (no X_test_cnn / X_test_rnn), time.perf_counter, numpy numbers in `comparison`.
# The CNN by batches of 8 (the tests' budget trains on a few thousand images and BatchNormalization
# needs steps), the LSTM with fit's default batch size.
import time

import numpy as np
import tensorflow as tf

(X_train, y_train), (X_test, y_test) = tf.keras.datasets.mnist.load_data()
X_train, X_test = X_train / np.float32(255), X_test.astype(np.float32) / 255
X_train_rnn = X_train
X_train_cnn = X_train[..., np.newaxis]
y_train_cat, y_test_cat = np.eye(10, dtype="float32")[y_train], np.eye(10, dtype="float32")[y_test]


def create_rnn_model():
    inputs = tf.keras.Input(shape=(28, 28), name="rows")
    h = tf.keras.layers.LSTM(units=128, return_sequences=True)(inputs)
    h = tf.keras.layers.Dropout(rate=0.2)(h)
    h = tf.keras.layers.LSTM(units=64, return_sequences=False)(h)
    h = tf.keras.layers.Dropout(0.2)(h)
    h = tf.keras.layers.Dense(128)(h)
    h = tf.keras.layers.ReLU()(h)
    h = tf.keras.layers.Dropout(0.5)(h)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation=tf.nn.softmax)(h), name="lstm")


def create_cnn_model():
    inputs = tf.keras.Input(shape=(28, 28, 1))
    h = inputs
    for filters in (32, 64):
        h = tf.keras.layers.Conv2D(filters, kernel_size=(3, 3), padding="valid")(h)
        h = tf.keras.layers.Activation("relu")(h)
        h = tf.keras.layers.BatchNormalization()(h)
        h = tf.keras.layers.MaxPool2D(pool_size=2)(h)
    h = tf.keras.layers.Flatten()(h)
    h = tf.keras.layers.Dense(128, activation="relu")(h)
    h = tf.keras.layers.Dropout(0.5)(h)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(h), name="cnn")


results = {}
for key, make, data, batch in (("rnn", create_rnn_model, X_train_rnn, None), ("cnn", create_cnn_model, X_train_cnn, 8)):
    model = make()
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss=tf.keras.losses.CategoricalCrossentropy(),
                  metrics=[tf.keras.metrics.CategoricalAccuracy(name="accuracy")])
    t0 = time.perf_counter()
    model.fit(data, y_train_cat, epochs=5, batch_size=batch, validation_split=0.1, verbose=2)
    results[key] = (model, time.perf_counter() - t0)
model_rnn, model_cnn = results["rnn"][0], results["cnn"][0]

comparison = {}
for key, test in (("cnn", X_test[..., None]), ("rnn", X_test)):
    model, seconds = results[key]
    acc = model.evaluate(test, y_test_cat, verbose=0, return_dict=True)["accuracy"]
    comparison[key] = {"accuracy": np.float32(acc), "train_time_s": np.float64(seconds),
                       "params": np.int64(model.count_params())}
print(comparison)
