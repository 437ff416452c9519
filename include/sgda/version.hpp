#pragma once

namespace sgda {
// Kept in step with project(VERSION) in CMakeLists.txt.
inline constexpr const char* kVersion = "0.1.0";
}  // namespace sgda
