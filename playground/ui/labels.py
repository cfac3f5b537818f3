"""The words the page shows for the run's choices (data sets, activations): one table,
used by the playground's panels and by the warming-up page, which imports nothing heavy
(``warming``)."""

DATASET_LABELS = {"circle": "Circle", "xor": "XOR", "gauss": "Gauss", "spiral": "Spiral",
                  "moons": "Moons", "blobs3": "3 blobs", "blobs4": "4 blobs",
                  "blobs5": "5 blobs", "spiral3": "3 arms", "pinwheel": "Pinwheel",
                  "plane": "Plane", "multigauss": "Multi-Gauss", "sine": "Sine"}
ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear",
                     "leaky_relu": "Leaky ReLU", "elu": "ELU", "gelu": "GELU", "sine": "Sine"}
