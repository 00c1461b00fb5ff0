#include "tests/support/routing_db.hpp"

#include <sqlite3.h>

#include <stdexcept>

#include <fmt/format.h>

namespace edge::test {

void exec_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("sqlite3_open " + path);
    }
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    int rc = sqlite3_exec(db, ("BEGIN;" + sql + ";COMMIT;").c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error("sqlite: " + msg + " in: " + sql);
}

void write_routing_db(const std::string& path, const std::vector<backend_row>& rows,
                      bool with_country) {
    std::string sql = fmt::format(
        "CREATE TABLE IF NOT EXISTS backends (id TEXT PRIMARY KEY, app TEXT, region TEXT, {}wg_ip "
        "TEXT, "
        "port INTEGER, healthy INTEGER, weight INTEGER, soft_limit INTEGER, hard_limit INTEGER, "
        "deleted INTEGER DEFAULT 0);DELETE FROM backends;",
        with_country ? "country TEXT, " : "");
    for (const backend_row& r : rows) {
        std::string country = r.country.empty() ? "NULL" : fmt::format("'{}'", r.country);
        sql += with_country
                   ? fmt::format(
                         "INSERT INTO backends (id, app, region, country, wg_ip, port, healthy, "
                         "weight, "
                         "soft_limit, hard_limit, deleted) VALUES "
                         "('{}','{}','{}',{},'{}',{},{},{},{},{},{});",
                         r.id, r.app, r.region, country, r.wg_ip, r.port, r.healthy, r.weight,
                         r.soft_limit, r.hard_limit, r.deleted)
                   : fmt::format(
                         "INSERT INTO backends (id, app, region, wg_ip, port, healthy, weight, "
                         "soft_limit, hard_limit, deleted) VALUES "
                         "('{}','{}','{}','{}',{},{},{},{},{},{});",
                         r.id, r.app, r.region, r.wg_ip, r.port, r.healthy, r.weight, r.soft_limit,
                         r.hard_limit, r.deleted);
    }
    exec_sql(path, sql);
}

}  // namespace edge::test
