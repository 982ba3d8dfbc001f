# A correct answer in another style: ResNet50 built on the preprocessed input tensor
# (`input_tensor=`), so its layers sit directly in the model's `layers`; pooling inside the base
# (`pooling="avg"`); unfreezing by layer names; subset="both"; cached datasets.
import keras
from keras.applications import resnet50


def build_transfer_model(weights="imagenet", input_shape=(224, 224, 3)):
    inputs = keras.Input(shape=input_shape)
    x = resnet50.preprocess_input(inputs)
    base = resnet50.ResNet50(weights=weights, include_top=False, input_tensor=x, pooling="avg")
    base.trainable = False
    outputs = keras.layers.Dense(units=1, activation=keras.activations.sigmoid)(base.output)
    return keras.Model(inputs=inputs, outputs=outputs)


def unfreeze_top(model, n_layers=30):
    names = [layer.name for layer in model.layers]
    base_layers = model.layers[names.index("conv1_pad"):names.index("avg_pool") + 1]
    for i, layer in enumerate(base_layers):
        layer.trainable = i >= len(base_layers) - n_layers
    return model


def compile_for_finetuning(model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.00001), loss=keras.losses.binary_crossentropy,
                  metrics=["acc"])
    return model


def make_datasets(directory, batch_size=32):
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        directory, validation_split=0.2, subset="both", seed=7, image_size=(224, 224), batch_size=batch_size,
        label_mode="binary")
    return train_ds.cache(), val_ds.cache()
