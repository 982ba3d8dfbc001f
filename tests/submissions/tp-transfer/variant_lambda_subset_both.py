"""A correct answer in another style: tf.keras imports, a Lambda layer for preprocess_input, the base found by
type, metric objects, image_dataset_from_directory(subset="both")."""
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.applications.resnet50 import ResNet50, preprocess_input


def build_transfer_model(weights="imagenet", input_shape=(224, 224, 3)):
    base_model = ResNet50(include_top=False, weights=weights, input_shape=input_shape)
    for layer in base_model.layers:
        layer.trainable = False
    inp = keras.layers.Input(input_shape)
    x = keras.layers.Lambda(preprocess_input, name="preprocess")(inp)
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(1, activation=tf.nn.sigmoid)(x)
    return keras.Model(inputs=inp, outputs=out)


def unfreeze_top(model, n_layers=30):
    base = [l for l in model.layers if isinstance(l, keras.Model)][0]
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= len(base.layers) - n_layers
    return model


def compile_for_finetuning(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy")])
    return model


def make_datasets(directory, batch_size=32):
    train, val = keras.utils.image_dataset_from_directory(
        directory, validation_split=0.2, subset="both", seed=42, image_size=(224, 224),
        batch_size=batch_size, label_mode="binary")
    return train, val
