# A correct answer in another style: tf.keras imports, functional API, separate Activation
# layers, MaxPool2D alias, labels one-hot with np.eye, validation_data instead of validation_split,
# loss/metric objects, and the confusion matrix from tf.math.confusion_matrix (an int32 tensor).
import numpy as np
import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train = (x_train / np.float32(255))[..., np.newaxis]
x_test = np.expand_dims(x_test, -1).astype(np.float32) / 255
y_train, y_test = np.eye(10, dtype="float32")[y_train], np.eye(10, dtype="float32")[y_test]


def build_model():
    inputs = tf.keras.Input(shape=(28, 28, 1), name="pixels")
    h = inputs
    for filters, pool in ((32, True), (64, True), (64, False)):
        h = tf.keras.layers.Conv2D(filters, kernel_size=(3, 3))(h)
        h = tf.keras.layers.Activation("relu")(h)
        if pool:
            h = tf.keras.layers.MaxPool2D(pool_size=2)(h)
    h = tf.keras.layers.Flatten()(h)
    h = tf.keras.layers.Dense(128, activation=tf.nn.relu)(h)
    h = tf.keras.layers.Dropout(rate=0.5)(h)
    outputs = tf.keras.layers.Dense(10, activation="softmax")(h)
    return tf.keras.Model(inputs, outputs, name="cnn")


early_stop = tf.keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=3, restore_best_weights=True,
                                              verbose=1)
model = build_model()
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
              loss=tf.keras.losses.CategoricalCrossentropy(),
              metrics=[tf.keras.metrics.CategoricalAccuracy(name="accuracy")])
history = model.fit(x_train, y_train, epochs=10, batch_size=32, validation_data=(x_test[:500], y_test[:500]),
                    callbacks=[early_stop], verbose=2)
cm = tf.math.confusion_matrix(tf.argmax(y_test, axis=1), tf.argmax(model(x_test, training=False), axis=1),
                              num_classes=10)
print(cm.numpy())
