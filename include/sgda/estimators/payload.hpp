// What one worker puts on the wire: a run of doubles (64 bits each) and a bit string of packed
// fixed-width fields. Bits sent are counted from their lengths, never from a formula, so the
// accounting is only as honest as the encoding.
//
// A compressor writes its message in one piece: assign() gives the value and field buffers, which
// it fills (the fields through a FieldWriter); the receiver reads them back (FieldReader).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

namespace sgda {

// The mask of the low `width` bits (1 ≤ width ≤ 64).
inline std::uint64_t low_bits(int width) { return ~std::uint64_t{0} >> (64 - width); }

// Bits needed to write any integer in [0, count).
inline int bits_for(std::uint64_t count) {
  return count <= 1 ? 1 : static_cast<int>(std::bit_width(count - 1));
}

class Payload {
 public:
  // Makes room for a payload of up to `bits` bits in either part, so that assign() never
  // allocates.
  void reserve(std::int64_t bits) {
    const auto words = static_cast<std::size_t>((bits + 63) / 64);
    grow(words, words);
  }
  struct Buffers {
    double* values;
    std::uint64_t* fields;  // ⌈field_bits/64⌉ words, to be written whole (not cleared here)
  };
  // The payload becomes `values` doubles and `field_bits` bits of fields.
  Buffers assign(std::int64_t values, std::int64_t field_bits) {
    num_values_ = static_cast<std::size_t>(values);
    num_words_ = static_cast<std::size_t>(field_bits + 63) / 64;  // unsigned: a shift
    field_bits_ = field_bits;
    // Checked against cached capacities, not the vectors' sizes: a compare each on the hot path.
    if (num_values_ > value_capacity_ || num_words_ > word_capacity_) [[unlikely]]
      grow(std::max(num_values_, 2 * value_capacity_), std::max(num_words_, 2 * word_capacity_));
    return {values_.data(), fields_.data()};
  }
  std::int64_t bits() const { return 64 * static_cast<std::int64_t>(num_values_) + field_bits_; }
  std::span<const double> values() const { return {values_.data(), num_values_}; }
  // Bit b of the fields is bit b % 64 of word b / 64.
  std::span<const std::uint64_t> fields() const { return {fields_.data(), num_words_}; }

 private:
  void grow(std::size_t values, std::size_t words) {
    if (values > value_capacity_) values_.resize(value_capacity_ = values);
    if (words > word_capacity_) fields_.resize(word_capacity_ = words);
  }
  std::vector<double> values_;         // the first num_values_ are sent; the rest is capacity
  std::vector<std::uint64_t> fields_;  // the first num_words_ are sent
  std::size_t value_capacity_ = 0, word_capacity_ = 0;  // the vectors' sizes
  std::size_t num_values_ = 0, num_words_ = 0;
  std::int64_t field_bits_ = 0;
};

// A run of fields of one width (1 ≤ width ≤ 63), written from the start of `words` on: field j
// is bits [j·width, (j+1)·width) of the run. Each value must fit in the width. The bits are
// gathered in a register, a word is stored when it is full and the last one when the writer
// goes out of scope; every word touched is stored whole, so the words need no clearing first.
class FieldWriter {
 public:
  FieldWriter(std::uint64_t* words, int width) : out_(words), width_(width) {}
  FieldWriter(const FieldWriter&) = delete;
  FieldWriter& operator=(const FieldWriter&) = delete;
  ~FieldWriter() {
    if (used_ != 0) *out_ = word_;
  }
  void put(std::uint64_t value) {
    word_ |= value << used_;
    used_ += width_;
    if (used_ >= 64) {
      *out_++ = word_;
      used_ -= 64;
      word_ = value >> (width_ - used_);  // the bits that did not fit (none when used_ = 0)
    }
  }

 private:
  std::uint64_t* out_;
  std::uint64_t word_ = 0;
  int used_ = 0;  // bits of word_ written
  int width_;
};

// Reads what a FieldWriter wrote, field by field, loading each word once.
class FieldReader {
 public:
  FieldReader(const std::uint64_t* words, int width)
      : in_(words), width_(width), mask_(low_bits(width)) {}
  std::uint64_t get() {
    if (width_ <= left_) {
      const std::uint64_t value = buffer_ & mask_;
      buffer_ >>= width_;
      left_ -= width_;
      return value;
    }
    // The field starts with the left_ bits still buffered and ends in the next word, loaded only
    // now: a reader never reads past the last field.
    const std::uint64_t next = *in_++;
    const std::uint64_t value = (buffer_ | next << left_) & mask_;
    buffer_ = next >> (width_ - left_);
    left_ += 64 - width_;
    return value;
  }

 private:
  const std::uint64_t* in_;
  std::uint64_t buffer_ = 0;
  int left_ = 0;  // unread bits at the bottom of buffer_
  int width_;
  std::uint64_t mask_;
};

}  // namespace sgda
