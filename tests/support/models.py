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
