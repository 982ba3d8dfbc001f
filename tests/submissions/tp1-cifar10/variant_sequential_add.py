# A correct answer appended to the untouched student notebook: Sequential with .add, Dense -> BN -> ReLU
# in the head, labels with np.eye, class names as a tuple, predict_image with tf.io and tf.image.resize.
import tensorflow as tf

(xa, ya), (xb, yb) = keras.datasets.cifar10.load_data()
X_train, X_test = np.float32(xa) / 255, np.float32(xb) / 255
y_train_cat, y_test_cat = np.eye(10, dtype="float32")[ya[:, 0]], np.eye(10, dtype="float32")[yb[:, 0]]
class_names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def create_cnn():
    m = keras.models.Sequential()
    m.add(keras.layers.InputLayer(shape=(32, 32, 3)))
    for n in (32, 64, 128):
        m.add(keras.layers.Conv2D(n, 3, activation="relu", padding="same"))
        m.add(keras.layers.BatchNormalization())
        m.add(keras.layers.Conv2D(n, 3, activation="relu"))
        m.add(keras.layers.MaxPooling2D(2))
        m.add(keras.layers.Dropout(0.25))
    m.add(keras.layers.Flatten())
    m.add(keras.layers.Dense(512))
    m.add(keras.layers.BatchNormalization())
    m.add(keras.layers.Activation("relu"))
    m.add(keras.layers.Dropout(0.5))
    m.add(keras.layers.Dense(256, activation="relu"))
    m.add(keras.layers.Dropout(0.5))
    m.add(keras.layers.Dense(10, activation="softmax"))
    return m


early = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=5, min_lr=1e-7)
callbacks = [early, plateau]
model_cnn = create_cnn()
model_cnn.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model_cnn.fit(X_train, y_train_cat, validation_data=(X_test, y_test_cat), epochs=30, batch_size=32,
                        callbacks=callbacks)


def predict_image(path):
    raw = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    x = tf.image.resize(tf.cast(raw, tf.float32) / 255.0, (32, 32))
    p = model_cnn(x[tf.newaxis], training=False).numpy()[0]
    return str(class_names[p.argmax()]), float(p.max())
