"""Tests for mnist_app.datasets.npz: archives in Keras' layout, read whole or refused before inflating."""

import io
import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.npz import NPZ_KEYS
from mnist_app.datasets.sources import load_npz
from tests.support.datasets import (
    CUTS,
    EXTRA,
    FUZZ,
    MiB,
    assert_frozen_uint8,
    digit_labels,
    fails_fast,
    measured,
    mutate,
    only_dataset_errors,
    random_images,
    refused_before_inflating,
    write_npz,
)

# --- .npz -----------------------------------------------------------------------------------


def test_load_dataset_reads_a_keras_layout_npz_by_path(tmp_path):
    train_x, test_x = random_images(20, seed=5), random_images(10, seed=6)
    path = write_npz(tmp_path / "digits.npz", x_train=train_x, x_test=test_x)

    dataset = load_dataset(str(path))

    assert dataset.name == "digits"
    assert dataset.source == str(path)
    assert_frozen_uint8(dataset.x_train, (20, 28, 28))
    assert_frozen_uint8(dataset.y_train, (20,))
    assert_frozen_uint8(dataset.x_test, (10, 28, 28))
    assert_frozen_uint8(dataset.y_test, (10,))
    np.testing.assert_array_equal(dataset.x_train, train_x)
    np.testing.assert_array_equal(dataset.y_train, digit_labels(20))
    np.testing.assert_array_equal(dataset.x_test, test_x)
    np.testing.assert_array_equal(dataset.y_test, digit_labels(10))


def test_npz_with_int64_arrays_in_range_is_converted_to_uint8(tmp_path):
    train_x = random_images(20).astype(np.int64)
    path = write_npz(tmp_path / "wide.npz", x_train=train_x, y_train=digit_labels(20).astype(np.int64))

    dataset = load_dataset(str(path))

    assert_frozen_uint8(dataset.x_train, (20, 28, 28))
    assert_frozen_uint8(dataset.y_train, (20,))
    np.testing.assert_array_equal(dataset.x_train, train_x)


@pytest.mark.parametrize("missing", ["x_train", "y_train", "x_test", "y_test"])
def test_npz_missing_an_array_raises_naming_it(tmp_path, missing):
    path = write_npz(tmp_path / "partial.npz", **{missing: None})

    with pytest.raises(DatasetError, match=missing) as error:
        load_dataset(str(path))
    assert "partial.npz" in str(error.value)


@pytest.mark.parametrize(
    ("key", "bad_label"),
    [("y_train", 10), ("y_train", -1), ("y_test", 255)],
)
def test_npz_labels_outside_0_to_9_raise(tmp_path, key, bad_label):
    count = 20 if key == "y_train" else 10
    labels = digit_labels(count).astype(np.int64)
    labels[3] = bad_label
    path = write_npz(tmp_path / "labels.npz", **{key: labels})

    with pytest.raises(DatasetError, match=r"0\.\.9"):
        load_dataset(str(path))


def test_npz_pixels_outside_0_to_255_raise(tmp_path):
    images = random_images(20).astype(np.int32)
    images[0, 0, 0] = 256
    path = write_npz(tmp_path / "pixels.npz", x_train=images)

    with pytest.raises(DatasetError, match=r"0\.\.255"):
        load_dataset(str(path))


def test_file_named_npz_that_is_not_one_raises(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip archive")

    with pytest.raises(DatasetError, match="broken.npz"):
        load_dataset(str(path))


# --- .npz: archives -------------------------------------------------------------------------


def npy_bytes(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=True)
    return buffer.getvalue()


def raw_npy(shape, descr: str = "|u1", fortran_order: bool = False, data: bytes = b"") -> bytes:
    """An .npy whose header says whatever the test wants, followed by `data`."""
    header = {"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def valid_members() -> dict[str, bytes]:
    return {
        "x_train.npy": npy_bytes(random_images(20, seed=1)),
        "y_train.npy": npy_bytes(digit_labels(20)),
        "x_test.npy": npy_bytes(random_images(10, seed=2)),
        "y_test.npy": npy_bytes(digit_labels(10)),
    }


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip of the members, without Zip64 fields, so tests can patch its directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_directory(archive: bytes, member: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of `member`'s central directory entry (offsets as in APPNOTE 4.3.12)."""
    patched = bytearray(archive)
    at = patched.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", patched, at + 28)[0]
        if patched[at + 46 : at + 46 + name_length] == member.encode():
            struct.pack_into(fmt, patched, at + offset, value)
            return bytes(patched)
        at = patched.find(b"PK\x01\x02", at + 1)
    raise AssertionError(f"{member} not in the archive")


def npz_with(tmp_path: Path, name: str = "x.npz", compression: int = zipfile.ZIP_STORED, **members) -> Path:
    """An .npz of valid_members() with some replaced (bytes) or left out (None)."""
    contents = valid_members()
    for key, content in members.items():
        contents[f"{key}.npy"] = content
    path = tmp_path / name
    path.write_bytes(zip_bytes({k: v for k, v in contents.items() if v is not None}, compression))
    return path


def test_hand_built_npz_loads_like_np_savez(tmp_path):
    dataset = load_npz(npz_with(tmp_path, compression=zipfile.ZIP_DEFLATED))

    np.testing.assert_array_equal(dataset.x_train, random_images(20, seed=1))
    np.testing.assert_array_equal(dataset.y_test, digit_labels(10))


def test_compressed_npz_loads_as_keras_cache_files_are(tmp_path):
    train_x = random_images(20, seed=8)
    path = tmp_path / "mnist.npz"
    np.savez_compressed(
        path, x_train=train_x, y_train=digit_labels(20), x_test=train_x[:10], y_test=digit_labels(10)
    )

    dataset = load_npz(path)

    assert_frozen_uint8(dataset.x_train, (20, 28, 28))
    np.testing.assert_array_equal(dataset.x_train, train_x)


def test_npz_in_fortran_order_and_big_endian_floats_loads_the_same_pixels(tmp_path):
    train_x = random_images(20, seed=9)
    path = npz_with(
        tmp_path,
        x_train=npy_bytes(np.asfortranarray(train_x)),
        x_test=npy_bytes(random_images(10, seed=2).astype(">f8")),
        y_train=npy_bytes(digit_labels(20).astype(np.float32)),
    )

    dataset = load_npz(path)

    np.testing.assert_array_equal(dataset.x_train, train_x)
    np.testing.assert_array_equal(dataset.x_test, random_images(10, seed=2))
    np.testing.assert_array_equal(dataset.y_train, digit_labels(20))
    assert_frozen_uint8(dataset.x_test, (10, 28, 28))


def test_npz_missing_an_array_says_which_and_what_layout_is_expected(tmp_path):
    message = fails_fast(load_npz, npz_with(tmp_path, x_test=None))

    assert "x.npz lacks the array x_test: expected Keras' mnist.npz layout" in message


@pytest.mark.parametrize(
    ("array", "what"),
    [
        (np.full((20, 28, 28), "7"), "text"),
        (np.zeros((20, 28, 28), dtype=[("a", "u1"), ("b", "f4")]), "records"),
        (np.zeros((20, 28, 28), dtype="datetime64[s]"), "dates"),
        (np.full((20, 28, 28), None, dtype=object), "Python objects"),
        (np.zeros((20, 28, 28), dtype=np.complex64), "complex numbers"),
    ],
    ids=["strings", "structured", "datetime", "objects", "complex"],
)
def test_npz_of_values_that_are_not_plain_numbers_raises_naming_them(tmp_path, array, what):
    message = fails_fast(load_npz, npz_with(tmp_path, x_train=npy_bytes(array)))

    assert f"x.npz: x_train holds {what}" in message
    assert "only plain numbers" in message


def test_npz_with_an_encrypted_member_raises(tmp_path):
    archive = patch_directory(zip_bytes(valid_members()), "x_train.npy", 8, "<H", 0x1)
    (tmp_path / "x.npz").write_bytes(archive)

    message = fails_fast(load_npz, tmp_path / "x.npz")

    assert "x.npz: x_train is encrypted" in message


def test_npz_with_an_unsupported_compression_method_raises(tmp_path):
    archive = patch_directory(zip_bytes(valid_members()), "y_train.npy", 10, "<H", 98)
    (tmp_path / "x.npz").write_bytes(archive)

    message = fails_fast(load_npz, tmp_path / "x.npz")

    assert "x.npz: y_train is compressed with zip method 98" in message
    assert "numpy.savez" in message


@pytest.mark.parametrize(("compression", "method"), [(zipfile.ZIP_BZIP2, 12), (zipfile.ZIP_LZMA, 14)])
def test_npz_compressed_with_bzip2_or_lzma_is_refused_before_inflating(tmp_path, compression, method):
    """zipfile inflates these a whole read of compressed bytes at a time, unbounded: reading the
    first bytes of a member's header would inflate all of a bomb."""
    path = tmp_path / "packed.npz"
    with zipfile.ZipFile(path, "w", compression) as archive:
        with archive.open("x_train.npy", "w") as member:
            member.write(raw_npy((20, 28, 28)))
            for _ in range(8):
                member.write(bytes(8 * MiB))
        for name, content in valid_members().items():
            if name != "x_train.npy":
                archive.writestr(name, content)

    message = refused_before_inflating(load_npz, path)

    assert f"packed.npz: x_train is compressed with zip method {method}, which cannot be read here" in message


@pytest.mark.parametrize(
    ("shape", "descr", "expected"),
    [
        ((10**12, 28, 28), "|u1", "holds 1,000,000,000,000 entries"),
        ((2**62, 28, 28), "<f8", "holds 4,611,686,018,427,387,904 entries"),
        ((60_000, 28, 28), "<f8", "would take 376,320,000 bytes"),
    ],
    ids=["terabyte", "int64-overflow", "over-the-byte-cap"],
)
def test_npy_header_claiming_too_much_raises_before_reading(tmp_path, shape, descr, expected):
    path = npz_with(
        tmp_path, x_train=raw_npy(shape, descr, data=bytes(100)), compression=zipfile.ZIP_DEFLATED
    )

    message = fails_fast(load_npz, path, peak_mib=5)

    assert f"x.npz: x_train {expected}" in message


@pytest.mark.parametrize(
    ("key", "shape", "expected"),
    [
        ("x_train", (20, 28, 27), "(20, 28, 27), expected images of shape (n, 28, 28)"),
        ("x_train", (20, 784), "(20, 784), expected images of shape (n, 28, 28)"),
        ("y_test", (10, 1), "(10, 1), expected labels of shape (n,)"),
        ("y_train", (), "(), expected labels of shape (n,)"),
    ],
)
def test_npz_arrays_of_the_wrong_shape_raise_naming_them(tmp_path, key, shape, expected):
    content = npy_bytes(np.zeros(shape, np.uint8))

    message = fails_fast(load_npz, npz_with(tmp_path, **{key: content}))

    assert f"x.npz: {key} has shape {expected}" in message


def test_npy_header_longer_than_numpy_allows_raises_before_reading_it(tmp_path):
    """A version 2.0 header may state a length up to 4 GiB; numpy would read it all first."""
    member = np.lib.format.MAGIC_PREFIX + b"\x02\x00" + struct.pack("<I", 2**32 - 1) + b"{"

    message = fails_fast(load_npz, npz_with(tmp_path, x_train=member))

    assert "x_train has an .npy header of 4,294,967,295 bytes" in message


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (np.lib.format.MAGIC_PREFIX + b"\x03\x00" + struct.pack("<I", 2) + b"{}", "format version 3.0"),
        (b"PK\x03\x04 not an npy", "x_test cannot be read (the magic string is not correct"),
        (
            np.lib.format.MAGIC_PREFIX + b"\x01\x00" + struct.pack("<H", 9) + b"[1, 2, 3]",
            "damaged .npy header",
        ),
        (np.lib.format.MAGIC_PREFIX + b"\x01\x00\x50", "truncated inside its .npy header"),
    ],
    ids=["version-3", "bad-magic", "header-not-a-dict", "header-cut"],
)
def test_npy_with_a_bad_header_raises_naming_the_array(tmp_path, member, expected):
    message = fails_fast(load_npz, npz_with(tmp_path, x_test=member))

    assert "x.npz" in message
    assert expected in message


def test_npy_with_a_negative_dimension_raises(tmp_path):
    message = fails_fast(load_npz, npz_with(tmp_path, y_test=raw_npy((-1,))))

    assert "x.npz: y_test has a damaged .npy header (negative size" in message


def test_npz_member_shorter_than_its_header_says_raises(tmp_path):
    member = npy_bytes(random_images(20))[:-100]

    message = fails_fast(load_npz, npz_with(tmp_path, x_train=member))

    assert "x.npz: x_train is damaged" in message


def test_truncated_npz_archive_raises(tmp_path):
    path = tmp_path / "cut.npz"
    path.write_bytes(zip_bytes(valid_members())[:3000])

    message = fails_fast(load_npz, path)

    assert "cut.npz is not a readable .npz file" in message


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
@pytest.mark.parametrize("claimed", [100, 20 * 784 + 128, 10**9], ids=["smaller", "header-sized", "huge"])
def test_npz_whose_directory_lies_about_a_member_size_raises(tmp_path, compression, claimed):
    """The member's real content is twice what the .npy header describes."""
    members = valid_members()
    members["x_train.npy"] += members["x_train.npy"][128:]
    archive = patch_directory(zip_bytes(members, compression), "x_train.npy", 24, "<I", claimed)
    (tmp_path / "liar.npz").write_bytes(archive)

    message = fails_fast(load_npz, tmp_path / "liar.npz")

    assert "liar.npz: x_train" in message


def test_npz_member_that_inflates_past_its_directory_size_is_cut_off(tmp_path):
    """A deflated member holding 256 MiB whose directory (size and CRC) says 20 images' worth."""
    header, images = raw_npy((20, 28, 28)), bytes(20 * 784)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in valid_members().items():
            if name != "x_train.npy":
                archive.writestr(name, content)
        with archive.open("x_train.npy", "w") as member:
            member.write(header)
            for _ in range(4):
                member.write(bytes(64 * MiB))
    archive = patch_directory(path.read_bytes(), "x_train.npy", 24, "<I", len(header) + len(images))
    path.write_bytes(patch_directory(archive, "x_train.npy", 16, "<I", zlib.crc32(header + images)))

    dataset, elapsed, peak = measured(load_npz, path)

    assert dataset.summary()["train"] == 20
    assert elapsed < 3
    assert peak < 5 * MiB


def test_zip_whose_directory_is_huge_is_refused_before_zipfile_parses_it(tmp_path):
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 65535, 65535, 500 * MiB, 0, 0)
    path = tmp_path / "many.npz"
    path.write_bytes(b"\0" * 100 + end)

    message = fails_fast(load_npz, path, peak_mib=5)

    assert "many.npz lists 524,288,000 bytes of archive entries" in message


def test_npz_bomb_of_float_images_beside_few_labels_is_refused_before_inflating(tmp_path):
    """An .npz of zeros, small on disk, declaring 85,000 float32 images a split beside 20 labels."""
    zeros = np.zeros((85_000, 28, 28), np.float32)
    path = write_npz(tmp_path / "bomb.npz", x_train=zeros, x_test=zeros, compressed=True)
    del zeros
    assert path.stat().st_size < 600_000

    message = refused_before_inflating(load_npz, path)

    assert "bomb.npz: x_train holds 85,000 images but y_train holds 20 labels" in message


def test_npz_labels_are_read_and_checked_before_the_images_inflate(tmp_path):
    labels = digit_labels(85_000)
    labels[3] = 10
    path = write_npz(
        tmp_path / "bomb.npz", x_train=np.zeros((85_000, 28, 28), np.float32), y_train=labels, compressed=True
    )

    message = refused_before_inflating(load_npz, path)

    assert "bomb.npz: train labels must be whole numbers in 0..9" in message


def test_npz_of_float_images_takes_the_memory_of_its_uint8_digits_not_of_its_floats(tmp_path):
    """20,000 float64 images are 125 MB stored, 16 MB as the uint8 digits the app keeps."""
    images = np.random.default_rng(3).integers(0, 256, (20_000, 28, 28)).astype(np.float64)
    path = write_npz(tmp_path / "floats.npz", x_train=images, y_train=digit_labels(20_000))

    dataset, _, peak = measured(load_npz, path)

    np.testing.assert_array_equal(dataset.x_train, images.astype(np.uint8))
    assert peak < 48 * MiB, f"allocated {peak / MiB:.0f} MiB"


@pytest.mark.parametrize(
    ("key", "values", "expected"),
    [
        ("x_train", [np.nan], r"train pixels must be finite numbers in 0\.\.255"),
        ("x_test", [np.inf], r"test pixels must be finite numbers in 0\.\.255"),
        ("x_train", [-0.5], r"0\.\.255"),
        ("y_train", [3.5], r"train labels must be whole numbers in 0\.\.9"),
        ("y_test", [np.nan], r"test labels must be whole numbers in 0\.\.9"),
    ],
)
def test_npz_float_values_must_be_finite_and_in_range(tmp_path, key, values, expected):
    count = 20 if key.endswith("train") else 10
    array = (random_images(count) if key.startswith("x") else digit_labels(count)).astype(np.float64)
    array.flat[: len(values)] = values

    with pytest.raises(DatasetError, match=expected) as error:
        load_npz(npz_with(tmp_path, **{key: npy_bytes(array)}))
    assert "x.npz" in str(error.value)


# --- property-based: damaged archives give a DatasetError and nothing else ------------------

SMALL_NPZ = {
    compression: zip_bytes(
        {
            "x_train.npy": npy_bytes(random_images(2, seed=1)),
            "y_train.npy": npy_bytes(digit_labels(2)),
            "x_test.npy": npy_bytes(random_images(1, seed=2)),
            "y_test.npy": npy_bytes(digit_labels(1)),
        },
        compression,
    )
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
}


@FUZZ
@given(
    compression=st.sampled_from(sorted(SMALL_NPZ)),
    edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=6),
    tail_edits=st.lists(st.tuples(st.integers(1, 400), st.integers(0, 255)), max_size=4),
    cut=CUTS,
    extra=EXTRA,
)
def test_load_npz_of_mutated_archives_raises_only_dataset_errors(
    tmp_path, compression, edits, tail_edits, cut, extra
):
    """Byte edits anywhere and in the central directory at the end, cuts, appended bytes."""
    archive = SMALL_NPZ[compression]
    edits += [(len(archive) - back, value) for back, value in tail_edits]
    path = tmp_path / "fuzz.npz"
    path.write_bytes(mutate(archive, edits, cut, extra))

    only_dataset_errors(load_npz, path)


DESCRS = [
    "|u1", "|i1", "<i2", ">i4", "<u8", "<i8", "<f2", "<f4", ">f8", "<f16", "|b1", "<c8", ">c16",
    "|S3", "<U2", "|O", "<M8[s]", "<m8[D]", "|V4", "|V0", "<U0", "bogus", "",
    [("a", "<u1"), ("b", "<f4")], [("", "|u1")], ("<f4", (2,)), 7,
]  # fmt: skip
DIMS = st.one_of(st.integers(-2, 30), st.sampled_from([28, 784, 2**31, 2**63, 10**30]))


@FUZZ
@given(
    key=st.sampled_from(NPZ_KEYS),
    descr=st.sampled_from(DESCRS),
    shape=st.one_of(
        st.tuples(st.integers(0, 5), st.just(28), st.just(28)),
        st.lists(DIMS, max_size=4).map(tuple),
    ),
    fortran_order=st.booleans(),
    version=st.sampled_from([(1, 0), (2, 0)]),
    exact=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_load_npz_of_arrays_of_any_dtype_and_shape_raises_only_dataset_errors(
    tmp_path, key, descr, shape, fortran_order, version, exact, seed
):
    try:
        size = math.prod(shape) * np.dtype(descr).itemsize
    except (TypeError, ValueError):
        size = 10
    size = size if exact and 0 <= size <= 100_000 else seed % 5000
    header = {"descr": descr, "fortran_order": fortran_order, "shape": shape}
    buffer = io.BytesIO()
    write_header = (
        np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    )
    write_header(buffer, header)
    payload = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = npz_with(tmp_path, name="fuzz.npz", **{key: buffer.getvalue() + payload})

    only_dataset_errors(load_npz, path)
