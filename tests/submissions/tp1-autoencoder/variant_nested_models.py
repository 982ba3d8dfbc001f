# A correct answer in another style, run after the untouched stub cells: an encoder and a decoder
# sub-model (separate activation layers) chained into the autoencoder, the loss given as a function.
import keras
from keras import layers

(x_train, _), (x_test, _) = keras.datasets.cifar10.load_data()
x_train = x_train.reshape(len(x_train), 3072).astype("float32") / 255
x_test = x_test.reshape(len(x_test), 3072).astype("float32") / 255

encoder = keras.Sequential([
    keras.Input(shape=(3072,)),
    layers.Dense(1024), layers.ReLU(),
    layers.Dense(512), layers.Activation("relu"),
    layers.Dense(64), layers.ReLU(),
], name="encoder")
decoder = keras.Sequential([
    keras.Input(shape=(64,)),
    layers.Dense(512, activation="relu"),
    layers.Dense(1024, activation="relu"),
    layers.Dense(3072), layers.Activation("sigmoid"),
], name="decoder")
inputs = keras.Input(shape=(3072,))
autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
autoencoder.compile(optimizer="adam", loss=keras.losses.mean_squared_error)
autoencoder.fit(x_train, x_train, epochs=5, batch_size=16, shuffle=True)
