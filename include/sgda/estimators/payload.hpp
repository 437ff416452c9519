// What one worker puts on the wire: a packed bit string. Bits sent are counted from its length,
// never from a formula, so the accounting is only as honest as the encoding.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace sgda {

// The mask of the low `width` bits (1 ≤ width ≤ 64).
inline std::uint64_t low_bits(int width) {
  return width < 64 ? (std::uint64_t{1} << width) - 1 : ~std::uint64_t{0};
}

class Payload {
 public:
  // Makes room for `bits` bits so that writing never allocates.
  void reserve(std::int64_t bits) {
    const auto words = static_cast<std::size_t>((bits + 63) / 64);
    if (words > words_.size()) words_.resize(words);
  }
  void clear() {
    size_ = 0;
    bits_ = 0;
  }
  std::int64_t bits() const { return bits_; }
  // The words written: bit b of the payload is bit b % 64 of word b / 64.
  std::span<const std::uint64_t> words() const { return {words_.data(), size_}; }

  // Appends the low `width` bits of value (1 ≤ width ≤ 64).
  void put(std::uint64_t value, int width) {
    value &= low_bits(width);
    const int used = static_cast<int>(static_cast<std::uint64_t>(bits_) % 64);  // unsigned: a mask
    if (used == 0) append_words(1)[0] = 0;
    words_[size_ - 1] |= value << used;
    if (used + width > 64) append_words(1)[0] = value >> (64 - used);
    bits_ += width;
  }
  void put_double(double value) { put(std::bit_cast<std::uint64_t>(value), 64); }
  // Appends n doubles as n put_double calls would, in one copy when at a word boundary.
  void put_doubles(const double* values, std::int64_t n) {
    if (static_cast<std::uint64_t>(bits_) % 64 != 0) {
      for (std::int64_t i = 0; i < n; ++i) put_double(values[i]);
      return;
    }
    std::memcpy(append_bits(64 * n), values, static_cast<std::size_t>(n) * sizeof(double));
  }
  // Appends `bits` bits at a word boundary and returns their ⌈bits/64⌉ words for the caller to
  // fill whole (a run of doubles, then a FieldWriter's fields); put() may continue after them.
  std::uint64_t* append_bits(std::int64_t bits) {
    bits_ += bits;
    return append_words(static_cast<std::size_t>((bits + 63) / 64));
  }

 private:
  std::uint64_t* append_words(std::size_t n) {
    if (size_ + n > words_.size()) words_.resize(std::max(size_ + n, 2 * words_.size()));
    size_ += n;
    return words_.data() + (size_ - n);
  }
  std::vector<std::uint64_t> words_;  // the first size_ are written; the rest is capacity
  std::size_t size_ = 0;
  std::int64_t bits_ = 0;
};

class PayloadReader {
 public:
  // Reads from bit `position` on.
  explicit PayloadReader(const Payload& payload, std::int64_t position = 0)
      : words_(payload.words().data()), position_(position) {}
  std::uint64_t get(int width) {
    const auto position = static_cast<std::uint64_t>(position_);  // unsigned: a shift and a mask
    const auto word = static_cast<std::size_t>(position / 64);
    const int used = static_cast<int>(position % 64);
    std::uint64_t value = words_[word] >> used;
    if (used + width > 64) value |= words_[word + 1] << (64 - used);
    value &= low_bits(width);
    position_ += width;
    return value;
  }
  double get_double() { return std::bit_cast<double>(get(64)); }
  // Reads n doubles as n get_double calls would, in one copy when at a word boundary.
  void get_doubles(double* out, std::int64_t n) {
    if (static_cast<std::uint64_t>(position_) % 64 != 0) {
      for (std::int64_t i = 0; i < n; ++i) out[i] = get_double();
      return;
    }
    std::memcpy(out, words_ + static_cast<std::uint64_t>(position_) / 64,
                static_cast<std::size_t>(n) * sizeof(double));
    position_ += 64 * n;
  }
  std::int64_t position() const { return position_; }

 private:
  const std::uint64_t* words_;
  std::int64_t position_ = 0;
};

// A run of fields of one width (1 ≤ width ≤ 64) written from a word boundary on, the bits
// gathered in a register: the layout of as many Payload::put calls, at a fraction of the cost.
// Every word it touches is written whole, so the words need no clearing first.
class FieldWriter {
 public:
  FieldWriter(std::uint64_t* words, int width)
      : out_(words), width_(width), mask_(low_bits(width)) {}
  void put(std::uint64_t value) {
    value &= mask_;
    word_ |= value << used_;
    used_ += width_;
    if (used_ < 64) {
      *out_ = word_;  // the word so far: nothing is left to flush at the end
      return;
    }
    *out_++ = word_;
    used_ -= 64;
    word_ = used_ == 0 ? 0 : value >> (width_ - used_);  // the bits that did not fit
    if (used_ != 0) *out_ = word_;
  }

 private:
  std::uint64_t* out_;
  std::uint64_t word_ = 0;
  int used_ = 0;
  int width_;
  std::uint64_t mask_;
};

// Reads what a FieldWriter wrote, field by field, loading each word once.
class FieldReader {
 public:
  FieldReader(const std::uint64_t* words, int width)
      : in_(words), width_(width), mask_(low_bits(width)) {}
  std::uint64_t get() {
    if (left_ == 0) {  // lazily: never reads past the last field
      buffer_ = *in_++;
      left_ = 64;
    }
    std::uint64_t value = buffer_;
    if (width_ < left_) {
      buffer_ >>= width_;
      left_ -= width_;
    } else if (width_ == left_) {
      left_ = 0;
    } else {  // the field continues in the next word
      const std::uint64_t next = *in_++;
      value |= next << left_;
      buffer_ = next >> (width_ - left_);
      left_ = 64 - (width_ - left_);
    }
    return value & mask_;
  }

 private:
  const std::uint64_t* in_;
  std::uint64_t buffer_ = 0;
  int left_ = 0;  // unread bits at the bottom of buffer_
  int width_;
  std::uint64_t mask_;
};

// Bits needed to write any integer in [0, count).
inline int bits_for(std::uint64_t count) {
  return count <= 1 ? 1 : static_cast<int>(std::bit_width(count - 1));
}

}  // namespace sgda
