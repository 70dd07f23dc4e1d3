#pragma once
// The one hash of the runner: stable across platforms, compilers and library versions (unlike
// std::hash), because trial ids, seeds and GPU placement are derived from it on every rank.
#include <cstdint>
#include <string>

namespace util {

// 64-bit FNV-1a, but for its offset basis: 1469598103934665603, one digit short of FNV's
// published 14695981039346656037. It stays: every trial id and seed in every results database
// derives from it, and a rerun must find its trials under the same ids.
std::uint64_t fnv1a64(const std::string& text);
// FNV-1a followed by an avalanche mixer, so that texts differing in one late character (repeat 0
// and repeat 1) get hashes that differ everywhere, ids included.
std::uint64_t stable_hash64(const std::string& text);
// 16 lower-case hex digits.
std::string hex64(std::uint64_t v);

}  // namespace util
