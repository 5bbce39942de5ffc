"""The relationship model: a probability that a candidate pair is related, from its evidence.

Why a model and not rules: the evidence kinds (similarity, names in observations, name structure,
co-mention in conversations, the source graph's structure, the type pair) each mean little alone and
differently from graph to graph; a logistic regression weighs them and, fitted on labelled graphs, says
how often an edge with that evidence is right. It is small on purpose: one weight per feature, inspectable
in `relationship_model.json` beside this module with its training provenance (graphs, counts, leave-one-
graph-out figures). Prediction is numpy only: standardise, weigh, add, logistic link. The logistic link
is the calibration; leave-one-graph-out reliability tables (bench/discovery_quality.py) check it holds on
graphs the model never saw. Fitting is in `training.py` (scikit-learn), run by
`scripts/fit_relationship_model.py`; the model id (version + hash of the weights) is written on every edge.

`confidence` is the band of `p_related`: high >= 0.8, medium >= 0.5, low below.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

MODEL_PATH = Path(__file__).resolve().parent / "relationship_model.json"
VERSION = 1
BANDS = ((0.8, "high"), (0.5, "medium"))


def band(p: float | None) -> str:
    """high (>= 0.8), medium (>= 0.5) or low."""
    return next((name for floor, name in BANDS if p is not None and p >= floor), "low")


def band_expr(column: str = "p_related") -> pl.Expr:
    """`band` as a polars expression (vectorised)."""
    return (pl.when(pl.col(column) >= BANDS[0][0]).then(pl.lit(BANDS[0][1]))
            .when(pl.col(column) >= BANDS[1][0]).then(pl.lit(BANDS[1][1])).otherwise(pl.lit("low")))


@dataclass(frozen=True)
class RelationshipModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    training: dict = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        """`relationship-lr-v<version>-<hash of the weights>`: changes whenever a weight does."""
        weights = json.dumps([self.features, self.mean, self.scale, self.coef, self.intercept])
        return f"relationship-lr-v{VERSION}-{hashlib.sha256(weights.encode()).hexdigest()[:10]}"

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """p_related for each row of `frame` (which has every feature column)."""
        if frame.height == 0:
            return np.zeros(0, np.float64)
        x = frame.select(self.features).to_numpy().astype(np.float64)
        z = (np.nan_to_num(x) - np.array(self.mean)) / np.array(self.scale)
        score = z @ np.array(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-score))

    def weights(self) -> dict[str, float]:
        """Each feature's weight per standard deviation: what the model leans on, for people."""
        return dict(zip(self.features, self.coef))

    def to_json(self) -> str:
        """Per feature: its mean and scale (standardisation) and its weight per standard deviation."""
        features = {f: {"mean": m, "scale": s, "weight": w} for f, m, s, w in zip(self.features, self.mean, self.scale, self.coef)}
        return json.dumps({"model_id": self.model_id, "version": VERSION,
                           "p_related": "1 / (1 + exp(-(intercept + sum(weight * (x - mean) / scale))))",
                           "intercept": self.intercept, "features": features, "training": self.training}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "RelationshipModel":
        data = json.loads(text)
        f = data["features"]
        model = cls(tuple(f), tuple(v["mean"] for v in f.values()), tuple(v["scale"] for v in f.values()),
                    tuple(v["weight"] for v in f.values()), float(data["intercept"]), data.get("training", {}))
        if data.get("model_id") not in (None, model.model_id):
            raise ValueError(f"relationship model id {data['model_id']} does not match its weights ({model.model_id})")
        return model


def load_model(path: Path = MODEL_PATH) -> RelationshipModel:
    """The shipped model (or another artefact written by scripts/fit_relationship_model.py)."""
    return RelationshipModel.from_json(Path(path).read_text())
