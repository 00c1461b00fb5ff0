// libFuzzer harness for the PROXY protocol parser (clang only; see meson.build):
//   build-clang/tests/fuzz/proxy_protocol_fuzz -max_total_time=60
// Checks the parser's contract on arbitrary input: it never reads past its input (ASan), a done
// header's length lies within the input and the bounds, need_more asks for more than it got,
// every prefix of a complete header asks for more, and a parsed header formatted again parses
// to the same addresses.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/codec/proxy_protocol.hpp"

using namespace edge;
using namespace edge::engine;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

bool same_address(const socket_address& a, const socket_address& b) {
    if (a.len != b.len) return false;
    if (a.len == 0) return true;
    if (a.addr.sa.sa_family != b.addr.sa.sa_family) return false;
    if (a.addr.sa.sa_family == AF_INET) {
        return a.addr.v4.sin_port == b.addr.v4.sin_port &&
               std::memcmp(&a.addr.v4.sin_addr, &b.addr.v4.sin_addr, 4) == 0;
    }
    return a.addr.v6.sin6_port == b.addr.v6.sin6_port &&
           std::memcmp(&a.addr.v6.sin6_addr, &b.addr.v6.sin6_addr, 16) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A private copy of exactly `size` bytes, so ASan sees any read past the end.
    std::vector<std::uint8_t> in(data, data + size);
    const std::size_t max = proxy_v2_fixed_length + (size % 700);
    auto r = parse_proxy_header(std::span<const std::uint8_t>(in.data(), in.size()), max);
    switch (r.status) {
        case proxy_parse_status::need_more:
            require(r.need > size);
            break;
        case proxy_parse_status::malformed:
            require(r.error != proxy_error::none);
            break;
        case proxy_parse_status::done: {
            const auto& h = r.header;
            require(h.length > 0 && h.length <= size);
            require(h.version == proxy_version::v1 ? h.length <= proxy_v1_max_length
                                                   : h.length <= max);
            for (std::size_t n = 0; n < h.length; ++n) {
                auto p = parse_proxy_header(std::span<const std::uint8_t>(in.data(), n), max);
                require(p.status == proxy_parse_status::need_more);
            }
            if (h.kind == proxy_kind::proxy) {
                std::uint8_t out[proxy_max_formatted_length];
                auto n = format_proxy_header(h.version, h.source, h.destination, out);
                require(n.has_value());
                auto again = parse_proxy_header(std::span<const std::uint8_t>(out, *n));
                require(again.status == proxy_parse_status::done);
                // Formatting may turn IPv4-mapped pairs into IPv4; compare only plain families.
                bool mapped = h.source.addr.sa.sa_family == AF_INET6 &&
                              (IN6_IS_ADDR_V4MAPPED(&h.source.addr.v6.sin6_addr) ||
                               IN6_IS_ADDR_V4MAPPED(&h.destination.addr.v6.sin6_addr));
                if (!mapped) {
                    require(same_address(again.header.source, h.source));
                    require(same_address(again.header.destination, h.destination));
                }
            }
            break;
        }
    }
    return 0;
}
