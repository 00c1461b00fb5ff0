#include "engine/codec/ip_checksum.hpp"

#include <cstring>

namespace edge::engine {

std::uint64_t checksum_add(std::uint64_t sum, std::span<const std::uint8_t> data) noexcept {
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    // Eight bytes at a time as big-endian 16-bit words: sum 32-bit halves into 64 bits (no
    // carry can be lost before 2^32 additions), fold at the end.
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        w = __builtin_bswap64(w);
        sum += (w >> 32) + (w & 0xffffffffu);
        p += 8;
        n -= 8;
    }
    while (n >= 2) {
        sum += static_cast<std::uint64_t>(p[0]) << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n == 1) sum += static_cast<std::uint64_t>(p[0]) << 8;
    return sum;
}

std::uint16_t checksum_finish(std::uint64_t sum) noexcept {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint64_t pseudo_header_sum(std::span<const std::uint8_t> ip, std::uint8_t proto,
                                std::size_t l4_length) noexcept {
    std::uint64_t sum = 0;
    if ((ip[0] >> 4) == 4) {
        sum = checksum_add(sum, ip.subspan(12, 8));  // source and destination
        sum += proto;
        sum += l4_length;
    } else {
        sum = checksum_add(sum, ip.subspan(8, 32));  // source and destination
        sum += (l4_length >> 16) + (l4_length & 0xffff);
        sum += proto;
    }
    return sum;
}

}  // namespace edge::engine
