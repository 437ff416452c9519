#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_game_file (tests/fuzz/corpus/game_file/seed_*): descriptions
of valid games and of the malformed ones tests/test_io.cpp knows, in the input format documented
at the top of tests/fuzz/fuzz_game_file.cpp. Crash inputs found later live next to the seeds
under other names (crash-*, timeout-*) and are not touched.

    /usr/bin/python3 tests/fuzz/make_game_seeds.py
"""
import os

NAMES = ["M", "q", "x_star", "workers", "extra", "trace", "M/M", "q/x"]
TARGETS = ["/M", "/q", "/nowhere", "/x_star", "/extra", "/"]
ATTRIBUTES = ["block_names", "block_sizes", "block_maximize", "other"]
TYPES = ["f64le", "f64be", "f32le", "f32be", "i64le", "i64be", "i32le", "i16be", "u8", "u32le",
         "u64le", "i8", "f16", "ldouble", "vlen-string", "fixed-string", "compound", "array",
         "enum", "opaque"]
LAYOUTS = ["contiguous", "chunked", "deflate", "compact", "fill", "fill-nan"]
REGULARIZERS = ["none", "l1", "box", "l2-ball", "linf-ball", "l1-linf"]
SPECIALS = ["nan", "inf", "-inf", "1e308", "-1e308", "denorm", "-0", "1e-300", "9.3e18",
            "2^53+1", "-1", "0", "1", "2", "3"]


def header(regularizer="none", analyse=False, latest=False, truncate=None):
    b = REGULARIZERS.index(regularizer)
    if analyse:
        b |= 0x08
    if latest:
        b |= 0x10
    if truncate is not None:  # keep truncate/5 of the file, 1..4
        b |= 0x20 | ((truncate - 1) << 6)
    return bytes([b])


def dataset(name, dims, type="f64le", layout="contiguous", specials=(), constant=None,
            space=None):
    """specials: (flat index, special name) pairs; constant: every element one special."""
    if space == "scalar":
        shape = bytes([0])
    elif space == "null":
        shape = bytes([1])
    else:
        assert 1 <= len(dims) <= 4 and all(0 <= d < 16 for d in dims)
        shape = bytes([len(dims) + 1]) + bytes(dims)
    out = bytes([0, NAMES.index(name), TYPES.index(type)]) + shape
    out += bytes([LAYOUTS.index(layout)])
    if constant is not None:
        out += bytes([3, SPECIALS.index(constant)])
    elif specials:
        out += bytes([1, len(specials)])
        for index, value in specials:
            out += index.to_bytes(2, "little") + bytes([SPECIALS.index(value)])
    else:
        out += bytes([0])
    return out


def text(s):
    data = s.encode()
    assert len(data) < 24
    return bytes([len(data)]) + data


def integers(values):
    out = b""
    for v in values:
        named = {"min": 128, "max": 127, "2^40": 126}
        out += bytes([named[v] if isinstance(v, str) else v & 0xFF])
    return out


def string_attribute(name, value, fixed=False):
    return bytes([1, ATTRIBUTES.index(name), 1 if fixed else 0]) + text(value)


def int_attribute(name, values, type="i64le", scalar=False):
    count = 5 if scalar else len(values)
    assert count <= 5
    return bytes([1, ATTRIBUTES.index(name), 3, TYPES.index(type), count]) + integers(values)


def blocks(names="x,y", sizes=(2, 1), maximize=(0, 1)):
    out = b""
    if names is not None:
        out += string_attribute("block_names", names)
    if sizes is not None:
        out += int_attribute("block_sizes", sizes)
    if maximize is not None:
        out += int_attribute("block_maximize", maximize)
    return out


def game(n=5, d=3, m=None, q=None, x_star=True, with_blocks=True):
    out = m if m is not None else dataset("M", [n, d, d])
    out += q if q is not None else dataset("q", [n, d])
    if x_star:
        out += dataset("x_star", [d])
    if with_blocks:
        out += blocks()
    return out


def link(kind, name, target):
    return bytes([{"soft": 3, "hard": 4, "external": 6}[kind], NAMES.index(name),
                  TARGETS.index(target)])


def unlink(name):
    return bytes([7, NAMES.index(name)])


SEEDS = {
    # valid games
    "valid": header() + game(),
    "valid_analysed": header(analyse=True) + game(),
    "valid_l1_linf_analysed": header("l1-linf", analyse=True) + game(x_star=False),
    "valid_box_latest": header("box", analyse=True, latest=True) + game(),
    "valid_no_blocks": header() + game(with_blocks=False, x_star=False),
    "valid_workers": header(analyse=True) + game(n=4, d=2, with_blocks=False)
    + dataset("workers", [4], type="i64le"),
    "valid_chunked_deflate": header() + game(m=dataset("M", [6, 2, 2], layout="deflate"),
                                             q=dataset("q", [6, 2], layout="chunked"),
                                             x_star=False, with_blocks=False),
    "valid_float32_big_endian": header() + game(m=dataset("M", [2, 3, 3], type="f32be"),
                                                q=dataset("q", [2, 3], type="f64be")),
    "valid_fixed_names": header() + game(with_blocks=False)
    + string_attribute("block_names", "left, right", fixed=True)
    + int_attribute("block_sizes", [1, 2], type="i32le") + int_attribute("block_maximize", [1, 0]),
    "valid_extras": header() + game() + dataset("extra", [2, 2]) + bytes([2, NAMES.index("trace")])
    + string_attribute("other", "made by hand"),
    "valid_hard_link": header() + game(q=dataset("extra", [5, 3]), x_star=False)
    + link("hard", "q", "/extra"),
    "external_link": header() + link("external", "M", "/M") + dataset("q", [3, 4]),
    # what test_io.cpp checks, as descriptions
    "missing_M": header() + game(m=b""),
    "missing_q": header() + game(q=b""),
    "M_rank_2": header() + game(m=dataset("M", [5, 9])),
    "M_not_square": header() + game(m=dataset("M", [5, 3, 2])),
    "M_no_samples": header() + game(m=dataset("M", [0, 3, 3])),
    "M_int": header() + game(m=dataset("M", [5, 3, 3], type="i64le")),
    "M_string": header() + game(m=dataset("M", [5, 3, 3], type="vlen-string")),
    "M_compound": header() + game(m=dataset("M", [5, 3, 3], type="compound")),
    "M_scalar": header() + game(m=dataset("M", [], space="scalar")),
    "M_null": header() + game(m=dataset("M", [], space="null")),
    "M_nan": header() + game(m=dataset("M", [5, 3, 3], specials=[(14, "nan")])),
    "M_huge_analysed": header("l2-ball", analyse=True)
    + game(m=dataset("M", [5, 3, 3], specials=[(0, "1e308"), (9, "1e308")])),
    "M_fill_nan": header() + game(m=dataset("M", [5, 3, 3], layout="fill-nan")),
    "M_group": header() + bytes([2, NAMES.index("M")]) + game(m=b""),
    "M_dangling_soft_link": header() + link("soft", "M", "/nowhere") + game(m=b""),
    "M_nested_group": header() + bytes([2, NAMES.index("M")]) + dataset("M/M", [5, 3, 3])
    + game(m=b""),
    "q_wrong_n": header() + game(q=dataset("q", [4, 3])),
    "q_inf": header() + game(q=dataset("q", [5, 3], specials=[(7, "inf")])),
    "q_f16": header() + game(q=dataset("q", [5, 3], type="f16")),
    "q_long_double": header() + game(q=dataset("q", [5, 3], type="ldouble")),
    "x_star_wrong_length": header() + game(x_star=False) + dataset("x_star", [4]),
    "x_star_nan": header() + game(x_star=False) + dataset("x_star", [3], constant="nan"),
    "workers_out_of_range": header() + game(n=4, d=2, with_blocks=False)
    + dataset("workers", [4], type="i64le", specials=[(2, "9.3e18")]),
    "workers_float": header() + game(n=4, d=2, with_blocks=False) + dataset("workers", [4]),
    "workers_idle": header() + game(n=4, d=2, with_blocks=False)
    + dataset("workers", [4], type="u8", constant="2"),
    "block_sizes_sum": header() + game(with_blocks=False) + blocks(sizes=(1, 1)),
    "block_size_zero": header() + game(with_blocks=False) + blocks(sizes=(3, 0)),
    "block_size_huge": header() + game(with_blocks=False) + blocks(sizes=("max", "min")),
    "block_sizes_scalar": header() + game(with_blocks=False) + blocks(names="x", sizes=None)
    + int_attribute("block_sizes", [3], scalar=True),
    "block_flags_not_01": header() + game(with_blocks=False) + blocks(maximize=(0, 2)),
    "block_names_repeated": header() + game(with_blocks=False) + blocks(names="x,x"),
    "block_names_empty": header() + game(with_blocks=False) + blocks(names="x,"),
    "block_names_int": header() + game(with_blocks=False) + blocks(names=None)
    + int_attribute("block_names", [1, 2]),
    "block_names_array": header() + game(with_blocks=False) + blocks(names=None)
    + bytes([1, ATTRIBUTES.index("block_names"), 2, 2]) + text("x") + text("y"),
    "block_maximize_missing": header() + game(with_blocks=False) + blocks(maximize=None),
    "block_sizes_float": header() + game(with_blocks=False) + blocks(sizes=None)
    + bytes([1, ATTRIBUTES.index("block_sizes"), 5, 2]) + integers([2, 1]),
    "block_sizes_null": header() + game(with_blocks=False) + blocks(sizes=None)
    + bytes([1, ATTRIBUTES.index("block_sizes"), 4]),
    "block_sizes_2d": header() + game(with_blocks=False) + blocks(sizes=None)
    + bytes([1, ATTRIBUTES.index("block_sizes"), 6]) + integers([1, 1, 1, 0]),
    "dataset_attribute": header() + game() + bytes([5, NAMES.index("M")])
    + bytes([ATTRIBUTES.index("block_names"), 0]) + text("z"),
    "unlinked_q": header() + game() + unlink("q"),
    "truncated_half": header(truncate=2) + game(),
    "truncated_most": header(truncate=4) + game(),
}


def main():
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "game_file")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.startswith("seed_"):
            os.remove(os.path.join(folder, name))
    for name, data in SEEDS.items():
        with open(os.path.join(folder, "seed_" + name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {folder}")


if __name__ == "__main__":
    main()
