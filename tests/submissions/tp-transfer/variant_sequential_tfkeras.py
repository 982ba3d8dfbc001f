# A correct answer in another style: tf.keras, a Sequential model with preprocess_input in a Lambda
# layer, the base frozen layer by layer, a separate Activation layer, loss and metric objects,
# integer labels (shape (batch,)) and a prefetched pipeline (which drops `file_paths`).
import tensorflow as tf


def build_transfer_model(weights="imagenet", input_shape=(224, 224, 3)):
    base_model = tf.keras.applications.ResNet50(include_top=False, weights=weights, input_shape=input_shape)
    for layer in base_model.layers:
        layer.trainable = False
    return tf.keras.Sequential([
        tf.keras.Input(shape=input_shape),
        tf.keras.layers.Lambda(tf.keras.applications.resnet50.preprocess_input),
        base_model,
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(1),
        tf.keras.layers.Activation("sigmoid"),
    ])


def unfreeze_top(model, n_layers=30):
    base_model = next(layer for layer in model.layers if isinstance(layer, tf.keras.Model))
    for layer in base_model.layers[-n_layers:]:
        layer.trainable = True


def compile_for_finetuning(model):
    model.compile(tf.keras.optimizers.Adam(1e-5), loss=tf.keras.losses.BinaryCrossentropy(),
                  metrics=[tf.keras.metrics.BinaryAccuracy()])


def make_datasets(directory, batch_size=32):
    out = []
    for subset in ("training", "validation"):
        ds = tf.keras.utils.image_dataset_from_directory(
            directory, labels="inferred", label_mode="int", validation_split=0.2, subset=subset, seed=42,
            image_size=(224, 224), batch_size=batch_size)
        out.append(ds.prefetch(tf.data.AUTOTUNE))
    return tuple(out)
