// A flat bag of the named numbers that define a component's state (snapshots, shifts, momenta,
// RNG words, counters), so checkpoints can save and restore any estimator or step rule without
// knowing its type. Keys are plain names; each component writes under its own prefix.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sgda/error.hpp"
#include "sgda/types.hpp"

namespace sgda {

class StateArchive {
 public:
  void put(const std::string& key, const Vector& value) { vectors_[key] = value; }
  void put_scalar(const std::string& key, double value) { scalars_[key] = value; }
  void put_integer(const std::string& key, std::int64_t value) { integers_[key] = value; }

  // Throw InputError naming the key when it is missing (a checkpoint from another method).
  const Vector& vector(const std::string& key) const { return find(vectors_, key); }
  double scalar(const std::string& key) const { return find(scalars_, key); }
  std::int64_t integer(const std::string& key) const { return find(integers_, key); }
  bool has_vector(const std::string& key) const { return vectors_.count(key) > 0; }

  // Copies every entry of `other` under `prefix` (composites nest their parts' states).
  void put_all(const std::string& prefix, const StateArchive& other) {
    for (const auto& [k, v] : other.vectors_) vectors_[prefix + k] = v;
    for (const auto& [k, v] : other.scalars_) scalars_[prefix + k] = v;
    for (const auto& [k, v] : other.integers_) integers_[prefix + k] = v;
  }
  // The entries under `prefix`, with the prefix removed.
  StateArchive under(const std::string& prefix) const {
    StateArchive out;
    auto take = [&](const auto& from, auto& to) {
      for (const auto& [k, v] : from)
        if (k.rfind(prefix, 0) == 0) to[k.substr(prefix.size())] = v;
    };
    take(vectors_, out.vectors_);
    take(scalars_, out.scalars_);
    take(integers_, out.integers_);
    return out;
  }

  const std::map<std::string, Vector>& vectors() const { return vectors_; }
  const std::map<std::string, double>& scalars() const { return scalars_; }
  const std::map<std::string, std::int64_t>& integers() const { return integers_; }

 private:
  template <class Map>
  static const typename Map::mapped_type& find(const Map& map, const std::string& key) {
    const auto it = map.find(key);
    if (it == map.end())
      throw InputError("checkpoint: missing state '" + key +
                       "'; accepted only checkpoints written by the same method and settings");
    return it->second;
  }
  std::map<std::string, Vector> vectors_;
  std::map<std::string, double> scalars_;
  std::map<std::string, std::int64_t> integers_;
};

}  // namespace sgda
