#pragma once

namespace sgda {
// Kept in step with project(VERSION) in CMakeLists.txt.
inline constexpr const char* kVersion = "0.1.0";

// The instruction set libsgda was compiled for (CMake option SGDA_ARCH, README "Building for
// this machine"): "portable" (the x86-64 baseline), "x86-64-v3" (AVX2, FMA) or "x86-64-v4"
// (AVX-512). Results are bitwise reproducible for a seed within one instruction set.
const char* instruction_set();
}  // namespace sgda
