"""Reference solutions for assignment 1, the Keras tutorial (The Happy House)."""

import keras
from keras import layers

from course_utils.guard import reference_solution


@reference_solution
def HappyModel(input_shape):  # noqa: N802 - the lecture's name
    """The lecture's model, Functional API. input (m, 64, 64, 3) -> (m, 1) P(smiling).

    ZeroPadding2D(3) -> Conv2D(32, 7x7) 'conv0' -> BatchNormalization 'bn0' -> ReLU ->
    MaxPooling2D(2) 'max_pool' -> Flatten -> Dense(1, sigmoid) 'fc'.
    """
    X_input = keras.Input(input_shape)
    X = layers.ZeroPadding2D((3, 3))(X_input)
    X = layers.Conv2D(32, (7, 7), strides=(1, 1), name="conv0")(X)
    X = layers.BatchNormalization(axis=3, name="bn0")(X)
    X = layers.Activation("relu")(X)
    X = layers.MaxPooling2D((2, 2), name="max_pool")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(1, activation="sigmoid", name="fc")(X)
    return keras.Model(inputs=X_input, outputs=X, name="HappyModel")


@reference_solution
def happy_model_sequential(input_shape):
    """The same architecture with keras.Sequential."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.ZeroPadding2D((3, 3)),
            layers.Conv2D(32, (7, 7), strides=(1, 1), name="conv0"),
            layers.BatchNormalization(axis=3, name="bn0"),
            layers.Activation("relu"),
            layers.MaxPooling2D((2, 2), name="max_pool"),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid", name="fc"),
        ],
        name="HappyModelSequential",
    )


@reference_solution
def layer_output_shapes(input_shape):
    """Objects as functions: the shapes after ZeroPadding2D(3), Conv2D(32, 7), MaxPool(2)."""
    X_input = keras.Input(input_shape)
    ZP = layers.ZeroPadding2D((3, 3))
    X1 = ZP(X_input)
    CONV = layers.Conv2D(32, (7, 7))
    X2 = CONV(X1)
    POOL = layers.MaxPooling2D((2, 2))
    X3 = POOL(X2)
    return [tuple(X.shape[1:]) for X in (X1, X2, X3)]


@reference_solution
def compile_and_train(model, X_train, Y_train, X_dev, Y_dev, epochs, batch_size):
    """Compile with adam and binary cross-entropy, fit on the train set, watch the dev set."""
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(
        X_train,
        Y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(X_dev, Y_dev),
        verbose=0,
    )


@reference_solution
def improved_model(input_shape):
    """The lecture's tips: CONV->BN->RELU blocks with MAXPOOL until height and width are
    small and channels around 32, then a sigmoid unit."""
    X_input = keras.Input(input_shape)
    X = X_input
    for i, filters in enumerate((16, 32, 32)):
        X = layers.Conv2D(filters, (3, 3), padding="same", name=f"conv{i}")(X)
        X = layers.BatchNormalization(axis=3, name=f"bn{i}")(X)
        X = layers.Activation("relu")(X)
        X = layers.MaxPooling2D((2, 2), name=f"pool{i}")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(1, activation="sigmoid", name="fc")(X)
    return keras.Model(X_input, X, name="ImprovedHappyModel")


def lecture_dev_score():
    """The lecture model's dev accuracy and loss after the training every model of
    exercise 5 gets (``checks.train_and_measure``: adam, 20 epochs, batch 16)."""
    from course_utils.checks import train_and_measure

    accuracy, loss = train_and_measure(HappyModel.unguarded, epochs=20)
    return {"accuracy": round(accuracy, 4), "loss": round(loss, 4)}
