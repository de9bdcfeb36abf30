"""Session compression: format 2 writes zstd frames, every format 1 file (zlib blobs) still opens,
replays and forks exactly, and damaged compressed data is a CorruptSessionError naming what."""

import sqlite3
import struct
import zlib

import numpy as np
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.session.toy import toy_factory, toy_run
from workbench.session import CorruptSessionError, Recorder, SessionReader, fork_session, restore_run
from workbench.session.codec import ZSTD_MAGIC, pack, pack_parts, unpack
from workbench.session.compare import frame_difference
from workbench.session.store import row_crc

STEPS = 60
CHUNK = 8


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=5000))
def test_pack_round_trips_and_writes_a_standard_zstd_frame(data):
    packed = pack(data)
    assert packed.startswith(ZSTD_MAGIC)
    assert zstandard.ZstdDecompressor().decompress(packed) == data  # any zstd reader reads it
    assert unpack(packed, "x") == data


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.binary(max_size=3000), max_size=8))
def test_streamed_parts_unpack_to_their_concatenation(parts):
    joined = b"".join(parts)
    packed = pack_parts(iter(parts), len(joined))
    assert zstandard.frame_content_size(packed) == len(joined)
    assert unpack(packed, "x") == joined


def test_arrays_are_packed_as_their_bytes():
    array = np.arange(3000, dtype=np.float64).reshape(30, 100) ** 0.5
    assert unpack(pack(array), "x") == array.tobytes()
    deltas = np.diff(np.sort(np.random.default_rng(1).choice(2**16, 900, replace=False))).astype(np.uint16)
    assert unpack(pack_parts([b"head", deltas, array], 4 + deltas.nbytes + array.nbytes), "x") == \
        b"head" + deltas.tobytes() + array.tobytes()


def test_streamed_parts_must_add_up_to_the_declared_size():
    with pytest.raises(zstandard.ZstdError):
        pack_parts([b"abc", b"de"], 4)


@pytest.mark.parametrize("level", [1, 6, 9])
def test_zlib_streams_of_format_1_unpack(level):
    data = np.arange(10_000, dtype=np.uint32).tobytes()
    assert unpack(zlib.compress(data, level), "x") == data
    packer = zlib.compressobj(level)  # format 1 streamed frame blocks part by part
    streamed = packer.compress(data[:777]) + packer.compress(data[777:]) + packer.flush()
    assert unpack(streamed, "x") == data


def test_truncated_zstd_frames_are_corrupt():
    packed = pack(np.arange(5000, dtype=np.int64).tobytes())
    for length in (0, 3, 4, 5, 8, len(packed) // 2, len(packed) - 1):
        with pytest.raises(CorruptSessionError, match="the checkpoint at step 40 does not decompress"):
            unpack(packed[:length], "the checkpoint at step 40")


@pytest.mark.parametrize("blob", ["text", None, 17, 2.5])
def test_values_that_are_not_bytes_are_corrupt(blob):
    with pytest.raises(CorruptSessionError, match="a frame block does not decompress"):
        unpack(blob, "a frame block")


def test_a_frame_claiming_an_impossible_size_is_corrupt():
    # a zstd frame header with an 8-byte content size of 2**62, then an empty last raw block
    claim = ZSTD_MAGIC + bytes([0b11100000]) + struct.pack("<Q", 2**62) + b"\x01\x00\x00"
    with pytest.raises(CorruptSessionError, match="a scalar block does not decompress"):
        unpack(claim, "a scalar block")


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_damaged_zstd_frames_give_bytes_or_corrupt_session_error(data):
    original = np.cumsum(np.random.default_rng(3).integers(0, 9, 4000)).astype(np.uint16).tobytes()
    damaged = bytearray(pack(original))
    offset = data.draw(st.integers(0, len(damaged) - 1), label="offset")
    noise = data.draw(st.binary(min_size=1, max_size=16), label="noise")
    damaged[offset:offset + len(noise)] = noise  # the row checksums catch what decoding cannot
    try:
        assert isinstance(unpack(bytes(damaged), "x"), bytes)
    except CorruptSessionError as exc:
        assert "x does not decompress" in str(exc)


# -- whole files ---------------------------------------------------------------------------------

def record(path):
    run = toy_run()
    run.build()
    with Recorder.create(path, run, chunk_size=CHUNK, checkpoint_every=20) as recorder:
        frames = [run.step() for _ in range(STEPS)]
        recorder.annotate("a caption", step=10)
    return frames, list(run.streams.values())


def stored_blobs(path):
    """Every compressed blob of a session file (chunks' two blocks, checkpoints' two parts)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT scalars, payload FROM chunks").fetchall()
        rows += conn.execute("SELECT structure, data FROM checkpoints").fetchall()
    conn.close()
    return [blob for row in rows for blob in row]


def rewrite_as_format_1(path):
    """Turn a session file into what format 1 wrote: every blob a zlib stream (level 1, as format 1
    compressed), checksums to match, and format 1 in the header, the metadata and the manifest."""
    inflate = zstandard.ZstdDecompressor().decompress  # independent of workbench.session.codec
    with sqlite3.connect(path) as conn:
        for first, count, scalars, payload in conn.execute(
                "SELECT first_step, count, scalars, payload FROM chunks").fetchall():
            scalars, payload = zlib.compress(inflate(scalars), 1), zlib.compress(inflate(payload), 1)
            conn.execute("UPDATE chunks SET scalars = ?, scalars_crc = ?, payload = ?, payload_crc = ? "
                         "WHERE first_step = ?", (scalars, row_crc(first, count, scalars), payload,
                                                  row_crc(first, count, payload), first))
        for step, reason, structure, data in conn.execute(
                "SELECT step, reason, structure, data FROM checkpoints").fetchall():
            structure, data = zlib.compress(inflate(structure), 1), zlib.compress(inflate(data), 1)
            conn.execute("UPDATE checkpoints SET structure = ?, data = ?, crc = ? WHERE step = ?",
                         (structure, data, row_crc(step, reason, structure, data), step))
        manifest = conn.execute("SELECT value FROM meta WHERE key = 'manifest'").fetchone()[0]
        assert '"format_version":2' in manifest
        for key, value in (("format_version", "1"),
                           ("manifest", manifest.replace('"format_version":2', '"format_version":1'))):
            conn.execute("UPDATE meta SET value = ?, crc = ? WHERE key = ?", (value, row_crc(key, value), key))
        conn.execute("PRAGMA user_version=1")
    conn.close()


def header_format(path):
    return struct.unpack_from(">i", path.read_bytes(), 60)[0]


@pytest.fixture(scope="module")
def format_1_session(tmp_path_factory):
    path = tmp_path_factory.mktemp("format1") / "old.wbsession"
    frames, streams = record(path)
    rewrite_as_format_1(path)
    return path, frames, streams


def test_new_files_are_format_2_with_zstd_blobs(tmp_path):
    path = tmp_path / "new.wbsession"
    record(path)
    assert header_format(path) == 2
    blobs = stored_blobs(path)
    assert len(blobs) == 2 * (STEPS // CHUNK + 1) + 2 * 4  # 8 chunks (the last partial), checkpoints 0, 20, 40, 60
    assert all(blob.startswith(ZSTD_MAGIC) for blob in blobs)


def test_a_format_1_file_opens_and_replays_exactly(format_1_session):
    path, frames, streams = format_1_session
    assert header_format(path) == 1
    assert all(blob[:1] == b"\x78" for blob in stored_blobs(path))  # zlib streams, nothing else
    with SessionReader(path) as reader:
        assert reader.manifest.format_version == 1 and reader.complete and reader.length == STEPS
        for want, got in zip(frames, reader, strict=True):
            assert frame_difference(want, got, streams) is None, f"step {want.step}"
        np.testing.assert_array_equal(reader.scalars("value"), [f["value"] for f in frames])
        assert reader.checkpoint_steps == [0, 20, 40, 60]
        assert reader.checkpoint(45).step == 40 and reader.checkpoint(45).steps_done == 40
        assert [(a.step, a.caption) for a in reader.annotations] == [(10, "a caption")]


def test_a_fork_of_a_format_1_file_is_exact_and_reads_both_kinds_of_blob(format_1_session, tmp_path):
    path, frames, streams = format_1_session
    child_path = tmp_path / "child.wbsession"
    fork = fork_session(path, 45, child_path, toy_factory)  # chunks up to step 40 copied as stored
    assert fork.resimulated == 5
    for want in frames[45:]:
        assert frame_difference(want, fork.run.step(), streams) is None, f"step {want.step}"
    fork.recorder.close()
    assert header_format(child_path) == 2
    blobs = stored_blobs(child_path)
    assert any(blob[:1] == b"\x78" for blob in blobs) and any(blob.startswith(ZSTD_MAGIC) for blob in blobs)
    with SessionReader(child_path) as child:
        assert child.manifest.format_version == 2 and child.length == STEPS
        for want, got in zip(frames, child, strict=True):
            assert frame_difference(want, got, streams) is None, f"step {want.step}"
        # re-simulating from a checkpoint copied from the parent (zlib), and from the fork's (zstd)
        assert [child.checkpoint(step).step for step in (30, STEPS)] == [20, 45]
        assert restore_run(child, 30, toy_factory)[1] == 10
        assert restore_run(child, STEPS, toy_factory)[1] == STEPS - 45


def cut_chunk_block(path, first, column):
    with sqlite3.connect(path) as conn:
        count, blob = conn.execute(f"SELECT count, {column} FROM chunks WHERE first_step = ?", (first,)).fetchone()
        blob = blob[:-3]
        conn.execute(f"UPDATE chunks SET {column} = ?, {column}_crc = ? WHERE first_step = ?",
                     (blob, row_crc(first, count, blob), first))
    conn.close()


def cut_checkpoint_data(path, step):
    with sqlite3.connect(path) as conn:
        reason, structure, data = conn.execute(
            "SELECT reason, structure, data FROM checkpoints WHERE step = ?", (step,)).fetchone()
        data = data[:-3]
        conn.execute("UPDATE checkpoints SET data = ?, crc = ? WHERE step = ?",
                     (data, row_crc(step, reason, structure, data), step))
    conn.close()


@pytest.mark.parametrize("cut, read, message", [
    (lambda p: cut_checkpoint_data(p, 20), lambda r: r.checkpoint(25), "checkpoint at step 20 does not decompress"),
    (lambda p: cut_chunk_block(p, 9, "payload"), lambda r: r.frame(9), "a frame block does not decompress"),
    (lambda p: cut_chunk_block(p, 1, "scalars"), lambda r: r.scalars("value"), "a scalar block does not decompress"),
], ids=["checkpoint", "frame block", "scalar block"])
def test_truncated_zstd_blobs_with_matching_checksums_are_corrupt(tmp_path, cut, read, message):
    """Damage that the checksums cannot see (a writer's bug, not a bad disk) still stops at decoding."""
    path = tmp_path / "cut.wbsession"
    record(path)
    cut(path)
    with SessionReader(path) as reader, pytest.raises(CorruptSessionError, match=message):
        read(reader)
