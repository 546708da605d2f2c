"""`map --model PATH --layer NAME|all`: the test digits as one layer (or each) of a model sees
them, brought down to two numbers each, with how far apart the classes are there."""

from __future__ import annotations

import sys
from pathlib import Path

from mnist_app.cli.models import check_classes, model_description
from mnist_app.cli.output import print_json
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.errors import UserError
from mnist_app.files import atomic_write

ALL = "all"


def map_command(args) -> int:
    """One JSON line per layer mapped: its points `[x, y, label, predicted]` and its two figures."""
    from mnist_app.learning.model_map import METHODS

    if args.method not in METHODS:
        raise UserError(f"--method {args.method!r} is not one of {', '.join(METHODS)}")
    if args.png is not None:
        check_png(args.png)
    metadata = model_description(args.model)
    dataset = load_dataset(args.dataset, require_train=False)
    check_classes(args.model, metadata, dataset)

    from mnist_app.learning.model_files import load_model
    from mnist_app.learning.model_map import compute_map, map_layers, model_file_id

    model = load_model(args.model)
    layers = map_layers(model)
    names = [layer.name for layer in layers]
    if args.layer != ALL and args.layer not in names:
        raise UserError(
            f"{args.model} has no layer {args.layer[:80]!r} to map: use {ALL} or one of {', '.join(names)}"
        )
    chosen = layers if args.layer == ALL else [layers[names.index(args.layer)]]
    model_id = model_file_id(args.model)
    maps = []
    for layer in chosen:
        layer_map = compute_map(model, model_id, dataset, layer.name, args.method, _progress(layer.name))
        print(file=sys.stderr, flush=True)
        maps.append((layer, layer_map))
        print_json(
            {
                "model": str(args.model),
                "dataset": dataset.name,
                "layer": layer.name,
                "title": layer.title,
                "method": args.method,
                "n": layer_map.n,
                "knn_accuracy": round(layer_map.knn_accuracy, 6),
                "silhouette": round(layer_map.silhouette, 6),
                "points": [
                    [round(float(x), 4), round(float(y), 4), int(label), int(predicted)]
                    for (x, y), label, predicted in zip(
                        layer_map.points, layer_map.labels, layer_map.predicted, strict=True
                    )
                ],
            }
        )
    if args.png is not None:
        content = map_png(maps, dataset.class_names, args.method)
        atomic_write(args.png, lambda file: file.write(content))
    return 0


def check_png(path: Path) -> None:
    """A `--png` the command can write: a UTF-8 name ending in .png, in a folder it may write to."""
    check_text_name(path, "--png")
    if path.suffix.lower() != ".png" or not path.stem or path.is_dir():
        raise UserError(f"--png {path} must be a file name ending in .png")
    check_writable(path.expanduser().parent, "the map's picture")


def _progress(layer: str):
    def report(fraction: float, words: str) -> None:
        print(f"\r{layer}: {words} ({fraction:.0%})".ljust(72), end="", file=sys.stderr, flush=True)

    return report


def map_png(maps: list, class_names: tuple[str, ...], method: str) -> bytes:
    """The maps as one PNG, a panel per layer: a colour per true class, a ring round each misread digit."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from mnist_app.learning.model_map import METHOD_TITLES

    columns = min(3, len(maps))
    rows = -(-len(maps) // columns)
    figure = Figure(figsize=(5 * columns, 4.6 * rows), layout="constrained")
    colours = matplotlib.colormaps["tab10"]
    for position, (layer, layer_map) in enumerate(maps):
        axes = figure.add_subplot(rows, columns, position + 1)
        x, y = layer_map.points[:, 0], layer_map.points[:, 1]
        for label, name in enumerate(class_names):
            chosen = layer_map.labels == label
            axes.scatter(x[chosen], y[chosen], s=4, color=colours(label % 10), label=name, linewidths=0)
        wrong = layer_map.labels != layer_map.predicted
        axes.scatter(x[wrong], y[wrong], s=22, facecolors="none", edgecolors="black", linewidths=0.6,
                     label="read wrong")  # fmt: skip
        axes.set_title(
            f"{layer.title}\nnearest-neighbour accuracy {layer_map.knn_accuracy:.1%}, "
            f"silhouette {layer_map.silhouette:.2f}",
            fontsize=9,
        )
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle(
        f"The test digits as each layer sees them ({METHOD_TITLES[method]}; colour: the true class)"
    )
    figure.legend(*figure.axes[0].get_legend_handles_labels(), loc="outside lower center",
                  ncols=min(11, len(class_names) + 1), markerscale=3)  # fmt: skip
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
