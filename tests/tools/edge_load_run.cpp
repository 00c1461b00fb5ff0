#include "tests/tools/edge_load_run.hpp"

#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace edge::test {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

double json_number(const std::string& json, const std::string& path) {
    const nlohmann::json doc = nlohmann::json::parse(json);
    const nlohmann::json* at = &doc;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = path.find('.', start);
        const std::string key = path.substr(start, dot - start);
        if (!at->is_object() || !at->contains(key))
            throw std::runtime_error("no " + path + " in " + json);
        at = &(*at)[key];
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (!at->is_number()) throw std::runtime_error(path + " is not a number in " + json);
    return at->get<double>();
}

serve_backend::serve_backend(const temp_dir& dir, const std::string& name,
                             const std::vector<std::string>& args)
    : stats_path_(dir.file(name + ".stats.json")) {
    std::vector<std::string> argv = {edge_load_bin(), "serve",   "--listen",
                                     "127.0.0.1:0",   "--stats", stats_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<child_process>(
        argv, spawn_options{{}, std::nullopt, dir.file(name + ".log")});
    auto out = proc_->wait_for_output("listening 127.0.0.1:");
    if (!out) throw std::runtime_error("edge-load serve did not start: " + proc_->output());
    const std::string marker = "listening 127.0.0.1:";
    port_ = std::uint16_t(std::stoi(out->substr(out->find(marker) + marker.size())));
}

std::string serve_backend::stop() {
    proc_->signal(SIGTERM);
    auto rc = proc_->wait_exit(5000ms);
    if (!rc || *rc != 0)
        throw std::runtime_error("edge-load serve did not exit 0 on SIGTERM: " + proc_->output());
    return slurp(stats_path_);
}

load_result run_load(const temp_dir& dir, std::vector<std::string> args) {
    static int n = 0;
    const std::string json_path = dir.file("run" + std::to_string(++n) + ".json");
    args.insert(args.begin(), edge_load_bin());
    args.push_back("--json");
    args.push_back(json_path);
    auto [code, out] = run_command(args, 60000ms);
    return {code, out, slurp(json_path)};
}

}  // namespace edge::test
