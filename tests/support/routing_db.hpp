#pragma once
// Writes routing.db files for tests with SQLite directly, in edgeProxy's schema.

#include <string>
#include <vector>

namespace edge::test {

struct backend_row {
    std::string id;
    int port = 0;
    std::string region = "eu";
    std::string country;  // "" → NULL
    std::string wg_ip = "127.0.0.1";
    int healthy = 1;
    int weight = 1;
    int soft_limit = 100;
    int hard_limit = 0;
    int deleted = 0;
    std::string app = "app";
};

/// Creates (or replaces the rows of) the `backends` table at `path`.
void write_routing_db(const std::string& path, const std::vector<backend_row>& rows,
                      bool with_country_column = true);
/// Runs SQL against `path` (one transaction).
void exec_sql(const std::string& path, const std::string& sql);

}  // namespace edge::test
