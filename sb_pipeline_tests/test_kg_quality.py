"""The relationship model and how it is judged: metrics, the artefact, the labelled graphs, leave-one-graph-out."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from sb_pipeline.knowledge_graph.labelled import all_graphs, tsv_graph
from sb_pipeline.knowledge_graph.model import MODEL_PATH, RelationshipModel, band, load_model
from sb_pipeline.knowledge_graph.quality import cached_vectors, labelled_candidates, session_buddy_scores
from sb_pipeline.knowledge_graph.training import (MODEL_FEATURES, average_precision, expected_calibration_error, fit, judge,
                                                  leave_one_graph_out, reliability)
from sb_pipeline_tests.conftest import REPO, SAMPLES


def test_metrics_by_hand():
    p = np.array([0.95, 0.85, 0.72, 0.71, 0.3, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0])
    table = reliability(p, y)
    assert [r["bin"] for r in table] == ["0.1-0.2", "0.3-0.4", "0.7-0.8", "0.8-0.9", "0.9-1.0"]
    assert table[2] == {"bin": "0.7-0.8", "n": 2, "mean_p": 0.715, "right": 0.5}
    ece = (1 * 0.1 + 1 * 0.3 + 2 * 0.215 + 1 * 0.15 + 1 * 0.05) / 6
    assert expected_calibration_error(p, y) == pytest.approx(ece, abs=1e-3)
    # AP: ranks 1, 2, 3 right -> precision 1 at each of 3 of 4 positives; the 4th never ranked: 10 pairs in all
    assert average_precision(p, y, positives=4) == pytest.approx(0.75)
    assert average_precision(p, y, positives=4, pairs=10) == pytest.approx(0.75 + 1 / 10)
    got = judge(p, y, positives=4, cut=0.5)
    assert (got["edges"], got["right"], got["precision"], got["recall"]) == (4, 3, 0.75, 0.75)
    assert band(0.8) == "high" and band(0.79) == "medium" and band(0.5) == "medium" and band(0.49) == "low" and band(None) == "low"


def test_the_shipped_artefact_is_inspectable_and_verified():
    model = load_model()
    data = json.loads(MODEL_PATH.read_text())
    assert data["model_id"] == model.model_id and model.model_id.startswith("relationship-lr-v1-")
    assert tuple(data["features"]) == MODEL_FEATURES and all(set(v) == {"mean", "scale", "weight"} for v in data["features"].values())
    assert set(data["training"]["graphs"]) == {"umls", "debian", "devgraph", "samples"}
    assert set(data["training"]["leave_one_graph_out"]) == {"umls", "debian", "devgraph", "samples"}
    again = RelationshipModel.from_json(model.to_json())
    frame = pl.DataFrame({f: np.linspace(0, 1, 7) for f in MODEL_FEATURES})
    np.testing.assert_allclose(again.predict(frame), model.predict(frame))
    data["features"]["cosine"]["weight"] += 1.0  # a weight changed by hand no longer matches the id
    with pytest.raises(ValueError, match="does not match"):
        RelationshipModel.from_json(json.dumps(data))
    weights = model.weights()  # what a reader sees: stated relations and co-mention count for, not against
    assert weights["mention_verb"] > 0 and weights["comention_pmi"] > 0 and weights["null_z"] > 0


def test_the_labelled_graphs_as_discovery_sees_them(tmp_path):
    umls, debian, devgraph, samples = all_graphs(SAMPLES / "knowledge_graph.duckdb", SAMPLES / "KG_MANIFEST.json", tmp_path)
    assert (umls.entities.height, len(umls.source_pairs), len(umls.positives)) == (135, 1065, 2484)  # 30 % of 3,549 held
    assert (debian.entities.height, len(debian.source_pairs), len(debian.positives)) == (500, 352, 821)
    assert (devgraph.entities.height, len(devgraph.source_pairs), len(devgraph.positives)) == (212, 135, 316)
    assert devgraph.conversations.height == 618 and umls.conversations is None
    assert (samples.entities.height, len(samples.source_pairs), len(samples.positives)) == (310, 18, 490)
    held = {frozenset(p) for p in umls.source_pairs}
    assert not held & umls.positives and held == {frozenset(p) for p in tsv_graph("umls").source_pairs}  # deterministic


def test_a_fit_on_two_graphs_is_judged_on_a_third(embedder, tmp_path):
    """The leave-one-graph-out machinery on the two small graphs (UMLS and devgraph, a few seconds once their
    vectors are cached): fitted on one, judged on the other."""
    graphs = {g.name: g for g in (tsv_graph("umls"), tsv_graph("devgraph"))}
    frames = {name: labelled_candidates(g, cached_vectors(embedder.embed, embedder.model_id, g, REPO / "data" / "cache" / "labelled"))
              for name, g in graphs.items()}
    got = leave_one_graph_out(frames, {n: len(g.positives) for n, g in graphs.items()}, {n: g.pairs for n, g in graphs.items()})
    umls, devgraph = got["umls"], got["devgraph"]
    assert devgraph["candidates"] == frames["devgraph"].height and devgraph["positives"] == 316
    assert umls["precision"] >= 0.8 and umls["ece"] > 0.15  # fitted on devgraph alone: right (0.87), too shy (ECE 0.21)
    # fitted on UMLS alone (names only, no observations, no conversations) it does not transfer: precision 0.24,
    # ECE 0.46. One graph is not enough, which is why the shipped model is fitted on four and judged on each left out.
    assert devgraph["precision"] < 0.5 and devgraph["ece"] > 0.3
    assert session_buddy_scores(frames["devgraph"], 316)["edges"] <= 2
    assert fit(list(frames.values())).features == MODEL_FEATURES


@pytest.mark.slow
def test_leave_one_graph_out_reproduces_the_artefacts_figures(embedder, tmp_path):
    """Every graph, fitted on the others (bench/discovery_quality.py prints the same run): the figures written
    into the shipped artefact come out again, and the goals hold where the README says they do."""
    graphs = all_graphs(SAMPLES / "knowledge_graph.duckdb", SAMPLES / "KG_MANIFEST.json", tmp_path)
    cache = REPO / "data" / "cache" / "labelled"
    frames = {g.name: labelled_candidates(g, cached_vectors(embedder.embed, embedder.model_id, g, cache)) for g in graphs}
    got = leave_one_graph_out(frames, {g.name: len(g.positives) for g in graphs}, {g.name: g.pairs for g in graphs})
    recorded = load_model().training["leave_one_graph_out"]
    for name, figures in got.items():
        assert {k: v for k, v in figures.items() if k != "reliability"} == recorded[name], name
    for name in ("debian", "devgraph", "samples", "umls"):
        assert got[name]["precision"] >= 0.6, name
    for name in ("debian", "devgraph", "samples"):
        assert got[name]["ece"] <= 0.10, name
    assert got["umls"]["ece"] > 0.10  # missed on the dense graph (README: 0.147)
