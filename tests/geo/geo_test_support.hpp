#pragma once
// Helpers for the geo tests: a scratch directory, whole-file reads and writes, databases built
// with geo's own writer, and running a program with its output captured.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "geo/mmdb_writer.hpp"
#include "geo/network_csv.hpp"

namespace edge::geo::test {

/// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class scratch_dir {
  public:
    scratch_dir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "edge-geo-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

inline std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_all(const std::string& path, const void* data, std::size_t n) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    if (!out) throw std::runtime_error("cannot write " + path);
}
inline void write_all(const std::string& path, const std::string& s) {
    write_all(path, s.data(), s.size());
}
inline void write_all(const std::string& path, const std::vector<std::uint8_t>& b) {
    write_all(path, b.data(), b.size());
}

/// Writes `tmp` then renames it over `path`: how an operator should replace a database.
inline void replace_atomically(const std::string& path, const std::vector<std::uint8_t>& b) {
    std::string tmp = path + ".new";
    write_all(tmp, b);
    std::filesystem::rename(tmp, path);
}

/// The bytes of an MMDB built from CSV text (throws on CSV or writer errors).
inline std::vector<std::uint8_t> build_mmdb(const std::string& csv) {
    auto parsed = parse_network_csv(csv);
    if (!parsed) throw std::runtime_error(describe(parsed.error().front()));
    mmdb_writer w;
    for (const auto& n : *parsed) {
        if (!w.insert(n.net, n.rec)) throw std::runtime_error("duplicate network");
    }
    auto bytes = w.serialize();
    if (!bytes) throw std::runtime_error("serialize failed");
    return std::move(*bytes);
}

struct run_output {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Runs `argv` (argv[0] a path) with stdout and stderr captured through files in `dir`.
inline run_output run(const std::vector<std::string>& argv, const scratch_dir& dir) {
    std::string out_path = dir.file("stdout.txt"), err_path = dir.file("stderr.txt");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::runtime_error("waitpid failed");
    }
    run_output r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_all(out_path);
    r.err = read_all(err_path);
    return r;
}

/// $name, or "" when unset.
inline std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

}  // namespace edge::geo::test
