# %%
# Another correct style, in a last cell of the student notebook (stubs left in above):
# `from tensorflow import keras`, Sequential built with .add(), ReLU layers, to_categorical,
# a float64 cm counted in a loop from the predicted classes.
import numpy as np
from tensorflow import keras

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = (x_train.astype("float32") / 255.0).reshape((len(x_train), 28, 28, 1))
x_test = (x_test.astype("float32") / 255.0).reshape((len(x_test), 28, 28, 1))
y_train = keras.utils.to_categorical(y_train, num_classes=10)
y_test = keras.utils.to_categorical(y_test, num_classes=10)


def build_model():
    m = keras.models.Sequential()
    m.add(keras.layers.Input((28, 28, 1)))
    m.add(keras.layers.Conv2D(32, 3))
    m.add(keras.layers.ReLU())
    m.add(keras.layers.MaxPooling2D())
    m.add(keras.layers.Conv2D(64, 3, activation="relu"))
    m.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    m.add(keras.layers.Conv2D(64, 3, activation="relu"))
    m.add(keras.layers.Flatten())
    m.add(keras.layers.Dense(units=128, activation="relu"))
    m.add(keras.layers.Dropout(0.5))
    m.add(keras.layers.Dense(units=10, activation="softmax"))
    return m


early_stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)  # monitor defaults to val_loss
model = build_model()
model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=5, validation_split=0.2, callbacks=[early_stop],
                    verbose=0)

predicted = model.predict(x_test, batch_size=256, verbose=0).argmax(axis=-1)
cm = np.zeros((10, 10))
for t, p in zip(y_test.argmax(axis=-1), predicted, strict=True):
    cm[t, p] += 1
