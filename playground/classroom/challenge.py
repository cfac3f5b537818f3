"""A class challenge: a goal on the run's own numbers, with limits on the run's own settings
(no Panel, no param here: a Goal checks plain dictionaries).

    goal = Goal.from_payload({"dataset": "spiral", "metric": "test_accuracy", "target": 0.95,
                              "max_layers": 2, "max_neurons": 6, "features": ["x1", "x2"]})
    goal.describe()     # "Test accuracy ≥ 95 % on spiral (noise 0), with at most 2 hidden …"
    goal.check(run.settings(), run.metrics())   # [Check(label, met, detail), ...]
    goal.met(settings, metrics)                 # every check met

The data are pinned (data set, noise, train ratio and number of points as the teacher set
them) so every student learns the same problem; the seed is the student's to choose (the
server retrains with it). A payload comes from the database: every field is checked, and a
bad one raises ValueError with the reason.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from ..engine import datasets, features

METRICS = {"test_accuracy": "Test accuracy", "test_loss": "Test loss"}
MAX_LAYERS = 8
MAX_NEURONS = 8
MAX_EPOCHS = 10_000          # a submission is retrained on the server up to this many epochs
DEFAULT_DATA = {"noise": 0.0, "train_ratio": 0.5, "n_samples": 500}   # Run's defaults


class Check(NamedTuple):
    label: str       # what is asked, e.g. "at most 2 hidden layers"
    met: bool
    detail: str      # what the run has, e.g. "you have 3"


def _number(value, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name}: a number is needed")
    if not lo <= value <= hi:
        raise ValueError(f"{name}: {value} is outside {lo}..{hi}")
    return float(value)


def _whole(value, name: str, lo: int, hi: int) -> int | None:
    if value is None or (type(value) is int and value == 0):
        return None                       # no limit
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name}: a whole number {lo}..{hi} is needed")
    return value


def _percent(x: float) -> str:
    return f"{100 * x:.0f} %" if abs(100 * x - round(100 * x)) < 1e-9 else f"{100 * x:.1f} %"


class Goal(NamedTuple):
    dataset: str
    metric: str                     # a METRICS key
    target: float                   # accuracy ≥ target (a fraction), or loss ≤ target
    max_layers: int | None = None   # hidden layers
    max_neurons: int | None = None  # neurons in each hidden layer
    features: tuple | None = None   # the features allowed (None: any)
    max_epochs: int = MAX_EPOCHS
    noise: float = DEFAULT_DATA["noise"]
    train_ratio: float = DEFAULT_DATA["train_ratio"]
    n_samples: int = DEFAULT_DATA["n_samples"]

    @classmethod
    def from_payload(cls, p) -> "Goal":
        if not isinstance(p, dict):
            raise ValueError("a challenge is a set of fields")
        dataset = p.get("dataset")
        if dataset not in datasets.DATASETS:
            raise ValueError(f"dataset: {dataset!r} is not a data set here")
        metric = p.get("metric", "test_accuracy")
        if metric not in METRICS:
            raise ValueError(f"metric: choose {' or '.join(METRICS)}")
        classes = dataset not in datasets.REGRESSION
        if metric == "test_accuracy" and not classes:
            raise ValueError(f"{dataset} is a regression data set: its goal is a test loss")
        target = (_number(p.get("target"), "target", 0.0, 1.0) if metric == "test_accuracy"
                  else _number(p.get("target"), "target", 1e-6, 10.0))
        feats = p.get("features")
        if feats is not None:
            if (not isinstance(feats, (list, tuple)) or not feats
                    or any(f not in features.FEATURES for f in feats)):
                raise ValueError("features: a list of feature names is needed "
                                 f"({', '.join(features.FEATURES)})")
            feats = tuple(f for f in features.FEATURES if f in feats)
        return cls(
            dataset=dataset, metric=metric, target=target,
            max_layers=_whole(p.get("max_layers"), "max_layers", 1, MAX_LAYERS),
            max_neurons=_whole(p.get("max_neurons"), "max_neurons", 1, MAX_NEURONS),
            features=feats,
            max_epochs=_whole(p.get("max_epochs", MAX_EPOCHS), "max_epochs", 1, MAX_EPOCHS)
            or MAX_EPOCHS,
            noise=_number(p.get("noise", DEFAULT_DATA["noise"]), "noise", 0, 50),
            train_ratio=_number(p.get("train_ratio", DEFAULT_DATA["train_ratio"]),
                                "train_ratio", 0.1, 0.9),
            n_samples=_whole(p.get("n_samples", DEFAULT_DATA["n_samples"]), "n_samples",
                             20, 500) or DEFAULT_DATA["n_samples"])

    def payload(self) -> dict:
        d = self._asdict()
        d["features"] = list(self.features) if self.features else None
        return d

    def data_settings(self) -> dict:
        """The run settings the challenge pins (everyone learns the same data)."""
        return {"dataset": self.dataset, "noise": self.noise, "train_ratio": self.train_ratio,
                "n_samples": self.n_samples}

    def target_text(self) -> str:
        if self.metric == "test_accuracy":
            return f"test accuracy ≥ {_percent(self.target)}"
        return f"test loss ≤ {self.target:g}"

    def describe(self) -> str:
        """The goal in one sentence, for the banner, the student's card and the board."""
        parts = [f"{self.target_text().capitalize()} on {self.dataset} (noise {self.noise:g})"]
        limits = []
        if self.max_layers:
            limits.append(f"at most {self.max_layers} hidden layer"
                          + ("s" if self.max_layers > 1 else ""))
        if self.max_neurons:
            limits.append(f"at most {self.max_neurons} neuron"
                          + ("s" if self.max_neurons > 1 else "") + " per layer")
        if self.features:
            limits.append("features " + ", ".join(features.FEATURE_LABELS[f]
                                                  for f in self.features) + " only")
        within = f"within {self.max_epochs:,} epochs"
        return ", ".join([parts[0], *(["with " + ", ".join(limits)] if limits else []),
                          within]) + "."

    def check(self, settings: dict, metrics: dict) -> list[Check]:
        """Each part of the goal against a run's settings (``Run.settings()``) and metrics
        (``Run.metrics()``)."""
        out = []
        data_ok = (settings.get("dataset") == self.dataset
                   and math.isclose(float(settings.get("noise", -1)), self.noise, abs_tol=1e-9)
                   and math.isclose(float(settings.get("train_ratio", -1)), self.train_ratio,
                                    abs_tol=1e-9)
                   and int(settings.get("n_samples", -1)) == self.n_samples)
        out.append(Check(f"the {self.dataset} data (noise {self.noise:g}, train ratio "
                         f"{self.train_ratio:g}, {self.n_samples} points)", data_ok,
                         "yes" if data_ok else "change the data back to the challenge's"))
        hidden = list(settings.get("hidden", []))
        if self.max_layers:
            out.append(Check(f"at most {self.max_layers} hidden layers",
                             len(hidden) <= self.max_layers, f"you have {len(hidden)}"))
        if self.max_neurons:
            widest = max(hidden, default=0)
            out.append(Check(f"at most {self.max_neurons} neurons per layer",
                             widest <= self.max_neurons, f"your widest has {widest}"))
        if self.features:
            extra = [f for f in settings.get("features", []) if f not in self.features]
            out.append(Check("features " + ", ".join(features.FEATURE_LABELS[f]
                                                     for f in self.features) + " only",
                             not extra, "yes" if not extra else "remove " + ", ".join(
                                 features.FEATURE_LABELS.get(f, f) for f in extra)))
        epoch = int(metrics.get("epoch", 0))
        out.append(Check(f"within {self.max_epochs:,} epochs", 0 < epoch <= self.max_epochs,
                         f"epoch {epoch:,}"))
        value = metrics.get(self.metric, math.nan)
        value = math.nan if value is None else float(value)
        if self.metric == "test_accuracy":
            reached = math.isfinite(value) and value >= self.target - 1e-9
            now = "—" if not math.isfinite(value) else _percent(value)
        else:
            reached = math.isfinite(value) and value <= self.target + 1e-12
            now = "—" if not math.isfinite(value) else f"{value:.4f}"
        out.append(Check(self.target_text(), reached, f"now {now}"))
        return out

    def met(self, settings: dict, metrics: dict) -> bool:
        return all(c.met for c in self.check(settings, metrics))

    def score(self, metrics: dict) -> tuple:
        """A leaderboard's order (smaller first): the better metric, then fewer weights,
        then fewer epochs."""
        value = float(metrics.get(self.metric, math.nan))
        better = -value if self.metric == "test_accuracy" else value
        return (better if math.isfinite(better) else math.inf,
                int(metrics.get("weights", 0)), int(metrics.get("epoch", 0)))
