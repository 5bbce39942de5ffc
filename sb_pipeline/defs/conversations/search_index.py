"""The lexical index of the chunks, and the retrieval quality of search re-measured on every run.

An asset of its own, downstream of the chunks *and* the embeddings: the index only needs the chunks, but
running after the embeddings lets its `retrieval_quality` check measure hybrid search on the run's final
state, and gives the index its own metadata in the UI (documents, added, deleted, seconds). It syncs by
difference (sb_pipeline/warehouse/lexical_index.py), so a run that changed 100 conversations touches their
chunks only, and a killed sync is repaired by the next one.
"""

import time

import dagster as dg

from sb_pipeline import settings
from sb_pipeline.conversations.evaluation import development_slice, evaluate, shipped_probes
from sb_pipeline.defs.automation import DOWNSTREAM_POLICY
from sb_pipeline.defs.conversations.assets import GROUP, WRITE_POOL, conversation_chunks, conversation_embeddings
from sb_pipeline.defs.progress import StepProgress
from sb_pipeline.defs.resources import EmbedderResource, WarehouseResource
from sb_pipeline.embedding.cache import cached_embedder
from sb_pipeline.warehouse import generations
from sb_pipeline.warehouse.lexical_index import sync

# WARN when hybrid search falls below these. Measured on 2026-12-04 (all-MiniLM-L6-v2 fp32): the samples' 10
# probes 1.0 / 1.0; the development slice's 107 queries R@5 0.944, MRR 0.782 (lexical alone 0.925 / 0.675).
FLOORS = {"samples": {"recall_at_5": 0.9, "mrr": 0.8}, "dev_slice": {"recall_at_5": 0.9, "mrr": 0.72}}


@dg.asset(group_name=GROUP, kinds={"tantivy", "python"}, pool=WRITE_POOL, deps=[conversation_chunks, conversation_embeddings],
          **DOWNSTREAM_POLICY, check_specs=[dg.AssetCheckSpec(
              "retrieval_quality", asset="conversation_lexical_index",
              description="Recall@5 and MRR of hybrid, semantic and lexical search on the shipped labelled probes and a "
                          "slice of the labelled development set (WARN below the floors)")])
def conversation_lexical_index(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                               embedder: EmbedderResource) -> dg.MaterializeResult:
    """A BM25 index (tantivy) of every chunk's words (sb_pipeline.text.tokens), beside the warehouse, stamped
    with the warehouse's chunks token so that search never meets a stale one."""
    started = time.perf_counter()
    with warehouse.get_connection() as conn:
        generation = generations.ensure(conn, generations.CHUNKS)
    progress = StepProgress(context.log, "conversation_lexical_index", 0, "chunks")
    result = sync(lambda: warehouse.get_connection(read_only=True), warehouse.lexical_index_path, generation,
                  on_progress=lambda done, total: _advance(progress, done, total))
    seconds = time.perf_counter() - started
    quality = _probe_quality(embedder)
    below = [f"{labelled} {name} {quality[labelled]['hybrid'][name]} < {floor}" for labelled, floors in FLOORS.items()
             for name, floor in floors.items() if quality[labelled]["hybrid"][name] < floor]
    check = dg.AssetCheckResult(
        check_name="retrieval_quality", severity=dg.AssetCheckSeverity.WARN, passed=not below,
        metadata={f"{labelled}_{mode}_{name}": value for labelled, modes in quality.items()
                  for mode, figures in modes.items() for name, value in figures.items()},
        description="; ".join(below) or ("hybrid R@5 / MRR: samples {samples}, development slice {dev}".format(
            samples=_pair(quality["samples"]["hybrid"]), dev=_pair(quality["dev_slice"]["hybrid"]))),
    )
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(result.docs),
        "added": dg.MetadataValue.int(result.added),
        "deleted": dg.MetadataValue.int(result.deleted),
        "rebuilt": dg.MetadataValue.bool(result.rebuilt),
        "seconds": dg.MetadataValue.float(round(seconds, 2)),
        "path": dg.MetadataValue.path(str(warehouse.lexical_index_path)),
    }, check_results=[check])


def _pair(figures: dict[str, float]) -> str:
    return f"{figures['recall_at_5']} / {figures['mrr']}"


def _advance(progress: StepProgress, done: int, total: int) -> None:
    progress.total = total
    progress.advance(done)


def _probe_quality(embedder: EmbedderResource) -> dict[str, dict[str, dict[str, float]]]:
    """Both labelled sets in memory, with the current model and tokeniser; their chunk vectors are kept per model
    beside the model cache, so only the first run after a model change embeds them (~500 texts)."""
    from sb_pipeline.embedding import load_tokenizer

    model = embedder.get()
    embed, tokenizer = cached_embedder(model.embed, model.model_id, embedder.models()), load_tokenizer()
    root = settings.project_root()
    return {"samples": evaluate(*shipped_probes(settings.samples_dir(), tokenizer, embed)),
            "dev_slice": evaluate(*development_slice(root / "bench" / "labelled" / "retrieval_dev", tokenizer, embed))}
