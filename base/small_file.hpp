#pragma once
// Reading the small files the kernel describes itself in (/proc, /sys): a few hundred bytes,
// read once at start-up or per admin request, never on a worker's hot path.

#include <cstddef>

namespace edge {

/// The whole of a small file into buf, NUL-terminated (at most size - 1 bytes); false when it
/// cannot be read or is empty. Any thread; no allocation.
bool read_small_file(const char* path, char* buf, std::size_t size) noexcept;

}  // namespace edge
