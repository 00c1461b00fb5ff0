#include "geo/database.hpp"

#include <fcntl.h>
#include <maxminddb.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_set>

#include "base/unique_fd.hpp"
#include "geo/generation.hpp"

namespace edge::geo {

namespace {

file_identity identity_of(const struct stat& st) noexcept {
    return {st.st_dev, st.st_ino, st.st_size,
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

db_error from_mmdb_status(int status) noexcept {
    db_error e;
    e.mmdb_status = status;
    switch (status) {
        case MMDB_FILE_OPEN_ERROR:
        case MMDB_IO_ERROR:
            e.kind = (errno == ENOENT || errno == ENOTDIR) ? db_error_kind::missing
                                                           : db_error_kind::unreadable;
            e.sys_errno = errno;
            break;
        case MMDB_CORRUPT_SEARCH_TREE_ERROR:
            e.kind = db_error_kind::corrupt_tree;
            break;
        case MMDB_INVALID_METADATA_ERROR:
            e.kind = db_error_kind::invalid_metadata;
            break;
        case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
            e.kind = db_error_kind::unsupported;
            break;
        case MMDB_OUT_OF_MEMORY_ERROR:
            e.kind = db_error_kind::out_of_memory;
            break;
        default:
            e.kind = db_error_kind::corrupt_data;
            break;
    }
    return e;
}

db_error sys_error(db_error_kind kind, int err) noexcept {
    db_error e;
    e.kind = (err == ENOENT || err == ENOTDIR) ? db_error_kind::missing : kind;
    e.sys_errno = err;
    return e;
}

// Copies the file at `path` into a sealed memfd and returns it, with the identity of the file
// as read. The seals make the copy immutable: nothing can shrink it under a live mapping.
result<unique_fd, db_error> copy_to_memfd(const std::string& path, file_identity& id) {
    auto src = unique_fd::from_syscall(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!src)
        return unexpected(sys_error(db_error_kind::unreadable, static_cast<int>(src.error())));
    struct stat before {};
    if (::fstat(src->get(), &before) < 0)
        return unexpected(sys_error(db_error_kind::unreadable, errno));
    if (!S_ISREG(before.st_mode)) return unexpected(sys_error(db_error_kind::unreadable, EINVAL));
    auto mem =
        unique_fd::from_syscall(::memfd_create("edge-geoip", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mem)
        return unexpected(sys_error(db_error_kind::unreadable, static_cast<int>(mem.error())));
    off_t copied = 0;
    while (true) {
        ssize_t n = ::sendfile(mem->get(), src->get(), nullptr, 1 << 20);
        if (n < 0) {
            if (errno == EINTR) continue;
            return unexpected(sys_error(db_error_kind::unreadable, errno));
        }
        if (n == 0) break;
        copied += n;
    }
    struct stat after {};
    if (::fstat(src->get(), &after) < 0)
        return unexpected(sys_error(db_error_kind::unreadable, errno));
    if (identity_of(before) != identity_of(after) || copied != after.st_size) {
        return unexpected(db_error{db_error_kind::changed_while_reading, 0, 0, 0});
    }
    if (::fcntl(mem->get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
        0) {
        return unexpected(sys_error(db_error_kind::unreadable, errno));
    }
    // libmaxminddb cannot map an empty file; it is simply not a database.
    if (copied == 0) return unexpected(db_error{db_error_kind::invalid_metadata, 0, 0, 0});
    id = identity_of(after);
    return std::move(*mem);
}

bool read_code(MMDB_entry_s entry, const char* const* path, std::uint16_t& out, int& status) {
    MMDB_entry_data_s data{};
    status = MMDB_aget_value(&entry, &data, path);
    if (status != MMDB_SUCCESS || !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) {
        return false;
    }
    auto c = country_code::parse(std::string_view(data.utf8_string, data.data_size));
    if (!c) return false;
    out = c->value;
    return true;
}

// A missing key or a value of another shape is "not there" (databases differ); a decode error
// is corruption.
bool is_corruption(int status) noexcept {
    return status != MMDB_SUCCESS && status != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR &&
           status != MMDB_INVALID_LOOKUP_PATH_ERROR;
}

result<record, lookup_error> read_record(MMDB_entry_s entry) noexcept {
    record r;
    int status = MMDB_SUCCESS;
    if (!read_code(entry, fields::country, r.country.value, status)) {
        if (is_corruption(status)) return unexpected(lookup_error::corrupt_data);
        read_code(entry, fields::registered_country, r.country.value, status);
        if (is_corruption(status)) return unexpected(lookup_error::corrupt_data);
    }
    read_code(entry, fields::continent, r.continent.value, status);
    if (is_corruption(status)) return unexpected(lookup_error::corrupt_data);
    MMDB_entry_data_s data{};
    status = MMDB_aget_value(&entry, &data, fields::region);
    if (is_corruption(status)) return unexpected(lookup_error::corrupt_data);
    if (status == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
        if (auto reg = region_code::parse(std::string_view(data.utf8_string, data.data_size))) {
            r.region = *reg;
        }
    }
    return r;
}

// Walks every node of the search tree once (linear, so a cyclic corrupt tree cannot loop) and
// checks each record points at a node, at nothing, or inside the data section; then fully decodes
// up to `verify_records` distinct data records.
result<void, db_error> verify(const MMDB_s& mmdb, std::uint32_t verify_records) {
    const std::uint64_t node_count = mmdb.metadata.node_count;
    if (mmdb.metadata.ip_version != 4 && mmdb.metadata.ip_version != 6) {
        return unexpected(db_error{db_error_kind::unsupported, 0, MMDB_INVALID_METADATA_ERROR, 0});
    }
    std::unordered_set<std::uint32_t> seen;
    for (std::uint32_t n = 0; n < node_count; ++n) {
        MMDB_search_node_s node{};
        int status = MMDB_read_node(&mmdb, n, &node);
        if (status != MMDB_SUCCESS) {
            return unexpected(db_error{db_error_kind::corrupt_tree, 0, status, n});
        }
        // libmaxminddb marks records it cannot classify (e.g. pointing back at the root, which
        // no valid tree does) as invalid.
        if (node.left_record_type == MMDB_RECORD_TYPE_INVALID ||
            node.right_record_type == MMDB_RECORD_TYPE_INVALID || node.left_record == 0 ||
            node.right_record == 0) {
            return unexpected(
                db_error{db_error_kind::corrupt_tree, 0, MMDB_CORRUPT_SEARCH_TREE_ERROR, n});
        }
        const std::uint64_t records[2] = {node.left_record, node.right_record};
        const MMDB_entry_s entries[2] = {node.left_record_entry, node.right_record_entry};
        for (int side = 0; side < 2; ++side) {
            std::uint64_t rec = records[side];
            if (rec <= node_count) continue;  // a node or "no data"
            // Data records are node_count + 16 + offset into the data section.
            if (rec < node_count + 16 || rec - node_count - 16 >= mmdb.data_section_size) {
                return unexpected(
                    db_error{db_error_kind::corrupt_tree, 0, MMDB_CORRUPT_SEARCH_TREE_ERROR, n});
            }
            if (seen.size() >= verify_records || !seen.insert(entries[side].offset).second) {
                continue;
            }
            MMDB_entry_s entry = entries[side];
            if (!read_record(entry)) {
                return unexpected(
                    db_error{db_error_kind::corrupt_data, 0, MMDB_INVALID_DATA_ERROR, n});
            }
            MMDB_entry_data_list_s* list = nullptr;
            status = MMDB_get_entry_data_list(&entry, &list);
            MMDB_free_entry_data_list(list);
            if (status != MMDB_SUCCESS) {
                return unexpected(db_error{status == MMDB_OUT_OF_MEMORY_ERROR
                                               ? db_error_kind::out_of_memory
                                               : db_error_kind::corrupt_data,
                                           0, status, n});
            }
        }
    }
    return {};
}

}  // namespace

std::string describe(const db_error& e) {
    std::string s;
    switch (e.kind) {
        case db_error_kind::missing:
            s = "file not found";
            break;
        case db_error_kind::unreadable:
            s = "cannot read file";
            break;
        case db_error_kind::changed_while_reading:
            s = "file changed while being read";
            break;
        case db_error_kind::invalid_metadata:
            s = "not a MaxMind DB (invalid or missing metadata)";
            break;
        case db_error_kind::unsupported:
            s = "unsupported MaxMind DB format";
            break;
        case db_error_kind::corrupt_tree:
            s = "corrupt search tree at node " + std::to_string(e.node);
            break;
        case db_error_kind::corrupt_data:
            s = "corrupt data record (reached from node " + std::to_string(e.node) + ")";
            break;
        case db_error_kind::out_of_memory:
            s = "out of memory";
            break;
    }
    if (e.sys_errno != 0) s += std::string(": ") + std::strerror(e.sys_errno);
    if (e.mmdb_status != 0)
        s += std::string(" (libmaxminddb: ") + MMDB_strerror(e.mmdb_status) + ")";
    return s;
}

const char* describe(lookup_error e) noexcept {
    switch (e) {
        case lookup_error::corrupt_tree:
            return "corrupt search tree on this address's path";
        case lookup_error::corrupt_data:
            return "corrupt data record for this address";
    }
    return "lookup error";
}

result<file_identity> stat_identity(const std::string& path) noexcept {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return errno_error();
    return identity_of(st);
}

result<std::shared_ptr<const database>, db_error> database::open(const std::string& path,
                                                                 const open_options& opts) {
    std::shared_ptr<database> db(new database());
    db->mmdb_ = std::make_unique<MMDB_s>();
    db->path_ = path;
    std::string open_path = path;
    unique_fd mem;
    if (opts.private_copy) {
        auto copy = copy_to_memfd(path, db->identity_);
        if (!copy) return unexpected(copy.error());
        mem = std::move(*copy);
        open_path = "/proc/self/fd/" + std::to_string(mem.get());
    } else {
        auto id = stat_identity(path);
        if (!id)
            return unexpected(sys_error(db_error_kind::unreadable, static_cast<int>(id.error())));
        db->identity_ = *id;
        if (id->size == 0) return unexpected(db_error{db_error_kind::invalid_metadata, 0, 0, 0});
    }
    errno = 0;
    int status = MMDB_open(open_path.c_str(), MMDB_MODE_MMAP, db->mmdb_.get());
    if (status != MMDB_SUCCESS) return unexpected(from_mmdb_status(status));
    db->mmdb_open_ = true;
    // The mapping keeps the memfd's pages alive; its descriptor can go now.
    mem.reset();
    if (opts.verify_tree) {
        if (auto v = verify(*db->mmdb_, opts.verify_records); !v) return unexpected(v.error());
    }
    db->generation_ = next_generation();
    return std::shared_ptr<const database>(std::move(db));
}

database::~database() {
    if (mmdb_open_) MMDB_close(mmdb_.get());
}

result<record, lookup_error> database::lookup(const ip_address& a) const noexcept {
    int status = MMDB_SUCCESS;
    MMDB_lookup_result_s res;
    if (a.is_v4()) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        std::memcpy(&sin.sin_addr, a.bytes.data() + 12, 4);
        res = MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&sin), &status);
    } else {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        std::memcpy(&sin6.sin6_addr, a.bytes.data(), 16);
        res = MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&sin6), &status);
    }
    if (status == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) return record{};
    if (status != MMDB_SUCCESS) return unexpected(lookup_error::corrupt_tree);
    if (!res.found_entry) return record{};
    return read_record(res.entry);
}

std::string database::database_type() const {
    const char* t = mmdb_->metadata.database_type;
    return t ? t : "";
}
unsigned database::ip_version() const noexcept {
    return mmdb_->metadata.ip_version;
}
std::uint32_t database::node_count() const noexcept {
    return mmdb_->metadata.node_count;
}
std::uint64_t database::build_epoch() const noexcept {
    return mmdb_->metadata.build_epoch;
}

}  // namespace edge::geo
