# A correct answer in another style: tf.keras, a Sequential model, float64 pixels flattened with
# np.reshape, a Loss instance, the encoder cut from the Sequential's own layers.
import numpy as np
from tensorflow import keras

(x_train, _), (x_test, _) = keras.datasets.cifar10.load_data()
x_train = np.reshape(x_train / 255.0, (len(x_train), -1))
x_test = np.reshape(x_test / 255.0, (len(x_test), -1))

autoencoder = keras.Sequential([
    keras.Input(shape=(3072,)),
    keras.layers.Dense(1024, activation="relu"),
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dense(1024, activation="relu"),
    keras.layers.Dense(3072, activation="sigmoid"),
])
autoencoder.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.MeanSquaredError())
encoder = keras.Model(inputs=autoencoder.inputs, outputs=autoencoder.layers[2].output)

autoencoder.fit(x_train, x_train, epochs=5, batch_size=16, validation_data=(x_test, x_test), verbose=0)
