#include "wg/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/key_base64.hpp"
#include "base/socket_address.hpp"
#include "base/strings.hpp"
#include "wg/crypto/secret.hpp"

namespace edge::wg {
namespace {

struct file_text {
    std::string text;
    mode_t mode = 0;
    ~file_text() { crypto::secure_wipe(text.data(), text.size()); }
};

// Reads a whole file; an error message names it.
result<void, config_error> read_file(const std::string& path, file_text& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return unexpected(config_error{path + ": " + std::strerror(errno)});
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return unexpected(config_error{path + ": " + std::strerror(e)});
    }
    out.mode = st.st_mode;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            crypto::secure_wipe(buf, sizeof buf);
            return unexpected(config_error{path + ": " + std::strerror(e)});
        }
        if (n == 0) break;
        out.text.append(buf, std::size_t(n));
    }
    crypto::secure_wipe(buf, sizeof buf);
    ::close(fd);
    return {};
}

std::string mode_text(mode_t m) {
    char b[8];
    std::snprintf(b, sizeof b, "%04o", unsigned(m & 07777));
    return b;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::optional<std::uint32_t> number(std::string_view s, std::uint32_t max) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + std::uint64_t(c - '0');
    }
    if (v > max) return std::nullopt;
    return std::uint32_t(v);
}

class parser {
  public:
    parser(std::string_view name) : name_(name) {}

    result<tunnel_config, config_error> run(std::string_view text) {
        int line_no = 0;
        while (!text.empty()) {
            const std::size_t nl = text.find('\n');
            std::string_view line = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
            ++line_no;
            line_ = line_no;
            if (auto hash = line.find('#'); hash != std::string_view::npos)
                line = line.substr(0, hash);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            line = trim(line);
            if (line.empty()) continue;
            if (auto r = take(line); !r) return unexpected(r.error());
        }
        if (!seen_interface_)
            return unexpected(config_error{std::string(name_) + ": no [Interface] section"});
        if (!has_private_key_)
            return unexpected(config_error{std::string(name_) +
                                           ": [Interface] has no PrivateKey or PrivateKeyFile"});
        for (const auto& peer : cfg_.peers)
            if (peer.peer.public_key == key{})
                return unexpected(config_error{std::string(name_) + ":" +
                                               std::to_string(peer.line) +
                                               ": [Peer] has no PublicKey"});
        return std::move(cfg_);
    }

    int private_key_line = 0;

  private:
    config_error error(const std::string& what) const {
        return {std::string(name_) + ":" + std::to_string(line_) + ": " + what};
    }

    result<void, config_error> take(std::string_view line) {
        if (line.front() == '[') {
            if (iequals(line, "[Interface]")) {
                if (seen_interface_) return unexpected(error("a second [Interface] section"));
                seen_interface_ = true;
                section_ = 1;
            } else if (iequals(line, "[Peer]")) {
                section_ = 2;
                cfg_.peers.push_back({});
                cfg_.peers.back().line = line_;
            } else {
                return unexpected(error("unknown section " + std::string(line)));
            }
            return {};
        }
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) return unexpected(error("expected Key = Value"));
        const std::string_view k = trim(line.substr(0, eq));
        const std::string_view v = trim(line.substr(eq + 1));
        if (section_ == 1) return interface_key(k, v);
        if (section_ == 2) return peer_key(k, v);
        return unexpected(error("a setting outside [Interface] or [Peer]"));
    }

    result<void, config_error> set_key(key& out, std::string_view v, const char* what) {
        auto k = key_from_base64(v);
        if (!k) return unexpected(error(std::string(what) + " is not a 44-character base64 key"));
        out = *k;
        crypto::secure_wipe(std::span(*k));
        return {};
    }

    result<void, config_error> prefixes(std::vector<ip_prefix>& out, std::string_view v,
                                        const char* what) {
        while (!v.empty()) {
            const std::size_t comma = v.find(',');
            const std::string_view item = trim(v.substr(0, comma));
            v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
            if (item.empty()) continue;
            auto p = ip_prefix::parse(item);
            if (!p)
                return unexpected(
                    error(std::string(what) + ": not an IP prefix: " + std::string(item)));
            out.push_back(*p);
        }
        return {};
    }

    result<void, config_error> addresses(std::vector<interface_address>& out, std::string_view v) {
        while (!v.empty()) {
            const std::size_t comma = v.find(',');
            const std::string_view item = trim(v.substr(0, comma));
            v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
            if (item.empty()) continue;
            // The host bits are the address itself; the prefix length says what is on-link.
            auto p = ip_prefix::parse(item);
            const std::size_t slash = item.find('/');
            auto a = parse_ip_literal(item.substr(0, slash), 0);
            if (!p || !a)
                return unexpected(error("Address: not an address/length: " + std::string(item)));
            out.push_back({*a, p->length});
        }
        return {};
    }

    result<void, config_error> interface_key(std::string_view k, std::string_view v) {
        if (iequals(k, "PrivateKey")) {
            if (has_private_key_) return unexpected(error("a second private key"));
            has_private_key_ = true;
            private_key_line = line_;
            return set_key(cfg_.interface.private_key, v, "PrivateKey");
        }
        if (iequals(k, "PrivateKeyFile")) {
            if (has_private_key_) return unexpected(error("a second private key"));
            has_private_key_ = true;
            const std::string path(v);
            file_text f;
            if (auto r = read_file(path, f); !r) return unexpected(error(r.error().message));
            if ((f.mode & 077) != 0)
                return unexpected(error("private key file " + path +
                                        " is readable by group or others (mode " +
                                        mode_text(f.mode) + "); chmod 600 it"));
            // The file holds the key as `wg genkey` wrote it: one line, maybe a newline after.
            std::string_view text(f.text);
            while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
                text.remove_suffix(1);
            return set_key(cfg_.interface.private_key, trim(text), "the key in PrivateKeyFile");
        }
        if (iequals(k, "Address")) return addresses(cfg_.interface.addresses, v);
        if (iequals(k, "ListenPort")) {
            auto n = number(v, 65535);
            if (!n) return unexpected(error("ListenPort is not a port number: " + std::string(v)));
            cfg_.interface.listen_port = std::uint16_t(*n);
            return {};
        }
        if (iequals(k, "MTU")) {
            auto n = number(v, 65535);
            if (!n || *n < 576)
                return unexpected(error("MTU must be 576-65535: " + std::string(v)));
            cfg_.interface.mtu = *n;
            return {};
        }
        for (const char* quick :
             {"DNS", "Table", "FwMark", "SaveConfig", "PreUp", "PostUp", "PreDown", "PostDown"})
            if (iequals(k, quick)) {
                cfg_.ignored.push_back(std::string(name_) + ":" + std::to_string(line_) + ": " +
                                       std::string(k));
                return {};
            }
        return unexpected(error("unknown [Interface] key " + std::string(k)));
    }

    result<void, config_error> peer_key(std::string_view k, std::string_view v) {
        peer_entry& p = cfg_.peers.back();
        if (iequals(k, "PublicKey")) return set_key(p.peer.public_key, v, "PublicKey");
        if (iequals(k, "PresharedKey")) {
            key psk{};
            if (auto r = set_key(psk, v, "PresharedKey"); !r) return r;
            p.peer.preshared_key = psk;
            crypto::secure_wipe(std::span(psk));
            return {};
        }
        if (iequals(k, "AllowedIPs")) return prefixes(p.peer.allowed_ips, v, "AllowedIPs");
        if (iequals(k, "Endpoint")) {
            if (auto a = parse_socket_address(v); a && a->port() != 0 && !a->is_any()) {
                p.peer.endpoint = *a;
                return {};
            }
            const std::size_t colon = v.rfind(':');
            if (colon == std::string_view::npos || colon == 0 || v.front() == '[' ||
                !number(v.substr(colon + 1), 65535))
                return unexpected(error("Endpoint must be host:port: " + std::string(v)));
            p.endpoint_host = std::string(v);
            return {};
        }
        if (iequals(k, "PersistentKeepalive")) {
            if (iequals(v, "off")) return {};
            auto n = number(v, 65535);
            if (!n)
                return unexpected(
                    error("PersistentKeepalive must be off or 0-65535: " + std::string(v)));
            p.peer.persistent_keepalive_s = std::uint16_t(*n);
            return {};
        }
        return unexpected(error("unknown [Peer] key " + std::string(k)));
    }

    std::string_view name_;
    tunnel_config cfg_;
    int line_ = 0;
    int section_ = 0;  // 0 none, 1 interface, 2 peer
    bool seen_interface_ = false;
    bool has_private_key_ = false;
};

}  // namespace

interface_config::~interface_config() {
    crypto::secure_wipe(std::span(private_key));
}

result<tunnel_config, config_error> parse_config(std::string_view text, std::string_view name) {
    return parser(name).run(text);
}

result<tunnel_config, config_error> load_config(const std::string& path) {
    file_text f;
    if (auto r = read_file(path, f); !r) return unexpected(r.error());
    parser p(path);
    auto cfg = p.run(f.text);
    if (!cfg) return cfg;
    if (p.private_key_line > 0 && (f.mode & 077) != 0)
        return unexpected(config_error{path + ":" + std::to_string(p.private_key_line) +
                                       ": PrivateKey in a file readable by group or others (mode " +
                                       mode_text(f.mode) + "); chmod 600 " + path +
                                       " or use PrivateKeyFile"});
    return cfg;
}

}  // namespace edge::wg
