// Why a routing.db cannot be read (see open_diagnosis.hpp).

#include "routing/open_diagnosis.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace edge::routing {

namespace {

std::string who() {
    return fmt::format("uid {} gid {}", ::geteuid(), ::getegid());
}

std::string owner(const struct stat& st) {
    return fmt::format("mode {:04o}, owner uid {} gid {}", st.st_mode & 07777, st.st_uid,
                       st.st_gid);
}

std::string parent_of(const std::string& path) {
    std::filesystem::path p(path);
    std::filesystem::path parent = p.parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

/// The first directory on the way to `path` that is missing or that this process may not
/// search, described; nullopt when every one is there and searchable.
std::optional<std::string> blocked_directory(const std::string& path) {
    std::filesystem::path p = std::filesystem::absolute(std::filesystem::path(path));
    std::filesystem::path walk;
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (std::next(it) == p.end()) break;  // the file itself
        walk /= *it;
        struct stat st {};
        if (::stat(walk.c_str(), &st) != 0) {
            if (errno == ENOENT) return fmt::format("directory {} does not exist", walk.string());
            return fmt::format("directory {}: {}", walk.string(), std::strerror(errno));
        }
        if (!S_ISDIR(st.st_mode)) return fmt::format("{} is not a directory", walk.string());
        if (::access(walk.c_str(), X_OK) != 0)
            return fmt::format("permission denied: directory {} ({}) cannot be searched by {}",
                               walk.string(), owner(st), who());
    }
    return std::nullopt;
}

/// True when the file's header says WAL (file format read and write versions 2).
bool is_wal(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    unsigned char h[20] = {};
    bool wal = ::pread(fd, h, sizeof(h), 0) == sizeof(h) && h[18] == 2 && h[19] == 2;
    ::close(fd);
    return wal;
}

}  // namespace

std::optional<std::string> explain_unreadable(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int e = errno;
        if (auto d = blocked_directory(path)) return d;
        if (e == ENOENT)
            return fmt::format("no such file (its directory {} exists)", parent_of(path));
        return std::string(std::strerror(e));
    }
    if (S_ISDIR(st.st_mode)) return std::string("is a directory, not a database file");
    if (::access(path.c_str(), R_OK) != 0)
        return fmt::format("permission denied: the file ({}) cannot be read by {}", owner(st),
                           who());
    return std::nullopt;
}

std::optional<std::string> explain_cantopen(const std::string& path) {
    if (auto why = explain_unreadable(path)) return why;
    if (is_wal(path)) {
        // A reader of a WAL database needs its -shm file, and creates it (in the database's
        // directory) when it is not there.
        std::string shm = path + "-shm";
        std::string dir = parent_of(path);
        struct stat shm_st {};
        bool shm_exists = ::stat(shm.c_str(), &shm_st) == 0;
        if (!shm_exists && ::access(dir.c_str(), W_OK) != 0)
            return fmt::format(
                "the database is in WAL mode and SQLite must create {} beside it, but the "
                "directory {} is not writable by {} (let it write there, or switch the file to "
                "journal_mode=DELETE)",
                shm, dir, who());
        if (shm_exists && ::access(shm.c_str(), R_OK | W_OK) != 0)
            return fmt::format(
                "the database is in WAL mode and its {} ({}) is not readable and writable by {}",
                shm, owner(shm_st), who());
    }
    return std::nullopt;
}

}  // namespace edge::routing
