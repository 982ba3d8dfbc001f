# A correct answer in another style: tf.keras imports, functional API, loss/metric objects,
# a separate Activation layer, labels as int64, validation_split instead of validation_data.
import numpy as np
import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train, x_test = x_train / np.float32(255), x_test / np.float32(255)
y_train, y_test = y_train.astype("int64"), y_test.astype("int64")


def build_model():
    inputs = tf.keras.Input(shape=(28, 28), name="pixels")
    h = tf.keras.layers.Flatten()(inputs)
    h = tf.keras.layers.Dense(128, activation=tf.nn.relu)(h)
    h = tf.keras.layers.Dense(10)(h)
    outputs = tf.keras.layers.Activation("softmax")(h)
    return tf.keras.Model(inputs, outputs, name="mlp")


model = build_model()
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(),
              metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
history = model.fit(x_train, y_train, epochs=3, batch_size=32, validation_split=0.1, verbose=2)
print(model.evaluate(x_test, y_test, verbose=0))
n_params = int(model.count_params())
