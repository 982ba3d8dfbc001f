# %%
# Another correct style: `from tensorflow import keras`, Sequential built with .add(), float64
# pixels, the metric named "sparse_categorical_accuracy", a tuple of arrays for validation.
import numpy as np
from tensorflow import keras

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train / 255.0
x_test = x_test / 255.0

# %%
def build_model():
    m = keras.models.Sequential()
    m.add(keras.layers.Input((28, 28)))
    m.add(keras.layers.Flatten())
    m.add(keras.layers.Dense(units=128))
    m.add(keras.layers.ReLU())
    m.add(keras.layers.Dense(units=10, activation="softmax"))
    return m

# %%
model = build_model()
model.compile("adam", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=4, validation_data=(x_test, y_test), verbose=0)

# %%
n_params = 784 * 128 + 128 + 128 * 10 + 10
