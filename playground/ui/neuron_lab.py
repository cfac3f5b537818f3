"""The Neuron lab tab: the single neuron, then backpropagation, with numbers to check."""
from __future__ import annotations

import panel as pn

from .backprop_view import BackpropView
from .cards import lab_layout
from .learning_views import DeltaRuleView, HousePricesView, LogisticView
from .neuron_views import GalleryView, PerceptronView

INTRO = ("Before the playground makes sense, meet one neuron: it weighs its inputs, adds them "
         "up and passes the sum through an activation function.<br>Then follow the chain rule "
         "backwards through a tiny network, with every number shown so you can check it by "
         "hand.")

SECTIONS = (   # key, title, two-line explanation, width of the card in pixels
    ("perceptron", "1. The perceptron",
     "Inputs 0 or 1, one weight each, and a threshold: the neuron outputs 1 only when the "
     "weighted sum exceeds the threshold. Try (0, 1, 1) and (1, 0, 1).", 560),
    ("gallery", "2. Activation functions",
     "A smooth activation gives a slope, and the slope is what gradient descent follows. "
     "Where the slope is (nearly) zero the function saturates and learning stalls.", 700),
    ("delta", "3. A sigmoid neuron learns one example (the delta rule)",
     "Δw = η · x · (o − t) · o · (1 − o), then w ← w − Δw. The last column is the same step "
     "computed by jax.grad of ½(o − t)²: they agree.", 800),
    ("logistic", "4. Logistic regression is one neuron",
     "A sigmoid neuron with the cross-entropy loss separates two classes by a straight line. "
     "The background is its probability of 'blue'; press Play and watch the line move.", 580),
    ("backprop", "5. Backpropagation, step by step",
     "A 2 → 2 → 1 network on one example: Next runs the forward pass, then the chain rule "
     "from the loss back to every weight, then one update. All weights are editable.", 940),
    ("house", "6. House prices: from one neuron to a network",
     "Age, floor area, bedrooms and location → price. Many bedrooms in a small flat lower the "
     "price: a hidden layer can learn such an interaction, a straight line cannot.", 600),
)


class NeuronLab(pn.viewable.Viewer):
    """All six demonstrations; ``tick`` advances the ones that are playing."""

    def __init__(self, **params):
        super().__init__(**params)
        self.perceptron = PerceptronView()
        self.gallery = GalleryView()
        self.delta = DeltaRuleView()
        self.logistic = LogisticView()
        self.backprop = BackpropView()
        self.house = HousePricesView()
        self._layout = self._build()

    def tick(self):
        """Called by the page's one periodic callback while this tab is shown: advances
        what is playing and redraws what changed."""
        for view in (self.perceptron, self.gallery, self.delta, self.logistic, self.backprop,
                     self.house):
            view.tick()

    def _build(self):
        return lab_layout(self, INTRO, SECTIONS)

    def __panel__(self):
        return self._layout
