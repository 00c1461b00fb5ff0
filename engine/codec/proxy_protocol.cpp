#include "engine/codec/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace edge::engine {

namespace {

constexpr std::uint8_t v1_signature[] = {'P', 'R', 'O', 'X', 'Y', ' '};
constexpr std::uint8_t v2_signature[] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                         0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

// v2 byte 13: version (high nibble, always 2) and command; byte 14: family and transport.
constexpr std::uint8_t v2_cmd_local = 0x0;
constexpr std::uint8_t v2_cmd_proxy = 0x1;
constexpr std::uint8_t v2_af_unspec = 0x0;
constexpr std::uint8_t v2_af_inet = 0x1;
constexpr std::uint8_t v2_af_inet6 = 0x2;
constexpr std::uint8_t v2_af_unix = 0x3;
constexpr std::uint8_t v2_transport_max = 0x2;  // UNSPEC, STREAM, DGRAM
constexpr std::size_t v2_inet_length = 12;      // 4 + 4 + 2 + 2
constexpr std::size_t v2_inet6_length = 36;     // 16 + 16 + 2 + 2
constexpr std::size_t v2_unix_length = 216;     // 108 + 108

proxy_parse_result need(std::size_t n) noexcept {
    proxy_parse_result r;
    r.status = proxy_parse_status::need_more;
    r.need = n;
    return r;
}

proxy_parse_result malformed(proxy_error e) noexcept {
    proxy_parse_result r;
    r.status = proxy_parse_status::malformed;
    r.error = e;
    return r;
}

proxy_parse_result done(const proxy_header& h) noexcept {
    proxy_parse_result r;
    r.status = proxy_parse_status::done;
    r.header = h;
    return r;
}

void set_v4(socket_address& a, const std::uint8_t* addr, std::uint16_t port_be) noexcept {
    a = {};
    a.addr.v4.sin_family = AF_INET;
    std::memcpy(&a.addr.v4.sin_addr, addr, 4);
    a.addr.v4.sin_port = port_be;
    a.len = sizeof(sockaddr_in);
}

void set_v6(socket_address& a, const std::uint8_t* addr, std::uint16_t port_be) noexcept {
    a = {};
    a.addr.v6.sin6_family = AF_INET6;
    std::memcpy(&a.addr.v6.sin6_addr, addr, 16);
    a.addr.v6.sin6_port = port_be;
    a.len = sizeof(sockaddr_in6);
}

// ---- v1: "PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\n" ----------------------------------------------

// Splits off the next space-terminated token; false when there is no space (last token).
bool next_token(std::string_view& rest, std::string_view& token) noexcept {
    auto sp = rest.find(' ');
    if (sp == std::string_view::npos) return false;
    token = rest.substr(0, sp);
    rest.remove_prefix(sp + 1);
    return true;
}

bool parse_port(std::string_view s, std::uint16_t& port_be) noexcept {
    if (s.empty() || s.size() > 5) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (v > 65535) return false;
    port_be = htons(static_cast<std::uint16_t>(v));
    return true;
}

bool parse_v1_address(std::string_view s, int family, std::uint8_t* out) noexcept {
    char buf[INET6_ADDRSTRLEN];
    if (s.empty() || s.size() >= sizeof buf) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    return inet_pton(family, buf, out) == 1;
}

// `line` is the header without its CRLF.
proxy_parse_result parse_v1_line(std::string_view line, std::size_t length) noexcept {
    proxy_header h;
    h.version = proxy_version::v1;
    h.length = length;
    std::string_view rest = line.substr(sizeof v1_signature);
    std::string_view proto;
    if (!next_token(rest, proto)) {
        proto = rest;
        rest = {};
        if (proto == "UNKNOWN") return done(h);  // "PROXY UNKNOWN\r\n"
        return malformed(proto == "TCP4" || proto == "TCP6" ? proxy_error::v1_bad_syntax
                                                            : proxy_error::v1_bad_protocol);
    }
    if (proto == "UNKNOWN") return done(h);  // whatever follows UNKNOWN is ignored
    int family;
    if (proto == "TCP4")
        family = AF_INET;
    else if (proto == "TCP6")
        family = AF_INET6;
    else
        return malformed(proxy_error::v1_bad_protocol);

    std::string_view src, dst, sport, dport;
    if (!next_token(rest, src) || !next_token(rest, dst) || !next_token(rest, sport)) {
        return malformed(proxy_error::v1_bad_syntax);
    }
    dport = rest;
    if (src.empty() || dst.empty() || dport.find(' ') != std::string_view::npos) {
        return malformed(proxy_error::v1_bad_syntax);
    }
    std::uint8_t s_addr[16], d_addr[16];
    if (!parse_v1_address(src, family, s_addr) || !parse_v1_address(dst, family, d_addr)) {
        return malformed(proxy_error::v1_bad_address);
    }
    std::uint16_t s_port, d_port;
    if (!parse_port(sport, s_port) || !parse_port(dport, d_port)) {
        return malformed(proxy_error::v1_bad_port);
    }
    if (family == AF_INET) {
        set_v4(h.source, s_addr, s_port);
        set_v4(h.destination, d_addr, d_port);
    } else {
        set_v6(h.source, s_addr, s_port);
        set_v6(h.destination, d_addr, d_port);
    }
    h.kind = proxy_kind::proxy;
    return done(h);
}

proxy_parse_result parse_v1(std::span<const std::uint8_t> data) noexcept {
    const std::size_t limit = std::min(data.size(), proxy_v1_max_length);
    for (std::size_t i = sizeof v1_signature; i < limit; ++i) {
        std::uint8_t c = data[i];
        if (c == '\r') {
            if (i + 2 > proxy_v1_max_length) return malformed(proxy_error::v1_too_long);
            if (i + 1 >= data.size()) return need(i + 2);
            if (data[i + 1] != '\n') return malformed(proxy_error::v1_bad_syntax);
            std::string_view line(reinterpret_cast<const char*>(data.data()), i);
            return parse_v1_line(line, i + 2);
        }
        if (c < 0x20 || c > 0x7e) return malformed(proxy_error::v1_bad_syntax);
    }
    if (data.size() >= proxy_v1_max_length) return malformed(proxy_error::v1_too_long);
    return need(data.size() + 1);
}

// ---- v2: 16 fixed bytes, then addresses and TLVs ------------------------------------------------

proxy_parse_result parse_v2(std::span<const std::uint8_t> data, std::size_t max_length) noexcept {
    if (data.size() > sizeof v2_signature) {
        std::uint8_t ver_cmd = data[12];
        if ((ver_cmd >> 4) != 2) return malformed(proxy_error::v2_bad_version);
        std::uint8_t cmd = ver_cmd & 0x0f;
        if (cmd != v2_cmd_local && cmd != v2_cmd_proxy)
            return malformed(proxy_error::v2_bad_command);
    }
    if (data.size() > sizeof v2_signature + 1) {
        std::uint8_t fam = data[13];
        if ((fam >> 4) > v2_af_unix || (fam & 0x0f) > v2_transport_max) {
            return malformed(proxy_error::v2_bad_family);
        }
    }
    if (data.size() < proxy_v2_fixed_length) return need(proxy_v2_fixed_length);

    const std::size_t payload = (std::size_t{data[14]} << 8) | data[15];
    const std::size_t total = proxy_v2_fixed_length + payload;
    if (total > max_length) return malformed(proxy_error::v2_too_long);
    if (data.size() < total) return need(total);

    proxy_header h;
    h.version = proxy_version::v2;
    h.length = total;
    const std::uint8_t cmd = data[12] & 0x0f;
    const std::uint8_t af = data[13] >> 4;
    if (cmd == v2_cmd_local) {
        h.kind = proxy_kind::local;  // addresses, if any, are ignored by the specification
        return done(h);
    }
    const std::uint8_t* p = data.data() + proxy_v2_fixed_length;
    std::uint16_t s_port, d_port;
    switch (af) {
        case v2_af_inet:
            if (payload < v2_inet_length) return malformed(proxy_error::v2_short_address);
            std::memcpy(&s_port, p + 8, 2);
            std::memcpy(&d_port, p + 10, 2);
            set_v4(h.source, p, s_port);
            set_v4(h.destination, p + 4, d_port);
            h.kind = proxy_kind::proxy;
            break;
        case v2_af_inet6:
            if (payload < v2_inet6_length) return malformed(proxy_error::v2_short_address);
            std::memcpy(&s_port, p + 32, 2);
            std::memcpy(&d_port, p + 34, 2);
            set_v6(h.source, p, s_port);
            set_v6(h.destination, p + 16, d_port);
            h.kind = proxy_kind::proxy;
            break;
        case v2_af_unix:
            if (payload < v2_unix_length) return malformed(proxy_error::v2_short_address);
            h.kind = proxy_kind::unknown;  // a UNIX path is no client address for geo or routing
            break;
        default:  // v2_af_unspec
            h.kind = proxy_kind::unknown;
            break;
    }
    // TLVs after the addresses are skipped: nothing here needs them.
    return done(h);
}

// ---- formatting ---------------------------------------------------------------------------------

bool is_v4ish(const socket_address& a) noexcept {
    if (a.len == 0) return false;
    if (a.addr.sa.sa_family == AF_INET) return true;
    return a.addr.sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.addr.v6.sin6_addr);
}

bool is_inet(const socket_address& a) noexcept {
    return a.len != 0 && (a.addr.sa.sa_family == AF_INET || a.addr.sa.sa_family == AF_INET6);
}

// The address in the form the header uses: 4 bytes (to_v4) or 16 bytes, and the port as stored.
void address_bytes(const socket_address& a, bool to_v4, std::uint8_t* out,
                   std::uint16_t& port_be) noexcept {
    if (a.addr.sa.sa_family == AF_INET) {
        port_be = a.addr.v4.sin_port;
        if (to_v4) {
            std::memcpy(out, &a.addr.v4.sin_addr, 4);
        } else {
            static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            std::memcpy(out, mapped, 12);
            std::memcpy(out + 12, &a.addr.v4.sin_addr, 4);
        }
    } else {
        port_be = a.addr.v6.sin6_port;
        const auto* b = reinterpret_cast<const std::uint8_t*>(&a.addr.v6.sin6_addr);
        if (to_v4)
            std::memcpy(out, b + 12, 4);
        else
            std::memcpy(out, b, 16);
    }
}

class writer {
  public:
    explicit writer(std::span<std::uint8_t> out) noexcept : out_(out) {}
    void bytes(const void* p, std::size_t n) noexcept {
        if (pos_ + n <= out_.size()) std::memcpy(out_.data() + pos_, p, n);
        pos_ += n;
    }
    void text(std::string_view s) noexcept { bytes(s.data(), s.size()); }
    void byte(std::uint8_t b) noexcept { bytes(&b, 1); }
    void decimal(std::uint16_t v) noexcept {
        char buf[5];
        std::size_t n = 0;
        do {
            buf[n++] = static_cast<char>('0' + v % 10);
            v = static_cast<std::uint16_t>(v / 10);
        } while (v != 0);
        while (n > 0)
            byte(static_cast<std::uint8_t>(buf[--n]));
    }
    result<std::size_t, proxy_format_error> finish() const noexcept {
        if (pos_ > out_.size()) return unexpected(proxy_format_error::buffer_too_small);
        return pos_;
    }

  private:
    std::span<std::uint8_t> out_;
    std::size_t pos_ = 0;
};

}  // namespace

const char* describe(proxy_error e) noexcept {
    switch (e) {
        case proxy_error::none:
            return "none";
        case proxy_error::not_proxy:
            return "not_proxy";
        case proxy_error::v1_too_long:
            return "v1_too_long";
        case proxy_error::v1_bad_syntax:
            return "v1_bad_syntax";
        case proxy_error::v1_bad_protocol:
            return "v1_bad_protocol";
        case proxy_error::v1_bad_address:
            return "v1_bad_address";
        case proxy_error::v1_bad_port:
            return "v1_bad_port";
        case proxy_error::v2_bad_version:
            return "v2_bad_version";
        case proxy_error::v2_bad_command:
            return "v2_bad_command";
        case proxy_error::v2_bad_family:
            return "v2_bad_family";
        case proxy_error::v2_too_long:
            return "v2_too_long";
        case proxy_error::v2_short_address:
            return "v2_short_address";
    }
    return "unknown";
}

proxy_parse_result parse_proxy_header(std::span<const std::uint8_t> data,
                                      std::size_t v2_max_length) noexcept {
    if (data.empty()) return need(1);
    v2_max_length = std::clamp<std::size_t>(v2_max_length, proxy_v2_fixed_length,
                                            proxy_v2_fixed_length + 65535);
    // Every prefix of a signature may still become a header; one wrong byte settles it.
    const std::uint8_t* sig = data[0] == v1_signature[0] ? v1_signature : v2_signature;
    const std::size_t sig_len = sig == v1_signature ? sizeof v1_signature : sizeof v2_signature;
    const std::size_t n = std::min(data.size(), sig_len);
    if (std::memcmp(data.data(), sig, n) != 0) return malformed(proxy_error::not_proxy);
    if (data.size() < sig_len) return need(sig_len);
    return sig == v1_signature ? parse_v1(data) : parse_v2(data, v2_max_length);
}

result<std::size_t, proxy_format_error> format_proxy_header(proxy_version v,
                                                            const socket_address& source,
                                                            const socket_address& destination,
                                                            std::span<std::uint8_t> out) noexcept {
    writer w(out);
    const bool known = is_inet(source) && is_inet(destination);
    const bool v4 = known && is_v4ish(source) && is_v4ish(destination);
    std::uint8_t s_addr[16], d_addr[16];
    std::uint16_t s_port = 0, d_port = 0;
    if (known) {
        address_bytes(source, v4, s_addr, s_port);
        address_bytes(destination, v4, d_addr, d_port);
    }
    if (v == proxy_version::v1) {
        if (!known) {
            w.text("PROXY UNKNOWN\r\n");
            return w.finish();
        }
        char s_text[INET6_ADDRSTRLEN], d_text[INET6_ADDRSTRLEN];
        inet_ntop(v4 ? AF_INET : AF_INET6, s_addr, s_text, sizeof s_text);
        inet_ntop(v4 ? AF_INET : AF_INET6, d_addr, d_text, sizeof d_text);
        w.text(v4 ? "PROXY TCP4 " : "PROXY TCP6 ");
        w.text(s_text);
        w.byte(' ');
        w.text(d_text);
        w.byte(' ');
        w.decimal(ntohs(s_port));
        w.byte(' ');
        w.decimal(ntohs(d_port));
        w.text("\r\n");
        return w.finish();
    }
    w.bytes(v2_signature, sizeof v2_signature);
    w.byte(0x20 | v2_cmd_proxy);
    if (!known) {
        w.byte(static_cast<std::uint8_t>(v2_af_unspec << 4));
        w.byte(0);
        w.byte(0);
        return w.finish();
    }
    const std::size_t alen = v4 ? 4 : 16;
    w.byte(static_cast<std::uint8_t>((v4 ? v2_af_inet : v2_af_inet6) << 4 | 0x1));  // STREAM
    const auto payload = static_cast<std::uint16_t>(v4 ? v2_inet_length : v2_inet6_length);
    w.byte(static_cast<std::uint8_t>(payload >> 8));
    w.byte(static_cast<std::uint8_t>(payload & 0xff));
    w.bytes(s_addr, alen);
    w.bytes(d_addr, alen);
    w.bytes(&s_port, 2);  // already in network order
    w.bytes(&d_port, 2);
    return w.finish();
}

result<std::size_t, proxy_format_error> format_proxy_v2_local(
    std::span<std::uint8_t> out) noexcept {
    writer w(out);
    w.bytes(v2_signature, sizeof v2_signature);
    w.byte(0x20 | v2_cmd_local);
    w.byte(0);
    w.byte(0);
    w.byte(0);
    return w.finish();
}

}  // namespace edge::engine
