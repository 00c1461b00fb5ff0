#pragma once
// Shared pieces of edgectl's routing.db commands: flag parsing, opening the database for
// reading or writing, write transactions and plain-text tables. Tools code: errors are thrown
// (usage_error → exit 2, anything else → exit 1) and caught in run_routing.

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "routing/sqlite_db.hpp"
#include "tools/edgectl/commands.hpp"

namespace edge::edgectl {

/// Bad command-line input: the command prints it with a usage hint and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Parsed arguments: `--name value` / `--name=value` for value flags, `--name` for switches, and
/// everything else positional, in order.
struct flag_set {
    std::map<std::string, std::string> values;
    std::set<std::string> switches;
    std::vector<std::string> positional;

    bool has(const std::string& name) const { return values.count(name) || switches.count(name); }
    const std::string* value(const std::string& name) const;
};

/// Parses `a` from index `from`; throws usage_error for an unknown flag or a missing value.
flag_set parse_flags(const args& a, std::size_t from, const std::set<std::string>& value_flags,
                     const std::set<std::string>& switch_flags);

/// Opens routing.db with a 5 s busy timeout (edgectl waits for the proxy's reads and other
/// writers rather than failing). read_write never creates the file. Throws on failure.
routing::sqlite_db open_routing_db(const std::string& path, routing::sqlite_db::mode m);

/// Runs SQL without results; throws with SQLite's message on failure.
void exec(const routing::sqlite_db& db, const std::string& sql);

/// Prepares one statement; throws with SQLite's message on failure.
routing::sqlite_stmt prepare(const routing::sqlite_db& db, const std::string& sql);

/// Steps a statement that returns no rows; throws on failure.
void step_done(const routing::sqlite_db& db, routing::sqlite_stmt& st);

/// BEGIN IMMEDIATE (takes the write lock up front, so the checks made inside hold until COMMIT);
/// rolled back unless commit() is called.
class write_transaction {
  public:
    explicit write_transaction(const routing::sqlite_db& db);
    ~write_transaction();
    write_transaction(const write_transaction&) = delete;
    write_transaction& operator=(const write_transaction&) = delete;
    void commit();

  private:
    const routing::sqlite_db& db_;
    bool done_ = false;
};

/// Prints rows under a header, columns padded to their widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// edgectl backend add|set|list|drain|enable|disable|remove (backend_commands.cpp).
int run_backend(const args& a);
/// Usage text of the backend subcommands.
const char* backend_usage();

}  // namespace edge::edgectl
