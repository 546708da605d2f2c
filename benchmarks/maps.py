"""Maps: a PCA map of the test digits at every layer of both presets, UMAP and t-SNE, placing one
drawn digit, and how far apart the classes are at each layer.

    python benchmarks/maps.py [--dataset fashion-mnist] [--epochs 2] [--train-size 10000]
        [--digits 10000] [--methods pca,umap,tsne] [--strokes 50] [--widths 128,256,512]

The lab's MLP and the app's CNN are trained here on the dataset (Fashion-MNIST where it is
installed: data the maps were not tuned on; else the sample), then each map is computed cold:
no disk cache, nothing in memory. "read" is the test digits through the model to that layer
(and the output, for the model's answers), "measure" the kNN vote and the silhouette, "PCA"
the projection. "place" is the server's share of one canvas stroke on a map: the drawn digit
through the model to that layer, onto the map, and its nearest test digits. `--widths` also
measures, per layer wider than the width, how far the random projection moves the two figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ["MNIST_APP_CACHE_DIR"] = "off"  # every map computed cold
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from mnist_app.datasets.catalogue import load_dataset  # noqa: E402
from mnist_app.errors import UserError  # noqa: E402
from mnist_app.learning import layer_features, model_map, projections  # noqa: E402
from mnist_app.learning.model_map import METHOD_TITLES, compute_map, map_layers, place, separation  # noqa: E402
from mnist_app.learning.training import TrainConfig, train  # noqa: E402


def forget() -> None:
    """Nothing kept in memory: the next map is computed as on a fresh server."""
    model_map.forget_all()


def timed(function, *args):
    began = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - began


def measures(features, labels) -> tuple[float, float]:
    return projections.knn_accuracy(features, labels), projections.silhouette(features, labels)


def pca_table(name: str, model, dataset) -> None:
    print(f"\n### {name}: a PCA map of {min(len(dataset.y_test), model_map.MAX_MAP_DIGITS):,} digits, cold\n")
    print(
        "| layer | numbers a digit | read (s) | measure (s) | PCA (s) | whole map (s) | kNN accuracy | silhouette |"
    )
    print("|---|---|---|---|---|---|---|---|")
    output = map_layers(model)[-1].name
    images = dataset.x_test[: model_map.MAX_MAP_DIGITS]
    labels = dataset.y_test[: model_map.MAX_MAP_DIGITS]
    for layer in map_layers(model):
        forget()
        reader = layer_features.FeatureReader(model, [layer.name, output])
        reader.read(images[:10])  # Keras' first call traces: not part of a map
        read_all, read = timed(reader.read, images)
        features = read_all[layer.name]
        _, measure = timed(measures, features, labels)
        _, pca_seconds = timed(projections.pca, features)
        forget()
        found, whole = timed(compute_map, model, f"bench-{name}", dataset, layer.name, "pca")
        print(
            f"| {layer.title} | {reader.widths[layer.name]} | {read:.2f} | {measure:.2f} | {pca_seconds:.3f} "
            f"| {whole:.2f} | {found.knn_accuracy:.3f} | {found.silhouette:.3f} |"
        )


def heavy_table(name: str, model, dataset, methods: list[str]) -> None:
    layer = map_layers(model)[-2]
    print(f"\n### {name}, {layer.title}: UMAP and t-SNE of {min(len(dataset.y_test), 10_000):,} digits\n")
    print("| method | whole map (s) | place one digit (ms, median of 5) | kNN accuracy in the picture |")
    print("|---|---|---|---|")
    for method in methods:
        forget()
        found, seconds = timed(compute_map, model, f"bench-{name}", dataset, layer.name, method)
        strokes = []
        for index in range(6):
            _, elapsed = timed(
                place, model, f"bench-{name}", dataset, layer.name, method, dataset.x_test[index] / 255
            )
            strokes.append(elapsed * 1000)
        picture = projections.knn_accuracy(found.points, found.labels)
        print(
            f"| {METHOD_TITLES[method]} | {seconds:.1f} | {statistics.median(strokes[1:]):.1f} | {picture:.3f} |"
        )


def stroke_table(models: dict, dataset, strokes: int) -> None:
    print(f"\n### Placing a drawn digit on a PCA map (server share, ms, {strokes} strokes)\n")
    print("| model | layer | median | 90th percentile |")
    print("|---|---|---|---|")
    for name, model in models.items():
        for layer in map_layers(model):
            compute_map(model, f"bench-{name}", dataset, layer.name, "pca")
            place(model, f"bench-{name}", dataset, layer.name, "pca", dataset.x_test[0] / 255)
            times = []
            for index in range(strokes):
                image = dataset.x_test[index % len(dataset.x_test)] / 255
                _, elapsed = timed(place, model, f"bench-{name}", dataset, layer.name, "pca", image)
                times.append(elapsed * 1000)
            times.sort()
            print(
                f"| {name} | {layer.title} | {statistics.median(times):.1f} | {times[int(0.9 * (len(times) - 1))]:.1f} |"
            )


def width_table(models: dict, dataset, widths: list[int]) -> None:
    print("\n### The random projection's width: kNN accuracy / silhouette against the layer's full numbers\n")
    print("| model | layer | full | " + " | ".join(f"{width}" for width in widths) + " |")
    print("|---|---|---|" + "---|" * len(widths))
    labels = dataset.y_test[: model_map.MAX_MAP_DIGITS]
    images = dataset.x_test[: model_map.MAX_MAP_DIGITS]
    chosen = layer_features.REDUCED_WIDTH
    try:
        for name, model in models.items():
            for layer in map_layers(model):
                cells = []
                for width in [10**9, *widths]:
                    layer_features.REDUCED_WIDTH = width
                    features = layer_features.FeatureReader(model, [layer.name]).read(images)[layer.name]
                    if width != 10**9 and features.shape[1] < width:
                        cells.append("same")
                        continue
                    knn, silhouette = (
                        projections.knn_accuracy(features, labels),
                        projections.silhouette(features, labels),
                    )
                    cells.append(f"{knn:.3f} / {silhouette:.3f}")
                    del features
                print(f"| {name} | {layer.title} | " + " | ".join(cells) + " |")
    finally:
        layer_features.REDUCED_WIDTH = chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=10_000)
    parser.add_argument("--digits", type=int, default=model_map.MAX_MAP_DIGITS)
    parser.add_argument("--methods", default="pca,umap,tsne")
    parser.add_argument("--strokes", type=int, default=50)
    parser.add_argument("--widths", default="", help="e.g. 128,256,512 (slow: reads full layers)")
    args = parser.parse_args()
    try:
        dataset = load_dataset(args.dataset)
    except UserError as error:
        print(f"{args.dataset} cannot be had ({error}); using the sample", file=sys.stderr)
        dataset = load_dataset("mnist-sample")
    dataset = replace(dataset, x_test=dataset.x_test[: args.digits], y_test=dataset.y_test[: args.digits])
    methods = args.methods.split(",")
    print(f"Dataset {dataset.name}: {len(dataset.y_test):,} test digits; {os.cpu_count()} CPUs")
    models = {}
    for arch in ("mlp", "cnn"):
        config = TrainConfig(arch, epochs=args.epochs, batch_size=64, train_size=args.train_size)
        models[arch] = train(dataset, config).model
    for name, model in models.items():
        if "pca" in methods:
            pca_table(name, model, dataset)
        heavy = [method for method in methods if method != "pca"]
        if heavy and name == "mlp":
            heavy_table(name, model, dataset, heavy)
    if "pca" in methods and args.strokes:
        stroke_table(models, dataset, args.strokes)
    if args.widths:
        width_table(models, dataset, [int(width) for width in args.widths.split(",")])
    print("\n### How far apart the classes are, layer by layer (separation)\n")
    for name, model in models.items():
        forget()
        measured = separation(model, f"bench-{name}", dataset)
        print(
            f"{name}: " + "; ".join(f"{layer.title}: {knn:.3f} / {sil:.3f}" for layer, knn, sil in measured)
        )


if __name__ == "__main__":
    main()
