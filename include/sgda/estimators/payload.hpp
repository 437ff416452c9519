// What one worker puts on the wire: a packed bit string. Bits sent are counted from its length,
// never from a formula, so the accounting is only as honest as the encoding.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sgda {

class Payload {
 public:
  // Reserves room for `bits` bits so that writing never allocates.
  void reserve(std::int64_t bits) { words_.reserve(static_cast<std::size_t>((bits + 63) / 64)); }
  void clear() {
    words_.clear();
    bits_ = 0;
  }
  std::int64_t bits() const { return bits_; }
  const std::vector<std::uint64_t>& words() const { return words_; }
  std::vector<std::uint64_t>& mutable_words() { return words_; }
  void set_bits(std::int64_t bits) { bits_ = bits; }

  // Appends the low `width` bits of value (1 ≤ width ≤ 64).
  void put(std::uint64_t value, int width) {
    if (width < 64) value &= (std::uint64_t{1} << width) - 1;
    const int used = static_cast<int>(static_cast<std::uint64_t>(bits_) % 64);  // unsigned: a mask
    if (used == 0) words_.push_back(0);
    words_.back() |= value << used;
    if (used + width > 64) words_.push_back(value >> (64 - used));
    bits_ += width;
  }
  void put_double(double value) { put(std::bit_cast<std::uint64_t>(value), 64); }
  // Appends n doubles as n put_double calls would, in one copy when at a word boundary.
  void put_doubles(const double* values, std::int64_t n) {
    if (static_cast<std::uint64_t>(bits_) % 64 != 0) {
      for (std::int64_t i = 0; i < n; ++i) put_double(values[i]);
      return;
    }
    const std::size_t at = words_.size();
    words_.resize(at + static_cast<std::size_t>(n));
    std::memcpy(words_.data() + at, values, static_cast<std::size_t>(n) * sizeof(double));
    bits_ += 64 * n;
  }

 private:
  std::vector<std::uint64_t> words_;
  std::int64_t bits_ = 0;
};

class PayloadReader {
 public:
  explicit PayloadReader(const Payload& payload) : payload_(payload) {}
  std::uint64_t get(int width) {
    const auto& words = payload_.words();
    const auto position = static_cast<std::uint64_t>(position_);  // unsigned: a shift and a mask
    const auto word = static_cast<std::size_t>(position / 64);
    const int used = static_cast<int>(position % 64);
    std::uint64_t value = words[word] >> used;
    if (used + width > 64) value |= words[word + 1] << (64 - used);
    if (width < 64) value &= (std::uint64_t{1} << width) - 1;
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
    std::memcpy(out, payload_.words().data() + static_cast<std::uint64_t>(position_) / 64,
                static_cast<std::size_t>(n) * sizeof(double));
    position_ += 64 * n;
  }
  std::int64_t position() const { return position_; }

 private:
  const Payload& payload_;
  std::int64_t position_ = 0;
};

// Bits needed to write any integer in [0, count).
inline int bits_for(std::uint64_t count) {
  return count <= 1 ? 1 : static_cast<int>(std::bit_width(count - 1));
}

}  // namespace sgda
