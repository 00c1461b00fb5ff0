#include "engine/control/binding_transfer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

namespace edge::engine {

namespace {

constexpr char magic[8] = {'e', 'd', 'g', 'e', 'b', 'n', 'd', '1'};

template <class T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <class T>
bool get(std::string_view& in, T& v) {
    if (in.size() < sizeof(v)) return false;
    std::memcpy(&v, in.data(), sizeof(v));
    in.remove_prefix(sizeof(v));
    return true;
}

}  // namespace

result<exported_table, std::string> export_bindings(const routing::binding_table& table,
                                                    const routing::snapshot& snap) {
    std::string out(magic, sizeof(magic));
    put<std::uint32_t>(out, 0);  // the count, filled in below
    std::uint32_t count = 0;
    for (const routing::exported_binding& e : table.export_entries()) {
        std::uint32_t slot = e.where.slot;
        if (slot >= snap.index_by_slot.size() || snap.index_by_slot[slot] < 0) continue;
        const routing::backend& b = snap.backends[std::size_t(snap.index_by_slot[slot])];
        if (b.generation != e.where.generation || b.id.size() > 0xffff) continue;
        put(out, e.client.hi);
        put(out, e.client.lo);
        put(out, e.last_used_ms);
        put(out, static_cast<std::uint16_t>(b.id.size()));
        out += b.id;
        ++count;
    }
    std::memcpy(out.data() + sizeof(magic), &count, sizeof(count));
    auto fd = unique_fd::from_syscall(
        memfd_create("edgeproxy-bindings", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) return unexpected(fmt::format("memfd_create: {}", error_text(fd.error())));
    for (std::size_t done = 0; done < out.size();) {
        ssize_t n = ::write(fd->get(), out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            return unexpected(fmt::format("writing the bindings: {}", std::strerror(errno)));
        done += static_cast<std::size_t>(n);
    }
    // Sealed: the reader may trust that the size it sees is the size it reads.
    (void)fcntl(fd->get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    return exported_table{std::move(*fd), count};
}

std::size_t import_bindings(int fd, routing::binding_table& table, const routing::snapshot& snap) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || st.st_size < off_t(sizeof(magic) + 4)) return 0;
    std::size_t size = static_cast<std::size_t>(st.st_size);
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) return 0;
    std::string_view in(static_cast<const char*>(map), size);
    std::size_t restored = 0;
    if (in.substr(0, sizeof(magic)) == std::string_view(magic, sizeof(magic))) {
        in.remove_prefix(sizeof(magic));
        std::unordered_map<std::string_view, const routing::backend*> by_id;
        for (const routing::backend& b : snap.backends)
            by_id.emplace(b.id, &b);
        std::uint32_t count = 0;
        (void)get(in, count);
        for (std::uint32_t i = 0; i < count; ++i) {
            routing::client_key k;
            std::uint64_t last_used;
            std::uint16_t len;
            if (!get(in, k.hi) || !get(in, k.lo) || !get(in, last_used) || !get(in, len) ||
                in.size() < len)
                break;
            auto it = by_id.find(in.substr(0, len));
            in.remove_prefix(len);
            if (it == by_id.end()) continue;  // that backend is gone in this table
            table.bind(k, routing::binding{it->second->slot, it->second->generation}, last_used);
            ++restored;
        }
    }
    munmap(map, size);
    return restored;
}

}  // namespace edge::engine
