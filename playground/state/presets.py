"""One-click lessons: a set-up plus two lines telling the learner what to try.

Each preset's settings are applied on top of the defaults, so a preset always opens
the same set-up whatever was on screen before. A preset sets every choice its text
names (e.g. the sigmoid of logistic regression), so every menu shows what the run
uses; the tests check each lesson's set-up against what its text says.
"""
from __future__ import annotations

from typing import NamedTuple


class Preset(NamedTuple):
    title: str
    try_this: str
    settings: dict


PRESETS: dict[str, Preset] = {
    "xor-linear": Preset(
        "Linear model can't do XOR",
        "Press Play: with no hidden layer the network can only draw one straight line, so it "
        "stays near 50 %. Now add a hidden layer of 4 neurons — or tick the X₁X₂ feature.",
        dict(dataset="xor", hidden=[], features=["x1", "x2"])),
    "circle-features": Preset(
        "Feature engineering solves the circle",
        "No hidden layer, but the inputs are X₁² and X₂²: one neuron now draws a circle and "
        "reaches 100 %. Switch back to X₁ and X₂ and it cannot.",
        dict(dataset="circle", hidden=[], features=["x1_sq", "x2_sq"], learning_rate=0.01)),
    "spiral-depth": Preset(
        "Depth for the spiral",
        "Six layers of 8 neurons build the spiral piece by piece (give it a few hundred "
        "epochs). Remove layers one at a time: where does it stop working?",
        dict(dataset="spiral", hidden=[8, 8, 8, 8, 8, 8], optimizer="adam",
             learning_rate=0.003, activation="tanh")),
    "lr-too-high": Preset(
        "Too high a learning rate",
        "Press Play: every step overshoots the minimum and the run diverges at once. Try 3 "
        "(it stalls), then 0.03 and Reset — too low is the safer mistake.",
        dict(dataset="circle", learning_rate=10.0)),
    "overfitting": Preset(
        "Overfitting with noise and few points",
        "Few noisy training points and a big network: the training loss keeps falling while "
        "the test loss turns up. Try L2 regularisation, or set early stopping.",
        dict(dataset="xor", noise=50, train_ratio=0.1, hidden=[16, 16, 16], optimizer="adam",
             learning_rate=0.01, activation="relu")),
    "logistic-regression": Preset(
        "Logistic regression is one neuron",
        "No hidden layer, a sigmoid output and cross-entropy: that is logistic regression. "
        "The boundary is a straight line; the colour is the probability of blue.",
        dict(dataset="gauss", hidden=[], loss="cross_entropy", activation="sigmoid",
             learning_rate=0.1)),
    "softmax": Preset(
        "Softmax: one neuron per class",
        "Four classes, so the output has four neurons: a softmax turns them into "
        "probabilities, cross-entropy trains them. Click an output neuron to see its class's "
        "probability. Then add a hidden layer and try spiral3.",
        dict(dataset="blobs4", hidden=[], features=["x1", "x2"], loss="cross_entropy",
             learning_rate=0.1)),
    "fit-sine": Preset(
        "Fit a sine wave",
        "A few tanh neurons bend a line into a wave: press Play. Then try ReLU — the fit "
        "becomes a chain of straight pieces.",
        dict(dataset="sine", hidden=[8, 8], features=["x1"], activation="tanh",
             optimizer="adam", learning_rate=0.01)),
}
