#pragma once
// One opened MaxMind DB file (GeoLite2/GeoIP2 Country and City, DB-IP, files from `edgectl geo
// build`), read through libmaxminddb. A database is immutable after open() and shared by
// shared_ptr<const database>: the control thread opens it, workers look addresses up in it
// concurrently (libmaxminddb lookups only read), and it is freed when the last holder lets go, so
// a worker mid-lookup during a reload keeps the old one alive.
//
// Robustness: open() checks the whole search tree and decodes a sample of the data records, so
// a corrupt replacement is refused before any worker sees it; lookups that still meet corrupt
// data return lookup_error (libmaxminddb bounds-checks every read). By default the file is first
// copied into a sealed memfd, so an operator rewriting the file in place (truncate + write) can
// never shrink pages under a mapping in use: that would be SIGBUS in a worker.

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "geo/ip_address.hpp"
#include "geo/types.hpp"

struct MMDB_s;

namespace edge::geo {

enum class db_error_kind : std::uint8_t {
    missing,                // no file at the path (ENOENT, ENOTDIR)
    unreadable,             // open/read/memfd failed; sys_errno says why
    changed_while_reading,  // the file changed under the copy; try again later
    invalid_metadata,       // no MaxMind metadata section, or it is malformed / inconsistent
    unsupported,            // a binary format or record size this reader does not know
    corrupt_tree,           // a search-tree record points outside the file
    corrupt_data,           // a data record does not decode
    out_of_memory,
};

/// Why a database could not be opened. Plain values; describe() makes the log line.
struct db_error {
    db_error_kind kind = db_error_kind::unreadable;
    int sys_errno = 0;       // for missing / unreadable
    int mmdb_status = 0;     // libmaxminddb's MMDB_* status where it gave one
    std::uint32_t node = 0;  // for corrupt_tree / corrupt_data: the search-tree node involved
};

/// One line of text for a db_error ("corrupt search tree: node 12 points outside the file");
/// any thread.
std::string describe(const db_error& e);

/// Why a lookup failed: the database is damaged where this address leads. Not found is not an
/// error (an empty record is returned).
enum class lookup_error : std::uint8_t { corrupt_tree, corrupt_data };

/// One line of text for a lookup_error; any thread.
const char* describe(lookup_error e) noexcept;

/// The identity of a file as stat(2) sees it: a change in any field means "a different file".
struct file_identity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const file_identity&, const file_identity&) = default;
};

/// stat(2) of `path` as a file_identity; the errno on failure. Any thread.
result<file_identity> stat_identity(const std::string& path) noexcept;

struct open_options {
    /// Copy the file into a sealed memfd before mapping it (see the top of this file). Off maps
    /// the file itself: fine for a one-shot tool, unsafe if someone rewrites the file in place.
    bool private_copy = true;
    /// How many distinct data records open() decodes fully as a check (the search tree is always
    /// checked whole). 0 checks none; UINT32_MAX checks every record.
    std::uint32_t verify_records = 4096;
    /// Check every search-tree record at open. Only tests turn this off, to exercise lookups in
    /// a corrupt tree.
    bool verify_tree = true;
};

class database {
  public:
    /// Opens and checks `path`. Control thread (or start-up, or a tool); takes milliseconds to
    /// tens of milliseconds for a country/city database, proportional to its node count.
    static result<std::shared_ptr<const database>, db_error> open(const std::string& path,
                                                                  const open_options& opts = {});

    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database();

    /// What the database says about `a`: country (falling back to registered_country), continent
    /// and the edgectl region field. An address the database does not cover gives an empty
    /// record; so does an IPv6 address in an IPv4-only database. Any thread; no allocation.
    result<record, lookup_error> lookup(const ip_address& a) const noexcept;

    // Accessors below: any thread (the database is immutable).

    /// Unique per opened database in this process (never reused): lookup caches key on it.
    std::uint64_t generation() const noexcept { return generation_; }
    /// The path this database was opened from.
    const std::string& path() const noexcept { return path_; }
    /// The file's identity as it was read (the watcher compares it with the path's).
    const file_identity& identity() const noexcept { return identity_; }
    /// From the metadata: "GeoIP2-City", "GeoLite2-Country", "edgeproxy-geo"...
    std::string database_type() const;
    /// From the metadata: 4 or 6.
    unsigned ip_version() const noexcept;
    /// From the metadata: the number of search-tree nodes.
    std::uint32_t node_count() const noexcept;
    /// From the metadata: seconds since the epoch.
    std::uint64_t build_epoch() const noexcept;

  private:
    database() = default;
    std::unique_ptr<MMDB_s> mmdb_;
    bool mmdb_open_ = false;
    std::uint64_t generation_ = 0;
    std::string path_;
    file_identity identity_;
};

/// The MMDB field names this reader uses, also written by the MMDB writer.
namespace fields {
inline constexpr const char* country[] = {"country", "iso_code", nullptr};
inline constexpr const char* registered_country[] = {"registered_country", "iso_code", nullptr};
inline constexpr const char* continent[] = {"continent", "code", nullptr};
/// Written by `edgectl geo build`. A name of our own rather than "region": a vendor's top-level
/// "region" (a state name, say) must never be mistaken for a routing region.
inline constexpr const char* region[] = {"edge_region", nullptr};
}  // namespace fields

}  // namespace edge::geo
