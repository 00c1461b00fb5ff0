// End to end: the status page (GET / on the admin endpoint) in headless Chromium — it loads,
// draws one table row per backend of the table in force, logs no console error or exception,
// requests nothing that fails, and a screenshot of it is a real image. Skipped (exit 77) where
// Chromium is not installed (tools/install_deps test installs it).

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/proxy.hpp"
#include "tests/support/routing_db.hpp"
#include "tests/support/sockets.hpp"

using namespace edge;
using namespace edge::test;
using json = nlohmann::json;

namespace {

std::string checker() {
    return env_or_empty("EDGE_SOURCE_DIR") + "/tests/e2e/status_page_check.py";
}

/// Width and height from a PNG's IHDR chunk; {0, 0} when the file is not a PNG.
std::pair<unsigned, unsigned> png_size(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    unsigned char h[24] = {};
    f.read(reinterpret_cast<char*>(h), sizeof(h));
    const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!f || std::memcmp(h, sig, 8) != 0) return {0, 0};
    auto be32 = [&](int o) {
        return unsigned(h[o]) << 24 | unsigned(h[o + 1]) << 16 | unsigned(h[o + 2]) << 8 |
               unsigned(h[o + 3]);
    };
    return {be32(16), be32(20)};
}

json load_page(std::uint16_t admin_port, const std::string& shot,
               const std::string& authorization = "") {
    std::vector<std::string> argv = {"python3", checker(),
                                     "http://127.0.0.1:" + std::to_string(admin_port) + "/", shot};
    if (!authorization.empty()) {
        argv.push_back("--authorization");
        argv.push_back(authorization);
    }
    auto [rc, out] = run_command(argv, 90s);
    INFO(out);
    REQUIRE(rc == 0);
    // The JSON is the last line (Chromium may print to stderr before it).
    auto start = out.rfind("\n{");
    return json::parse(start == std::string::npos ? out : out.substr(start + 1));
}

}  // namespace

TEST_CASE("the status page in Chromium: loads, one row per backend, no console errors") {
    temp_dir dir;
    test_backend eu(test_backend::mode::echo, "eu"), us(test_backend::mode::echo, "us");
    write_routing_db(dir.file("routing.db"), {{"eu-1", eu.port(), "eu", "DE", "127.0.0.1", 1, 2},
                                              {"us-1", us.port(), "us", "US"},
                                              {"ap-1", 9, "ap", "JP", "127.0.0.1", 0}});
    exec_sql(dir.file("routing.db"),
             "CREATE TABLE draining (id TEXT PRIMARY KEY); INSERT INTO draining VALUES ('us-1');");
    proxy_process proxy(dir, {dir.file("routing.db"), 1, {"--region", "eu"}});
    for (int i = 0; i < 5; ++i)
        CHECK(first_line_through(proxy.port(), "", "page\n") == "page");

    json page = load_page(proxy.metrics_port(), dir.file("status.png"));
    INFO(page.dump(2));
    CHECK(page["loaded"] == true);
    CHECK(page["title"] == "edgeproxy status");
    CHECK(page["console"].empty());
    CHECK(page["exceptions"].empty());
    CHECK(page["failed_requests"].empty());
    REQUIRE(page["rows"].size() == 3);
    std::vector<std::string> ids;
    for (const json& r : page["rows"])
        ids.push_back(r[0].get<std::string>());
    CHECK(ids == std::vector<std::string>{"eu-1", "us-1", "ap-1"});  // table order
    // Cells: id, app, address, region, country, weight, soft, hard, state, live, total, …
    const json& eu_row = page["rows"][0];
    CHECK(eu_row[3] == "127.0.0.1:" + std::to_string(eu.port()));
    CHECK(eu_row[4] == "eu");
    CHECK(eu_row[6] == "2");
    CHECK(eu_row[9] == "up");
    CHECK(eu_row[11] == "5");
    CHECK(page["rows"][1][9] == "drain");
    CHECK(page["rows"][2][9] == "down");

    CHECK(page["screenshot_bytes"].get<long>() > 10000);
    auto [w, h] = png_size(dir.file("status.png"));
    CHECK(w == 1280);
    CHECK(h >= 900);
}

TEST_CASE("with --admin-token-file the page loads only with the token") {
    temp_dir dir;
    {
        std::ofstream t(dir.file("token"));
        t << "page-token\n";
    }
    test_backend eu(test_backend::mode::echo, "eu");
    write_routing_db(dir.file("routing.db"), {{"eu-1", eu.port()}});
    proxy_process proxy(dir,
                        {dir.file("routing.db"), 1, {"--admin-token-file", dir.file("token")}});
    json ok = load_page(proxy.metrics_port(), dir.file("ok.png"), "Bearer page-token");
    INFO(ok.dump(2));
    CHECK(ok["loaded"] == true);
    CHECK(ok["rows"].size() == 1);
    CHECK(ok["console"].empty());
    json refused = load_page(proxy.metrics_port(), dir.file("refused.png"));
    CHECK(refused["loaded"] == false);
    CHECK(refused["rows"].empty());
}

int main(int argc, char** argv) {
    auto [rc, out] =
        run_command({"sh", "-c", "command -v chromium || command -v chromium-browser"}, 10s);
    if (rc != 0) {
        std::printf("SKIP: Chromium not installed (tools/install_deps test installs it)\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
