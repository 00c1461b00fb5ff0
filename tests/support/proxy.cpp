#include "tests/support/proxy.hpp"

#include <fstream>

#include <regex>
#include <stdexcept>

#include "tests/support/sockets.hpp"

namespace edge::test {

namespace {

std::vector<std::string> proxy_argv(const temp_dir& dir, const proxy_options& o) {
    std::vector<std::string> a = {edgeproxy_bin(), "--listen",    "127.0.0.1:0",
                                  "--metrics",     "127.0.0.1:0", "--db",
                                  o.db_path,       "--cores",     std::to_string(o.cores)};
    // A control socket of the test's own: tests run side by side.
    a.insert(a.end(), {"--control", dir.file("control.sock")});
    a.insert(a.end(), o.args.begin(), o.args.end());
    return a;
}

}  // namespace

std::string binary_under_test(const char* variable) {
    std::string b = env_or_empty(variable);
    if (b.empty())
        throw std::runtime_error(std::string(variable) +
                                 " is not set (run the tests through meson)");
    return b;
}

std::string edgeproxy_bin() {
    return binary_under_test("EDGEPROXY_BIN");
}
std::string edgectl_bin() {
    return binary_under_test("EDGECTL_BIN");
}
std::string edge_load_bin() {
    return binary_under_test("EDGE_LOAD_BIN");
}

std::string build_geo_db(const temp_dir& dir, const std::string& csv) {
    {
        std::ofstream f(dir.file("nets.csv"));
        f << csv;
    }
    const std::string db = dir.file("geo.mmdb");
    auto [rc, out] =
        run_command({edgectl_bin(), "geo", "build", "--csv", dir.file("nets.csv"), "--out", db});
    if (rc != 0) throw std::runtime_error("edgectl geo build failed: " + out);
    return db;
}

proxy_process::proxy_process(const temp_dir& dir, const proxy_options& opts)
    : proc_(proxy_argv(dir, opts), spawn_options{opts.env, opts.nofile_limit,
                                                 dir.file("edgeproxy.log"), opts.block_io_uring}) {
    control_path_ = dir.file("control.sock");
    auto out = proc_.wait_for_output(" serving: ", 10000ms);
    if (!out) throw std::runtime_error("edgeproxy did not start:\n" + proc_.output());
    std::smatch m;
    std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)( \\(PROXY protocol\\))?");
    for (auto it = std::sregex_iterator(out->begin(), out->end(), listening);
         it != std::sregex_iterator(); ++it) {
        auto port = static_cast<std::uint16_t>(std::stoi((*it)[1]));
        if ((*it)[2].matched) {
            if (proxy_port_ == 0) proxy_port_ = port;
        } else if (port_ == 0) {
            port_ = port;
        }
    }
    if (std::regex_search(*out, m, std::regex("metrics on http://127\\.0\\.0\\.1:([0-9]+)")))
        metrics_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    if (port_ == 0 && proxy_port_ == 0)
        throw std::runtime_error("no listening port in output:\n" + *out);
}

std::string proxy_process::http_get(const std::string& path, int* status) const {
    return edge::test::http_get(metrics_port_, path, status);
}

std::optional<double> proxy_process::metric(const std::string& series) const {
    return metric_value(http_get("/metrics"), series);
}

}  // namespace edge::test
