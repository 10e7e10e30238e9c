"""Plain functions behind `watchbot train` and `watchbot eval` (the typer wiring is in __main__)."""

from __future__ import annotations

from pathlib import Path

from bot.classify import evaluate
from bot.classify.data import read_corpus, read_heldout
from bot.classify.feedback import feedback_examples
from bot.classify.modeldir import MODEL_DIR
from bot.classify.train import TrainReport, train
from bot.core.ports import Progress, Store


def run_train(
    corpus_dir: Path, out_dir: Path, store: Store | None, progress: Progress | None = None
) -> TrainReport:
    """Train on the corpus (+ the store's feedback, if a store is given) and write `out_dir`.

    The corpus's `heldout/` folder is read for the held-out figures only, never trained on.

    Raises ConfigError when the corpus is missing or malformed. `report.summary()` is the text to
    print.
    """
    feedback = feedback_examples(store) if store is not None else []
    return train(
        read_corpus(corpus_dir),
        out_dir,
        feedback=feedback,
        evaluation_only=read_heldout(corpus_dir),
        progress=progress,
    )


def run_eval(model_dir: Path | None, file: Path | None) -> str:
    """The printed evaluation report: P/R/F1 per label for trained model, rules and keywords.

    `model_dir` None: the shipped model (skipped when there is none). `file` None: the corpus's
    held-out data (heldout/ folder + hash split), with figures per language and per set; otherwise a JSON-lines file with gold labels. Raises ConfigError for a folder
    that is not a model or an unreadable file.
    """
    model = model_dir or MODEL_DIR
    if file is None:
        items = evaluate.held_out_items(evaluate.CORPUS_DIR)
        scores = evaluate.compare(items, model)
        folder = sum(1 for i in items if evaluate.source_of(i) == "heldout/")
        title = (
            f"held-out data of {evaluate.CORPUS_DIR}: {folder} items of heldout/ "
            f"+ {len(items) - folder} of the hash split (never trained on)"
        )
    else:
        scores = evaluate.evaluate_file(file, model)
        title = str(file)
    return evaluate.format_table(scores, title=title)
