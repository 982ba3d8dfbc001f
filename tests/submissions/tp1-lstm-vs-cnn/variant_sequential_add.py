# A correct answer in another style, run after the untouched stub cells of the student notebook:
# `Sequential.add`, `input_shape=` on the first layer instead of keras.Input, uncompiled models
# compiled in the training cell, separate Activation layers after Dense, a loop building
# `comparison`. The CNN by batches of 8: the tests' budget trains on a few thousand images.
import time

import keras
import numpy as np
from keras import layers

(X_train, y_train), (X_test, y_test) = keras.datasets.mnist.load_data()
X_train_cnn = np.expand_dims(X_train, -1).astype("float32") / 255.0
X_test_cnn = np.expand_dims(X_test, -1).astype("float32") / 255.0
X_train_rnn = X_train_cnn[..., 0]
X_test_rnn = X_test_cnn.squeeze(-1)
y_train_cat = keras.utils.to_categorical(y_train)
y_test_cat = keras.utils.to_categorical(y_test, num_classes=10)


def create_cnn_model():
    model = keras.Sequential(name="cnn")
    model.add(layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.BatchNormalization())
    model.add(layers.MaxPooling2D())
    model.add(layers.Conv2D(64, 3, activation="relu"))
    model.add(layers.BatchNormalization())
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(128))
    model.add(layers.Activation("relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10))
    model.add(layers.Activation("softmax"))
    return model


def create_rnn_model():
    model = keras.Sequential()
    model.add(layers.Input((28, 28)))
    model.add(layers.LSTM(128, return_sequences=True))
    model.add(layers.Dropout(0.2))
    model.add(layers.LSTM(64))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10, activation="softmax"))
    return model


times = {}
models = {"cnn": create_cnn_model(), "rnn": create_rnn_model()}
for key, x in (("cnn", X_train_cnn), ("rnn", X_train_rnn)):
    models[key].compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.time()
    models[key].fit(x, y_train_cat, epochs=10, batch_size=8 if key == "cnn" else 32, validation_data=(X_test_cnn[:200] if key == "cnn"
                    else X_test_rnn[:200], y_test_cat[:200]), verbose=0)
    times[key] = time.time() - start
model_cnn, model_rnn = models["cnn"], models["rnn"]

comparison = {}
for key, x in (("cnn", X_test_cnn), ("rnn", X_test_rnn)):
    loss, acc = models[key].evaluate(x, y_test_cat, verbose=0)
    comparison[key] = {"accuracy": acc, "train_time_s": times[key], "params": models[key].count_params()}
