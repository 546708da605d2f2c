"""Tests for mnist_app.datasets.idx: MNIST's IDX files, gzipped or raw, read whole or refused fast."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.datasets.digit_arrays import MAX_SPLIT_IMAGES, DatasetError
from mnist_app.datasets.idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx
from mnist_app.datasets.sources import load_idx_dir, load_npz
from tests.support.datasets import (
    CUTS,
    EDITS,
    EXTRA,
    FUZZ,
    MiB,
    assert_frozen_uint8,
    digit_labels,
    fails_fast,
    idx_bytes,
    idx_header,
    mutate,
    only_dataset_errors,
    random_images,
    refused_before_inflating,
    sparse_file,
    write_file,
    write_split,
)

# --- read_idx -------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_read_idx_returns_written_images_as_read_only_uint8(tmp_path, gz):
    images = random_images(7)
    path = write_file(tmp_path / ("images.idx3-ubyte" + (".gz" if gz else "")), idx_bytes(images), gz=gz)

    result = read_idx(path)

    assert_frozen_uint8(result, (7, 28, 28))
    np.testing.assert_array_equal(result, images)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_read_idx_returns_written_labels_as_read_only_uint8(tmp_path, gz):
    labels = digit_labels(13)
    path = write_file(tmp_path / ("labels.idx1-ubyte" + (".gz" if gz else "")), idx_bytes(labels), gz=gz)

    result = read_idx(path)

    assert_frozen_uint8(result, (13,))
    np.testing.assert_array_equal(result, labels)


@pytest.mark.parametrize(
    "magic",
    [0x00000C03, 0x00000D03, 0x00010803, 0x12345678],
    ids=["int32-type", "float-type", "nonzero-leading-bytes", "garbage"],
)
def test_read_idx_rejects_bad_magic_naming_the_file(tmp_path, magic):
    path = write_file(tmp_path / "bad-magic-idx3-ubyte", idx_bytes(random_images(2), magic=magic), gz=False)

    with pytest.raises(DatasetError, match="bad-magic-idx3-ubyte") as error:
        read_idx(path)
    assert "magic" in str(error.value)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_read_idx_rejects_truncated_data_naming_the_file(tmp_path, gz):
    content = idx_bytes(random_images(3))[:-100]
    path = write_file(tmp_path / ("short-idx3-ubyte" + (".gz" if gz else "")), content, gz=gz)

    with pytest.raises(DatasetError, match="short-idx3-ubyte") as error:
        read_idx(path)
    assert "truncated" in str(error.value)


def test_read_idx_rejects_trailing_bytes_after_the_data(tmp_path):
    path = write_file(tmp_path / "long-idx1-ubyte", idx_bytes(digit_labels(5)) + b"\0\0", gz=False)

    with pytest.raises(DatasetError, match="long-idx1-ubyte"):
        read_idx(path)


def test_read_idx_rejects_truncated_header_naming_the_file(tmp_path):
    """The magic promises three dimensions, but only two sizes follow it."""
    content = struct.pack(">III", IDX_IMAGES_MAGIC, 3, 28)
    path = write_file(tmp_path / "header-idx3-ubyte", content, gz=False)

    with pytest.raises(DatasetError, match="header-idx3-ubyte") as error:
        read_idx(path)
    assert "header" in str(error.value)


@pytest.mark.parametrize("content", [b"", b"\0\0\x08"], ids=["empty", "three-bytes"])
def test_read_idx_rejects_file_shorter_than_the_magic_number(tmp_path, content):
    path = write_file(tmp_path / "tiny-idx1-ubyte", content, gz=False)

    with pytest.raises(DatasetError, match="tiny-idx1-ubyte"):
        read_idx(path)


def _corrupt_gzip(kind: str) -> bytes:
    """Gzip bytes of a valid IDX file, damaged in one of several ways."""
    packed = bytearray(gzip.compress(idx_bytes(random_images(2))))
    if kind == "not-gzip":
        return b"this is plain text, not a gzip stream"
    if kind == "truncated-stream":
        return bytes(packed[: len(packed) // 2])
    if kind == "crc-mismatch":
        packed[-6] ^= 0xFF  # inside the CRC-32 trailer
        return bytes(packed)
    if kind == "damaged-deflate-block":
        packed[10] |= 0b110  # first deflate block header: BTYPE=11, which is reserved
        return bytes(packed)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["not-gzip", "truncated-stream", "crc-mismatch", "damaged-deflate-block"])
def test_read_idx_rejects_corrupt_gzip_naming_the_file(tmp_path, kind):
    path = write_file(tmp_path / "train-images-idx3-ubyte.gz", _corrupt_gzip(kind), gz=False)

    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz"):
        read_idx(path)


def test_read_idx_rejects_missing_file_naming_it(tmp_path):
    with pytest.raises(DatasetError, match="absent-idx1-ubyte"):
        read_idx(tmp_path / "absent-idx1-ubyte")


# --- IDX headers and sizes ------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_idx_dimensions_that_overflow_int64_raise(tmp_path, gz):
    """2^31 x 2^31 x 4 overflows np.prod's int64 to 0: a check in numpy would pass it."""
    content = idx_header(IDX_IMAGES_MAGIC, 2**31, 2**31, 4)
    path = write_file(tmp_path / "huge-idx3-ubyte", content, gz=gz)

    message = fails_fast(read_idx, path)

    assert "huge-idx3-ubyte" in message
    assert "(2147483648, 2147483648, 4), expected (n, 28, 28)" in message


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("magic", [IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC], ids=["images", "labels"])
def test_idx_header_claiming_terabytes_raises_before_reading(tmp_path, gz, magic):
    shape = (2**32 - 1, 28, 28) if magic == IDX_IMAGES_MAGIC else (2**32 - 1,)
    path = write_file(tmp_path / "tera-idx-ubyte", idx_header(magic, *shape) + bytes(1000), gz=gz)

    message = fails_fast(read_idx, path)

    assert "tera-idx-ubyte" in message
    assert "4,294,967,295" in message
    assert f"at most {MAX_SPLIT_IMAGES:,}" in message


def test_idx_images_that_are_not_28x28_raise_from_the_header(tmp_path):
    path = write_file(tmp_path / "wide-idx3-ubyte", idx_header(IDX_IMAGES_MAGIC, 5, 28, 29), gz=False)

    message = fails_fast(read_idx, path)

    assert "wide-idx3-ubyte" in message
    assert "(5, 28, 29), expected (n, 28, 28)" in message


def test_idx_labels_that_are_not_1d_raise_naming_the_file(tmp_path):
    write_split(tmp_path, "train", random_images(4), digit_labels(4))
    write_split(tmp_path, "t10k", random_images(2), random_images(2))

    message = fails_fast(load_idx_dir, tmp_path)

    assert "t10k-labels-idx1-ubyte.gz holds 3-D data" in message
    assert "expected labels (1-D)" in message


def test_raw_idx_size_is_checked_against_the_header_before_reading(tmp_path):
    """A 200 MB (sparse) file one byte longer than its header says: refused unread."""
    header = idx_header(IDX_IMAGES_MAGIC, 250_000, 28, 28)
    size = len(header) + 250_000 * 28 * 28 + 1
    path = sparse_file(tmp_path / "long-idx3-ubyte", size, start=header)

    message = fails_fast(read_idx, path, peak_mib=5)

    assert "long-idx3-ubyte is truncated or damaged" in message
    assert f"{size:,} bytes" in message


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "x.npz"])
def test_50_gb_sparse_file_is_refused_by_its_size(tmp_path, name):
    path = sparse_file(tmp_path / name, 50 * 10**9, start=idx_header(IDX_IMAGES_MAGIC, 1, 28, 28))
    reader = read_idx if name.endswith("ubyte") else load_npz

    message = fails_fast(reader, path, peak_mib=5)

    assert f"{name} is 50,000,000,000 bytes" in message


def test_gzip_bomb_is_cut_off_after_the_declared_size(tmp_path):
    """4 MB of gzip that inflates to 4 GiB behind a header declaring 1,000 images."""
    header = idx_header(IDX_IMAGES_MAGIC, 1000, 28, 28)
    zeros = gzip.compress(bytes(64 * MiB))
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + bytes(1000 * 28 * 28)) + zeros * 64)

    message = fails_fast(read_idx, path, peak_mib=50)

    assert "bomb-idx3-ubyte.gz is damaged" in message
    assert "header declares 784,000 bytes" in message


def test_gzip_that_claims_many_images_but_holds_few_raises_truncated(tmp_path):
    path = tmp_path / "short-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(IDX_IMAGES_MAGIC, 250_000, 28, 28) + bytes(784)))

    message = fails_fast(read_idx, path)

    assert "short-idx3-ubyte.gz is truncated: 784 of 196,000,000 bytes" in message


def gzip_of_zeros(path: Path, header: bytes, count: int) -> Path:
    """`header`, then `count` zero bytes, gzipped a piece at a time: a small file that inflates big."""
    with gzip.open(path, "wb") as file:
        file.write(header)
        for start in range(0, count, 16 * MiB):
            file.write(bytes(min(16 * MiB, count - start)))
    return path


def test_idx_bomb_beside_few_labels_is_refused_from_the_headers_before_inflating(tmp_path):
    """A gzip of 235 MB of zeros, small on disk, its image count honest, beside 20 labels."""
    images = gzip_of_zeros(
        tmp_path / "train-images-idx3-ubyte.gz",
        idx_header(IDX_IMAGES_MAGIC, 300_000, 28, 28),
        300_000 * 784,
    )
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(digit_labels(20)), gz=True)
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))
    assert images.stat().st_size < 300_000

    message = refused_before_inflating(load_idx_dir, tmp_path)

    assert "train-images-idx3-ubyte.gz holds 300,000 images" in message
    assert "train-labels-idx1-ubyte.gz holds 20 labels" in message


def test_idx_labels_are_read_and_checked_before_the_images_inflate(tmp_path):
    gzip_of_zeros(
        tmp_path / "train-images-idx3-ubyte.gz",
        idx_header(IDX_IMAGES_MAGIC, 300_000, 28, 28),
        300_000 * 784,
    )
    labels = digit_labels(300_000)
    labels[7] = 12
    write_file(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(labels), gz=True)
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))

    message = refused_before_inflating(load_idx_dir, tmp_path)

    assert f"{tmp_path}: train labels must be whole numbers in 0..9" in message


# --- property-based: damaged files give a DatasetError and nothing else ---------------------


@FUZZ
@given(
    labels=st.booleans(),
    layer=st.sampled_from(["raw", "inside-gzip", "gzip-bytes"]),
    edits=EDITS,
    cut=CUTS,
    extra=EXTRA,
    dims=st.one_of(st.none(), st.lists(st.sampled_from([0, 1, 3, 28, 2**16, 2**31, 2**32 - 1]), max_size=3)),
)
def test_read_idx_of_mutated_files_raises_only_dataset_errors(
    tmp_path, labels, layer, edits, cut, extra, dims
):
    content = idx_bytes(digit_labels(5) if labels else random_images(3))
    if dims:
        content = content[:4] + struct.pack(f">{len(dims)}I", *dims) + content[4 + 4 * len(dims) :]
    if layer == "gzip-bytes":
        content = mutate(gzip.compress(content), edits, cut, extra)
    else:
        content = mutate(content, edits, cut, extra)
        if layer == "inside-gzip":
            content = gzip.compress(content)
    path = tmp_path / "fuzz-idx-ubyte"
    path.write_bytes(content)

    only_dataset_errors(read_idx, path)
