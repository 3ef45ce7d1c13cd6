"""The fixture format that tests/golden_fixture.c reads: b"FFGOLD1\\n", then records until EOF,
all little-endian: uint32 name_len, name bytes (no NUL), uint32 ndim, uint32 dims[ndim],
float32 data[prod(dims)]."""
import struct


def write(path, records):
    """Writes (name, tensor) pairs to path."""
    with open(path, "wb") as f:
        f.write(b"FFGOLD1\n")
        for name, t in records:
            nb = name.encode("ascii")
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", t.dim()))
            f.write(struct.pack(f"<{t.dim()}I", *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())
