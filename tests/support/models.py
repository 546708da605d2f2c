"""Model files as a hostile or odd models folder holds them: for the store's and the pages' tests."""

import zipfile

from mnist_app.learning.model_files import METADATA_ENTRY


def patch_zip_entry(path, name, *, flag_bits=None, compress_type=None):
    """Rewrite an entry's flags or compression method in both of its zip headers, in place."""
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    central = content.index(b"PK\x01\x02")
    while central != -1:
        name_length = int.from_bytes(content[central + 28 : central + 30], "little")
        if content[central + 46 : central + 46 + name_length] == name.encode():
            break
        central = content.find(b"PK\x01\x02", central + 4)
    for offset in (local + 6, central + 8):
        if flag_bits is not None:
            content[offset : offset + 2] = flag_bits.to_bytes(2, "little")
        if compress_type is not None:
            content[offset + 2 : offset + 4] = compress_type.to_bytes(2, "little")
    path.write_bytes(bytes(content))


def with_description(source, target, write):
    """A copy of the model file `source` whose description entry `write(archive)` puts in."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in original.infolist():
            if entry.filename != METADATA_ENTRY:
                copy.writestr(entry, original.read(entry))
        write(copy)
    return target


def broken_descriptions(model_file, folder):
    """Files whose description is encrypted, oddly compressed, nested deep, or inflates to 256 MiB."""
    encrypted = with_description(
        model_file, folder / "encrypted.keras", lambda a: a.writestr(METADATA_ENTRY, "{}")
    )
    patch_zip_entry(encrypted, METADATA_ENTRY, flag_bits=0x1)
    odd = with_description(
        model_file, folder / "odd-compression.keras", lambda a: a.writestr(METADATA_ENTRY, "{}")
    )
    patch_zip_entry(odd, METADATA_ENTRY, compress_type=99)
    deep = "[" * 200_000 + "]" * 200_000
    with_description(model_file, folder / "deep.keras", lambda a: a.writestr(METADATA_ENTRY, deep))

    def bomb(archive):
        with archive.open(METADATA_ENTRY, "w", force_zip64=True) as entry:
            for _ in range(256):
                entry.write(b" " * (1 << 20))

    with_description(model_file, folder / "bomb.keras", bomb)
    return ["encrypted", "odd-compression", "deep", "bomb"]


def refuse_folder_changes(monkeypatch) -> None:
    """The models folder refusing every change, as a read-only one does (root ignores chmod)."""
    import os

    def refuse(*paths, **kwargs):
        raise PermissionError(13, "Permission denied", os.fspath(paths[-1]))

    for name in ("link", "unlink", "replace", "rename"):
        monkeypatch.setattr(os, name, refuse)


# A design holding every layer kind Build offers: a strided "same" convolution, normalisation
# of the raw image and of feature maps, both poolings, dropout, global average pooling, Dense
# and Flatten.
EVERY_KIND = (
    "batchnorm,conv:8:3:relu:2:same,batchnorm,avgpool:2,conv:8:3:elu,pool:2,dropout:0.2,"
    "gap,dense:16:gelu,dropout:0.1,flatten,dense:12:tanh"
)


def save_designed(path, sample, text=EVERY_KIND, images=512, **description):
    """A designed network trained one short epoch on the sample's first `images`, saved with a
    description as the app writes one for a network built on Build; `description` adds to it."""
    from mnist_app.datasets.dataset import to_model_input
    from mnist_app.learning.architectures import build_designed
    from mnist_app.learning.designs import parse_text
    from mnist_app.learning.model_files import save_model

    layers = parse_text(text)
    model = build_designed(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(to_model_input(sample.x_train[:images]), sample.y_train[:images], epochs=1, verbose=0)
    metadata = {
        "arch": "built",
        "layers": [layer.as_dict() for layer in layers],
        "dataset": sample.name,
        "classes": list(sample.class_names),
        "epochs": 1,
        "epochs_completed": 1,
        "batch_size": 32,
        "learning_rate": 0.001,
        "optimizer": "adam",
        "augment": False,
        "train_size": images,
        "label_noise": 0.0,
        "noisy_labels": 0,
        "seed": 0,
        **description,
    }
    return save_model(model, path, metadata)
