"""A correct tp1-cifar10 written differently: tf.keras, functional API, separate Activation layers,
French class names, callbacks in the other order, predict_image with PIL and numpy."""

import numpy as np
import tensorflow as tf
from PIL import Image
from tensorflow.keras import layers, models

(x_tr, y_tr), (x_te, y_te) = tf.keras.datasets.cifar10.load_data()
X_train = (x_tr / 255.0).astype(np.float32)
X_test = (x_te / 255.0).astype(np.float32)
y_train_cat = tf.keras.utils.to_categorical(y_tr.ravel(), num_classes=10)
y_test_cat = tf.keras.utils.to_categorical(y_te.ravel(), num_classes=10)
class_names = ["Avion", "Voiture", "Oiseau", "Chat", "Cerf", "Chien", "Grenouille", "Cheval", "Bateau", "Camion"]


def conv_block(x, filters):
    x = layers.Conv2D(filters, kernel_size=3, padding="same")(x)
    x = layers.Activation("relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Conv2D(filters, kernel_size=(3, 3), padding="valid")(x)
    x = layers.ReLU()(x)
    x = layers.MaxPool2D(pool_size=2)(x)
    return layers.Dropout(rate=0.25)(x)


def create_cnn():
    inputs = layers.Input(shape=(32, 32, 3))
    x = inputs
    for f in [32, 64, 128]:
        x = conv_block(x, f)
    x = layers.Flatten()(x)
    x = layers.Dense(512)(x)
    x = layers.Activation("relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(256, activation=tf.nn.relu)(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    outputs = layers.Softmax()(outputs)
    return models.Model(inputs, outputs, name="cifar_cnn")


callbacks = (
    tf.keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", mode="max", factor=.5, patience=5, min_lr=0.0000001),
    tf.keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=10, restore_best_weights=True),
)

model_cnn = create_cnn()
model_cnn.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model_cnn.fit(X_train, y_train_cat, epochs=30, batch_size=64, validation_split=0.1, callbacks=list(callbacks),
              verbose=2)


def predict_image(path):
    img = Image.open(path).convert("RGB").resize((32, 32))
    arr = np.asarray(img, dtype=np.float32) / 255.0
    probs = model_cnn.predict(np.expand_dims(arr, 0), verbose=0)
    k = np.argmax(probs, axis=-1)[0]
    return class_names[k], probs[0, k]
