# A correct answer in another style: tf.keras imports, images kept with a channel axis, one-hot by
# np.eye, functional API, separate Activation/ReLU layers, a Dropout in the activation models,
# ImageDataGenerator for the augmentation, cm from tf.math.confusion_matrix.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras.preprocessing.image import ImageDataGenerator

(X_train, y_train), (X_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
X_train = (X_train / np.float32(255)).reshape(-1, 28, 28, 1)
X_test = (X_test / np.float32(255)).reshape(-1, 28, 28, 1)
y_train_cat = np.eye(10, dtype="float32")[y_train]
y_test_cat = np.eye(10, dtype="float32")[y_test]


def build_ann():
    inputs = tf.keras.Input(shape=(28, 28))
    h = layers.Flatten()(inputs)
    h = layers.Dense(128)(h)
    h = layers.ReLU()(h)
    h = layers.Dropout(rate=0.2)(h)
    h = layers.Dense(64, activation=tf.nn.relu)(h)
    outputs = layers.Dense(10, activation="softmax")(h)
    return tf.keras.Model(inputs, outputs)


def build_activation_model(activation):
    hidden = {"leaky_relu": lambda: layers.LeakyReLU(negative_slope=0.1)}.get(
        activation, lambda: layers.Activation(activation))
    return tf.keras.Sequential([
        layers.Input((28, 28)), layers.Flatten(),
        layers.Dense(128), hidden(), layers.Dropout(0.2),
        layers.Dense(64), hidden(),
        layers.Dense(10, activation="softmax"),
    ])


activation_results = {}
for name in ("sigmoid", "tanh", "relu", "leaky_relu"):
    m = build_activation_model(name)
    m.compile(optimizer=tf.keras.optimizers.Adam(), loss=tf.keras.losses.CategoricalCrossentropy(),
              metrics=["accuracy"])
    hist = m.fit(X_train[..., 0], y_train_cat, epochs=3, validation_split=0.2, verbose=0)
    activation_results[name] = np.float32(max(hist.history["val_accuracy"]))


def build_cnn():
    inputs = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(filters=32, kernel_size=(3, 3), activation="relu")(inputs)
    h = layers.MaxPool2D(pool_size=(2, 2))(h)
    h = layers.Conv2D(filters=64, kernel_size=(3, 3))(h)
    h = layers.Activation("relu")(h)
    h = layers.MaxPool2D()(h)
    h = layers.Flatten()(h)
    h = layers.Dense(128, activation="relu")(h)
    h = layers.Dropout(0.3)(h)
    return tf.keras.Model(inputs, layers.Dense(10, activation="softmax")(h))


cnn = build_cnn()
cnn.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
cnn.fit(X_train, y_train_cat, epochs=5, validation_data=(X_test, y_test_cat), verbose=0)
cm = tf.math.confusion_matrix(np.argmax(y_test_cat, 1), np.argmax(cnn.predict(X_test, verbose=0), 1),
                              num_classes=10).numpy()

datagen = ImageDataGenerator(rotation_range=10, zoom_range=0.1, horizontal_flip=True)
datagen.fit(X_train[:100])
