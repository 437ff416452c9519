#!/usr/bin/env python3
"""Known-answer vectors for include/sgda/rng.hpp, computed independently of the library.

This is a reference implementation written from the published algorithms, not from sgda's code:

  - splitmix64: Sebastiano Vigna, https://prng.di.unimi.it/splitmix64.c (2015), the state
    advanced by 0x9e3779b97f4a7c15 and mixed by Stafford's "Mix13" variant;
  - xoshiro256**: David Blackman and Sebastiano Vigna, "Scrambled linear pseudorandom number
    generators", ACM TOMS 47(4), 2021; https://prng.di.unimi.it/xoshiro256starstar.c, seeded as
    recommended there: the four state words are four successive splitmix64 outputs;
  - uniform(): the upper 53 bits times 2^-53 (the same page, "Generating uniform doubles");
  - index(n): D. Lemire, "Fast random integer generation in an interval", ACM TOMACS 29(1),
    2019, Algorithm 5 (multiply, reject when the low word is below 2^64 mod n);
  - normal(): G. Marsaglia and T. A. Bray (1964), the polar method, as the header documents it:
    u, v uniform on (-1, 1) from two uniform() draws, s = u^2 + v^2 accepted in (0, 1), and
    u*f then v*f with f = sqrt(-2 ln(s) / s). Each double operation is rounded as IEEE 754
    does; ln(s) is computed to 50 digits with Python's decimal module and rounded once to a
    double, so the vectors do not depend on any C library's log (a platform whose std::log is
    not correctly rounded at these arguments would fail the normal() vectors, and should);
  - split(): the header's documented rule, Rng(next() ^ 0x9e3779b97f4a7c15);
  - stream(seed, index): the header's documented rule, the seed mix((mix(seed + G) ^ index) + G)
    with mix splitmix64's output function (see stream_seed below).

Run: python3 tests/known_answers/rng_reference.py > /tmp/vectors.txt and compare by eye with
the constants in tests/test_rng.cpp (the test file's vectors were pasted from this output).
Python's integers are unbounded, so every 64-bit operation is reduced with & MASK.
"""

from decimal import Decimal, getcontext

MASK = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15


class SplitMix64:
    def __init__(self, seed):
        self.x = seed & MASK

    def next(self):
        self.x = (self.x + GOLDEN_GAMMA) & MASK
        z = self.x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256StarStar:
    def __init__(self, seed):
        sm = SplitMix64(seed)
        self.s = [sm.next() for _ in range(4)]
        self.spare = None

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        # (next >> 11) has 53 bits: exact as a double, and so is the product by 2^-53.
        return float(self.next() >> 11) * 2.0**-53

    def index(self, n):
        m = self.next() * n
        low = m & MASK
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & MASK
        return m >> 64

    def normal(self):
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        while True:
            u = 2.0 * self.uniform() - 1.0
            v = 2.0 * self.uniform() - 1.0
            s = u * u + v * v
            if 0.0 < s < 1.0:
                break
        getcontext().prec = 50
        log_s = float(Decimal(s).ln())  # Decimal(s) is exact; one rounding to a double
        factor = (-2.0 * log_s / s) ** 0.5  # IEEE division, correctly rounded square root
        self.spare = v * factor
        return u * factor

    def split(self):
        return Xoshiro256StarStar(self.next() ^ GOLDEN_GAMMA)


def mix(z):
    """splitmix64's output function of a state z (the increment already added)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def stream_seed(seed, index):
    """The seed of Rng::stream(seed, index)."""
    a = mix((seed + GOLDEN_GAMMA) & MASK)
    return mix(((a ^ index) + GOLDEN_GAMMA) & MASK)


# The first ten outputs of xoshiro256** from the state {1, 2, 3, 4}, as published by the Rust
# crate rand_xoshiro (src/xoshiro256starstar.rs, test reference: "produced with the reference
# implementation", Vigna's C code). main() checks this transcription against them first.
PUBLISHED_1234 = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
                  607988272756665600, 16172922978634559625, 8476171486693032832,
                  10595114339597558777, 2904607092377533576]
# splitmix64's first outputs from state 0, Vigna's splitmix64.c, as quoted by many independent
# test suites.
PUBLISHED_SPLITMIX_0 = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def words(values):
    return ", ".join("0x%016xULL" % v for v in values)


def main():
    sm = SplitMix64(0)
    assert [sm.next() for _ in range(3)] == PUBLISHED_SPLITMIX_0
    for seed in (0, 1, 42, 0xFFFFFFFFFFFFFFFF):
        sm = SplitMix64(seed)
        print("splitmix64(%d): %s" % (seed, words(sm.next() for _ in range(5))))
    for seed in (0, 1, 42, 0xFFFFFFFFFFFFFFFF):
        r = Xoshiro256StarStar(seed)
        print("state(%d): %s" % (seed, words(r.s)))
        print("next(%d): %s" % (seed, words(r.next() for _ in range(6))))
    r = Xoshiro256StarStar(42)
    print("uniform(42): %s" % ", ".join(float.hex(r.uniform()) for _ in range(4)))
    r = Xoshiro256StarStar(42)
    # n = 2^63 + 1 rejects half of all words: here its first two, so it takes three.
    print("index(42, n = 7, 10, 2^63 + 1, 1000, 7, 10): %s"
          % ", ".join(str(r.index(n)) for n in (7, 10, (1 << 63) + 1, 1000, 7, 10)))
    print("index(42): next word after them: 0x%016xULL" % r.next())
    r = Xoshiro256StarStar(42)
    print("normal(42): %s" % ", ".join(float.hex(r.normal()) for _ in range(6)))
    r = Xoshiro256StarStar(42)
    child = r.split()
    print("split(42): child state %s" % words(child.s))
    print("split(42): child next %s" % words(child.next() for _ in range(4)))
    print("split(42): parent next %s" % words(r.next() for _ in range(2)))
    for seed, index in ((0, 0), (0, 1), (7, 0), (7, 1), (7, 2), (0xFFFFFFFFFFFFFFFF, 63)):
        child = Xoshiro256StarStar(stream_seed(seed, index))
        print("stream(%d, %d): state %s" % (seed, index, words(child.s)))
        print("stream(%d, %d): next %s" % (seed, index, words(child.next() for _ in range(3))))
    r = Xoshiro256StarStar(0)
    r.s = [1, 2, 3, 4]
    outputs = [r.next() for _ in range(10)]
    assert outputs == PUBLISHED_1234, "the transcription disagrees with the published outputs"
    print("state 1, 2, 3, 4: next %s" % words(outputs))


if __name__ == "__main__":
    main()
