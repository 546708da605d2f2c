"""`evaluate` and `compare`: saved models measured on a test split."""

from __future__ import annotations

from mnist_app.cli.models import check_classes, model_description, outputs_of
from mnist_app.cli.output import print_json
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.errors import UserError


def evaluate_command(args) -> int:
    """`evaluate --model PATH`: accuracy, loss and confusion on the dataset's test split."""
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_files import load_model

    metadata = model_description(args.model)
    dataset = load_dataset(args.dataset, require_train=False)
    check_classes(args.model, metadata, dataset)
    model = load_model(args.model)
    with outputs_of(args.model):
        print_json(evaluate(model, dataset.x_test, dataset.y_test).summary())
    return 0


def compare_command(args) -> int:
    """`compare --models A B ...`: each model's figures, and who reads which digits right."""
    from mnist_app.learning.comparison import compare, contender
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_files import load_model

    if len(args.models) < 2:
        raise UserError("compare needs at least two models after --models")
    described = [(path, model_description(path)) for path in args.models]
    dataset = load_dataset(args.dataset, require_train=False)
    for path, metadata in described:
        check_classes(path, metadata, dataset)
    # Every model is read and checked before any is evaluated: a bad last one fails at once.
    loaded = [(path, load_model(path), metadata) for path, metadata in described]
    contenders = []
    for path, model, metadata in loaded:
        with outputs_of(path):
            contenders.append(
                contender(str(path), model, evaluate(model, dataset.x_test, dataset.y_test), metadata)
            )
    comparison = compare(contenders, dataset.y_test)
    print_json(
        {
            "dataset": dataset.name,
            "n": comparison.n,
            "models": [
                {
                    "path": c.name,
                    "arch": c.arch,
                    "params": c.params,
                    "test_accuracy": round(c.evaluation.accuracy, 6),
                    "training_seconds": c.training_seconds,
                }
                for c in contenders
            ],
            "disagreements": comparison.disagreements.tolist(),
            "all_wrong": comparison.all_wrong,
        }
    )
    return 0
