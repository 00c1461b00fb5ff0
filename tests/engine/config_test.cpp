#include <catch2/catch.hpp>

#include <map>

#include "engine/host/config.hpp"

using namespace edge::engine;

namespace {

struct fake_env {
    std::map<std::string, std::string> vars;
    env_lookup lookup() const {
        return [this](const char* name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
    }
};

parse_outcome parse(std::vector<std::string> args, const fake_env& env, config& out) {
    std::vector<const char*> argv = {"edgeproxy"};
    for (auto& a : args)
        argv.push_back(a.c_str());
    return parse_config(static_cast<int>(argv.size()), argv.data(), env.lookup(), out);
}

/// The message parse() throws for `args`, or "" when it accepts them.
std::string error_of(std::vector<std::string> args, const fake_env& env = {}) {
    config c;
    try {
        parse(std::move(args), env, c);
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("defaults match edgeProxy and the issue") {
    config c;
    REQUIRE(parse({}, fake_env{}, c) == parse_outcome::run);
    REQUIRE(c.listen.size() == 1);
    CHECK(to_string(c.listen[0]) == "0.0.0.0:8080");
    CHECK(c.db_path == "routing.db");
    CHECK(c.connect_timeout == milliseconds(5000));
    CHECK(c.connect_attempts == 3);
    CHECK(c.idle_timeout == milliseconds(600000));
    CHECK(c.drain_timeout == milliseconds(30000));
    REQUIRE(c.metrics.has_value());
    CHECK(to_string(*c.metrics) == "127.0.0.1:9090");
    CHECK(c.cpus == allowed_cpus());
}

TEST_CASE("edgeProxy environment variables are honoured and flags win") {
    fake_env env{{{"EDGEPROXY_LISTEN_ADDR", "127.0.0.1:7000,[::1]:7001"},
                  {"EDGEPROXY_DB_PATH", "/var/lib/edge/routing.db"},
                  {"EDGEPROXY_REGION", "sa"}}};
    config c;
    REQUIRE(parse({}, env, c) == parse_outcome::run);
    REQUIRE(c.listen.size() == 2);
    CHECK(to_string(c.listen[0]) == "127.0.0.1:7000");
    CHECK(to_string(c.listen[1]) == "[::1]:7001");
    CHECK(c.db_path == "/var/lib/edge/routing.db");
    CHECK(c.region == "sa");

    REQUIRE(parse({"--listen", "127.0.0.2:80", "--region=eu", "--db", "x.db"}, env, c) ==
            parse_outcome::run);
    REQUIRE(c.listen.size() == 1);  // flags replace the environment's list
    CHECK(to_string(c.listen[0]) == "127.0.0.2:80");
    CHECK(c.region == "eu");
    CHECK(c.db_path == "x.db");
}

TEST_CASE("repeated --listen adds addresses") {
    config c;
    REQUIRE(parse({"--listen", "127.0.0.1:1", "--listen", "[::]:2", "--listen", "*:3"}, fake_env{},
                  c) == parse_outcome::run);
    REQUIRE(c.listen.size() == 3);
    CHECK(to_string(c.listen[2]) == "0.0.0.0:3");
}

TEST_CASE("durations, CPU lists and switches") {
    CHECK(parse_duration("250ms") == milliseconds(250));
    CHECK(parse_duration("5s") == milliseconds(5000));
    CHECK(parse_duration("7") == milliseconds(7000));
    CHECK(parse_duration("10m") == milliseconds(600000));
    CHECK(parse_duration("1h") == milliseconds(3600000));
    CHECK_FALSE(parse_duration("").has_value());
    CHECK_FALSE(parse_duration("5 s").has_value());
    CHECK_FALSE(parse_duration("-1s").has_value());
    CHECK(parse_cpu_list("0-3,6") == std::vector<int>{0, 1, 2, 3, 6});
    CHECK(parse_cpu_list("2,1,1") == std::vector<int>{1, 2});
    CHECK_FALSE(parse_cpu_list("3-1").has_value());
    CHECK_FALSE(parse_cpu_list("a").has_value());

    config c;
    REQUIRE(parse({"--connect-timeout", "300ms", "--idle-timeout", "2m", "--metrics", "off",
                   "--check", "--cores", "1"},
                  fake_env{}, c) == parse_outcome::run);
    CHECK(c.connect_timeout == milliseconds(300));
    REQUIRE(parse({"--busy-poll", "50us"}, fake_env{}, c) == parse_outcome::run);
    CHECK(c.busy_poll == busy_poll_setting{std::chrono::microseconds(50), false});
    REQUIRE(parse({"--busy-poll", "2ms"}, fake_env{}, c) == parse_outcome::run);
    CHECK(c.busy_poll == busy_poll_setting{std::chrono::microseconds(2000), false});
    CHECK(c.busy_poll_given);
    REQUIRE(parse({"--busy-poll", "auto"}, fake_env{}, c) == parse_outcome::run);
    CHECK(c.busy_poll == busy_poll_setting{busy_poll_setting::auto_ceiling, true});
    REQUIRE(parse({"--busy-poll", "0"}, fake_env{}, c) == parse_outcome::run);
    CHECK(c.busy_poll == busy_poll_setting{});
    CHECK(error_of({"--busy-poll", "soon"}).find("--busy-poll") != std::string::npos);
    REQUIRE(parse({"--connect-timeout", "300ms", "--idle-timeout", "2m", "--metrics", "off",
                   "--check", "--cores", "1"},
                  fake_env{}, c) == parse_outcome::run);
    CHECK(c.idle_timeout == milliseconds(120000));
    CHECK_FALSE(c.metrics.has_value());
    CHECK(c.check);
    CHECK(c.cpus.size() == 1);
    CHECK(parse({"--help"}, fake_env{}, c) == parse_outcome::help);
    CHECK(parse({"--version"}, fake_env{}, c) == parse_outcome::version);
}

TEST_CASE("bad input is a config_error naming the flag") {
    CHECK_THAT(error_of({"--listen", "localhost:80"}), Catch::Contains("--listen"));
    CHECK_THAT(error_of({"--listen", "127.0.0.1:99999"}), Catch::Contains("--listen"));
    CHECK_THAT(error_of({"--connect-attempts", "0"}), Catch::Contains("--connect-attempts"));
    CHECK_THAT(error_of({"--buffers", "1000"}), Catch::Contains("power of two"));
    CHECK_THAT(error_of({"--cores", "100000"}), Catch::Contains("--cores"));
    CHECK_THAT(error_of({"--cpus", "4000"}), Catch::Contains("--cpus"));
    CHECK_THAT(error_of({"--region", "a region with spaces"}), Catch::Contains("--region"));
    CHECK_THAT(error_of({"--nope"}), Catch::Contains("unknown option"));
    CHECK_THAT(error_of({"--nope"}), !Catch::Contains("did you mean"));
    CHECK_THAT(error_of({"--db"}), Catch::Contains("needs a value"));
    CHECK_THAT(error_of({"--check=yes"}), Catch::Contains("takes no value"));
    CHECK_THAT(error_of({"--log-level", "loud"}), Catch::Contains("--log-level"));
}

TEST_CASE("usage text lists every flag with its environment variable") {
    std::string u = usage_text();
    for (const char* f : {"--listen", "--db", "--region", "--cores", "--cpus", "--metrics",
                          "--connect-timeout", "--connect-attempts", "--idle-timeout",
                          "--drain-timeout", "--check", "--help", "--version"})
        CHECK_THAT(u, Catch::Contains(f));
    CHECK_THAT(u, Catch::Contains("EDGEPROXY_LISTEN_ADDR"));
    CHECK_THAT(u, Catch::Contains("EDGEPROXY_DB_PATH"));
    CHECK_THAT(u, Catch::Contains("EDGEPROXY_REGION"));
}

TEST_CASE("a mistyped flag names the one it is nearest to") {
    CHECK_THAT(error_of({"--listn", "127.0.0.1:80"}),
               Catch::Contains("unknown option '--listn' (did you mean '--listen'?)"));
    CHECK_THAT(error_of({"--metrcis", "off"}), Catch::Contains("(did you mean '--metrics'?)"));
    CHECK_THAT(error_of({"--idle-timout=5s"}), Catch::Contains("(did you mean '--idle-timeout'?)"));
    CHECK_THAT(error_of({"--reload", "1s"}),
               Catch::Contains("(did you mean '--reload-interval'?)"));
    CHECK_THAT(error_of({"--verison"}), Catch::Contains("(did you mean '--version'?)"));
}

TEST_CASE("access log, admin and routing.db start-up flags") {
    config c;
    REQUIRE(parse({}, fake_env{}, c) == parse_outcome::run);
    CHECK(c.access_log.empty());  // off by default
    CHECK_FALSE(c.access_log_json);
    CHECK(c.wait_for_db == milliseconds(0));  // a missing routing.db stops the start
    CHECK(c.admin_token_file.empty());

    config d;
    REQUIRE(parse({"--access-log", "/var/log/edgeproxy/access.log", "--access-log-format", "json",
                   "--access-log-buffer", "1024", "--wait-for-db", "30s", "--admin",
                   "127.0.0.1:9191", "--admin-token-file", "/etc/edgeproxy/token"},
                  fake_env{}, d) == parse_outcome::run);
    CHECK(d.access_log == "/var/log/edgeproxy/access.log");
    CHECK(d.access_log_json);
    CHECK(d.access_log_buffer == 1024);
    CHECK(d.wait_for_db == milliseconds(30000));
    REQUIRE(d.metrics);
    CHECK(to_string(*d.metrics) == "127.0.0.1:9191");
    CHECK(d.admin_token_file == "/etc/edgeproxy/token");

    config e;
    REQUIRE(parse({"--wait-for-db", "forever"}, fake_env{}, e) == parse_outcome::run);
    CHECK_FALSE(e.wait_for_db.has_value());
}

TEST_CASE("an admin endpoint off loopback needs a token or an explicit --admin-insecure") {
    CHECK_THAT(error_of({"--metrics", "0.0.0.0:9090"}), Catch::Contains("--admin-token-file"));
    CHECK_THAT(error_of({"--admin", "[::]:9090"}), Catch::Contains("--admin-insecure"));
    fake_env env;
    env.vars["EDGEPROXY_METRICS_ADDR"] = "10.0.0.1:9090";
    config c;
    CHECK_THROWS_AS(parse({}, env, c), config_error);
    CHECK(error_of({"--metrics", "0.0.0.0:9090", "--admin-token-file", "/t"}).empty());
    CHECK(error_of({"--metrics", "0.0.0.0:9090", "--admin-insecure"}).empty());
    CHECK(error_of({"--metrics", "127.0.0.2:9090"}).empty());
    CHECK(error_of({"--metrics", "[::1]:9090"}).empty());
    CHECK_THAT(error_of({"--access-log-format", "xml"}), Catch::Contains("--access-log-format"));
    CHECK_THAT(error_of({"--wait-for-db", "soon"}), Catch::Contains("--wait-for-db"));
}

TEST_CASE("busy polling is on by default only when every worker's CPU is isolated") {
    using us = std::chrono::microseconds;
    const busy_poll_setting adaptive{busy_poll_setting::auto_ceiling, true};
    // Workers on CPUs 2-3 of a host booted with isolcpus=2-3: nothing else runs there.
    CHECK(default_busy_poll({2, 3}, {2, 3}) == adaptive);
    CHECK(default_busy_poll({2}, {1, 2, 3}) == adaptive);
    // One worker on a shared CPU: spinning there would take another task's time.
    CHECK(default_busy_poll({1, 2}, {2, 3}) == busy_poll_setting{});
    CHECK(default_busy_poll({0, 1}, {}) == busy_poll_setting{});
    CHECK(default_busy_poll({}, {0}) == busy_poll_setting{});

    // Without --busy-poll the kernel's list decides; --busy-poll always wins.
    config c;
    REQUIRE(parse({"--metrics", "off", "--check"}, fake_env{}, c) == parse_outcome::run);
    CHECK_FALSE(c.busy_poll_given);
    CHECK(c.busy_poll == default_busy_poll(c.cpus, isolated_cpus()));
    config d;
    REQUIRE(parse({"--metrics", "off", "--check", "--busy-poll", "0"}, fake_env{}, d) ==
            parse_outcome::run);
    CHECK(d.busy_poll.window == us(0));
}
