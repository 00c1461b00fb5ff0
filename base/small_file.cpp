#include "base/small_file.hpp"

#include <cstdio>

namespace edge {

bool read_small_file(const char* path, char* buf, std::size_t size) noexcept {
    if (size == 0) return false;
    std::FILE* f = std::fopen(path, "re");
    if (f == nullptr) {
        buf[0] = '\0';
        return false;
    }
    const std::size_t n = std::fread(buf, 1, size - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    return n > 0;
}

}  // namespace edge
