#include "tools/edge_load/cli.hpp"

#include "base/nearest_word.hpp"
#include "tools/edge_load/pattern.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <functional>

namespace edge::load {

namespace {

constexpr unsigned bit(mode m) {
    return 1u << unsigned(m);
}
constexpr unsigned clients = bit(mode::rate) | bit(mode::rr) | bit(mode::bulk) | bit(mode::hold);
constexpr unsigned all_modes = clients | bit(mode::serve);

std::optional<double> parse_number(std::string_view t) {
    if (t.empty()) return std::nullopt;
    double v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v) || v < 0)
        return std::nullopt;
    return v;
}

std::optional<std::uint64_t> parse_uint(std::string_view t) {
    std::uint64_t v = 0;
    if (t.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
    return v;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct flag {
    std::string_view name;
    bool takes_value;
    unsigned modes;
    std::function<void(options&, std::string_view)> apply;
};

template <class T>
T need(std::optional<T> v, std::string_view flag_name, std::string_view value) {
    if (!v) throw usage_error(fmt::format("{}: cannot parse '{}'", flag_name, value));
    return *v;
}

unsigned need_count(std::string_view flag_name, std::string_view value, std::uint64_t max) {
    auto v = parse_uint(value);
    if (!v || *v == 0 || *v > max)
        throw usage_error(fmt::format("{}: expected 1..{}, got '{}'", flag_name, max, value));
    return unsigned(*v);
}

const std::vector<flag>& flags() {
    static const std::vector<flag> table = {
        {"--target", true, clients,
         [](options& o, std::string_view v) {
             o.targets.push_back(need(parse_endpoint(v), "--target", v));
         }},
        {"--listen", true, bit(mode::serve),
         [](options& o, std::string_view v) {
             o.listen.push_back(need(parse_endpoint(v), "--listen", v));
         }},
        {"--source", true, clients,
         [](options& o, std::string_view v) {
             if (v == "none") {
                 o.sources_disabled = true;
                 return;
             }
             o.sources = need(source_set::parse(v), "--source", v);
         }},
        {"--threads", true, all_modes,
         [](options& o, std::string_view v) { o.threads = need_count("--threads", v, 256); }},
        {"--cpus", true, all_modes,
         [](options& o, std::string_view v) { o.cpus = need(parse_cpu_list(v), "--cpus", v); }},
        {"--duration", true, all_modes,
         [](options& o, std::string_view v) {
             o.duration_ns = need(parse_duration_ns(v), "--duration", v);
             if (o.duration_ns == 0) throw usage_error("--duration must be above 0");
         }},
        {"--count", true, clients,
         [](options& o, std::string_view v) {
             o.count = need_count("--count", v, std::uint64_t{1} << 40);
         }},
        {"--timeout", true, clients,
         [](options& o, std::string_view v) {
             o.timeout_ns = need(parse_duration_ns(v), "--timeout", v);
             if (o.timeout_ns == 0) throw usage_error("--timeout must be above 0");
         }},
        {"--rate", true, bit(mode::rate) | bit(mode::rr) | bit(mode::hold),
         [](options& o, std::string_view v) {
             o.rate = need(parse_rate(v), "--rate", v);
             if (o.rate <= 0) throw usage_error("--rate must be above 0");
         }},
        {"--concurrency", true, bit(mode::rate) | bit(mode::hold),
         [](options& o, std::string_view v) {
             o.concurrency = need_count("--concurrency", v, 1u << 20);
         }},
        {"--connections", true, bit(mode::rr) | bit(mode::hold),
         [](options& o, std::string_view v) {
             o.connections = need_count("--connections", v, 4u << 20);
         }},
        {"--streams", true, bit(mode::bulk),
         [](options& o, std::string_view v) { o.streams = need_count("--streams", v, 65536); }},
        {"--send", true, bit(mode::rate) | bit(mode::rr) | bit(mode::hold),
         [](options& o, std::string_view v) {
             o.send_bytes = need(parse_size(v), "--send", v);
             o.send_given = true;
         }},
        {"--send-text", true, bit(mode::rate),
         [](options& o, std::string_view v) {
             o.send_text = std::string(v);
             o.send_bytes = v.size();
             o.send_given = true;
         }},
        {"--recv", true, bit(mode::rate) | bit(mode::rr) | bit(mode::hold),
         [](options& o, std::string_view v) {
             o.recv_given = true;
             if (v == "eof") {
                 o.recv_until_eof = true;
                 return;
             }
             o.recv_bytes = need(parse_size(v), "--recv", v);
         }},
        {"--bytes", true, bit(mode::bulk) | bit(mode::serve),
         [](options& o, std::string_view v) {
             auto n = need(parse_size(v), "--bytes", v);
             o.bytes = n;
             o.source_limit = n;
         }},
        {"--direction", true, bit(mode::bulk),
         [](options& o, std::string_view v) {
             if (v == "up")
                 o.dir = direction::up;
             else if (v == "down")
                 o.dir = direction::down;
             else if (v == "both")
                 o.dir = direction::both;
             else
                 throw usage_error(fmt::format("--direction: expected up|down|both, got '{}'", v));
         }},
        {"--chunk", true, bit(mode::bulk),
         [](options& o, std::string_view v) {
             o.chunk = need(parse_size(v), "--chunk", v);
             if (o.chunk == 0 || o.chunk > pattern_span)
                 throw usage_error("--chunk must be 1 byte .. 4 MiB");
         }},
        {"--hold", true, bit(mode::hold),
         [](options& o, std::string_view v) {
             o.hold_ns = need(parse_duration_ns(v), "--hold", v);
         }},
        {"--mode", true, bit(mode::serve),
         [](options& o, std::string_view v) {
             if (v == "echo")
                 o.smode = serve_mode::echo;
             else if (v == "sink")
                 o.smode = serve_mode::sink;
             else if (v == "source")
                 o.smode = serve_mode::source;
             else if (v == "reply")
                 o.smode = serve_mode::reply;
             else
                 throw usage_error(
                     fmt::format("--mode: expected echo|sink|source|reply, got '{}'", v));
         }},
        {"--request", true, bit(mode::serve),
         [](options& o, std::string_view v) {
             o.request_size = need(parse_size(v), "--request", v);
         }},
        {"--reply", true, bit(mode::serve),
         [](options& o, std::string_view v) { o.reply_size = need(parse_size(v), "--reply", v); }},
        {"--close-after-reply", false, bit(mode::serve),
         [](options& o, std::string_view) { o.close_after_reply = true; }},
        {"--banner", true, bit(mode::serve),
         [](options& o, std::string_view v) { o.banner = std::string(v); }},
        {"--reset", false, bit(mode::serve), [](options& o, std::string_view) { o.reset = true; }},
        {"--backlog", true, bit(mode::serve),
         [](options& o, std::string_view v) { o.backlog = need_count("--backlog", v, 1u << 20); }},
        {"--stats", true, bit(mode::serve),
         [](options& o, std::string_view v) { o.stats_path = std::string(v); }},
        {"--json", true, clients,
         [](options& o, std::string_view v) { o.json_path = std::string(v); }},
        {"--progress", false, all_modes, [](options& o, std::string_view) { o.progress = 1; }},
        {"--no-progress", false, all_modes, [](options& o, std::string_view) { o.progress = 0; }},
        {"--no-verify", false, clients, [](options& o, std::string_view) { o.verify = false; }},
        {"--max-errors", true, clients,
         [](options& o, std::string_view v) {
             if (ends_with(v, "%")) {
                 auto p = need(parse_number(v.substr(0, v.size() - 1)), "--max-errors", v);
                 o.max_error_fraction = p / 100.0;
             } else {
                 o.max_errors = need(parse_uint(v), "--max-errors", v);
             }
         }},
    };
    return table;
}

std::optional<mode> parse_mode(std::string_view s) {
    if (s == "rate") return mode::rate;
    if (s == "rr") return mode::rr;
    if (s == "bulk") return mode::bulk;
    if (s == "hold") return mode::hold;
    if (s == "serve") return mode::serve;
    return std::nullopt;
}

void finish(options& o) {
    const bool client = o.run_mode != mode::serve;
    if (client && o.targets.empty()) throw usage_error("a target ADDR:PORT is required");
    if (!client && o.listen.empty())
        throw usage_error("serve needs at least one --listen ADDR:PORT");
    if (o.run_mode == mode::rr && o.recv_until_eof)
        throw usage_error("rr: --recv eof has no meaning on kept-alive connections");
    if (o.run_mode == mode::hold) {  // hold is idle unless asked otherwise
        if (!o.send_given) o.send_bytes = 0;
        if (!o.recv_given) o.recv_bytes = 0;
    }
    if (o.send_bytes > pattern_span)  // one send straight from the shared pattern block
        throw usage_error("--send must be at most 4 MiB");
    if (!o.recv_given) o.recv_bytes = o.send_bytes;  // the default backend echoes
    if (o.run_mode == mode::rr && (o.send_bytes == 0 || o.recv_bytes == 0))
        throw usage_error("rr: --send and --recv must be above 0");
    if (o.run_mode == mode::hold && o.connections == 0)
        throw usage_error("hold: --connections N is required");
    if (o.run_mode == mode::serve && o.smode == serve_mode::reply && o.reply_size == 0)
        throw usage_error("serve --mode reply needs --reply above 0");
    if (o.close_after_reply && o.smode != serve_mode::reply)
        throw usage_error("--close-after-reply needs --mode reply");
    if (o.send_text && o.send_text->empty()) throw usage_error("--send-text must not be empty");
    if (client && o.duration_ns == 0 && o.count == 0 && o.run_mode != mode::hold &&
        !(o.run_mode == mode::bulk && o.bytes != 0))
        o.duration_ns = 10_s;
    if (o.run_mode == mode::rate && o.concurrency == 0) o.concurrency = 64;
    if (o.run_mode == mode::hold && o.concurrency == 0) o.concurrency = 512;
    if (o.run_mode == mode::rr && o.connections == 0) o.connections = 16;
    if (o.concurrency != 0 && o.concurrency < o.threads) o.concurrency = o.threads;
    if (o.connections != 0 && o.connections < o.threads) o.connections = o.threads;
    if (o.run_mode == mode::bulk && o.streams < o.threads) o.streams = o.threads;
}

}  // namespace

std::optional<std::uint64_t> parse_duration_ns(std::string_view t) {
    struct unit {
        std::string_view suffix;
        double ns;
    };
    static constexpr std::array<unit, 6> units = {
        {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}}};
    double scale = 1e9;
    for (const auto& u : units) {
        if (ends_with(t, u.suffix)) {
            // "ms" also ends with "s": the longer suffixes come first in the table.
            t.remove_suffix(u.suffix.size());
            scale = u.ns;
            break;
        }
    }
    auto v = parse_number(t);
    if (!v) return std::nullopt;
    return std::uint64_t(std::llround(*v * scale));
}

std::optional<std::uint64_t> parse_size(std::string_view t) {
    for (std::string_view suffix : {"iB", "B", "b"}) {
        if (ends_with(t, suffix) && t.size() > suffix.size()) {
            t.remove_suffix(suffix.size());
            break;
        }
    }
    std::uint64_t scale = 1;
    if (!t.empty()) {
        switch (t.back()) {
            case 'k':
            case 'K':
                scale = 1ull << 10;
                break;
            case 'm':
            case 'M':
                scale = 1ull << 20;
                break;
            case 'g':
            case 'G':
                scale = 1ull << 30;
                break;
            case 't':
            case 'T':
                scale = 1ull << 40;
                break;
            default:
                break;
        }
        if (scale != 1) t.remove_suffix(1);
    }
    auto v = parse_number(t);
    if (!v) return std::nullopt;
    return std::uint64_t(std::llround(*v * double(scale)));
}

std::optional<double> parse_rate(std::string_view t) {
    if (ends_with(t, "/s")) t.remove_suffix(2);
    double scale = 1;
    if (!t.empty() && (t.back() == 'k' || t.back() == 'K')) scale = 1e3;
    if (!t.empty() && (t.back() == 'm' || t.back() == 'M')) scale = 1e6;
    if (scale != 1) t.remove_suffix(1);
    auto v = parse_number(t);
    if (!v) return std::nullopt;
    return *v * scale;
}

options parse_args(const std::vector<std::string>& words) {
    if (words.empty()) throw usage_error("a mode is required: rate, rr, bulk, hold or serve");
    options o;
    auto m = parse_mode(words[0]);
    if (!m)
        throw usage_error(
            fmt::format("unknown mode '{}'{}", words[0],
                        did_you_mean(words[0], {"rate", "rr", "bulk", "hold", "serve"})));
    o.run_mode = *m;
    for (std::size_t i = 1; i < words.size(); ++i) {
        std::string_view w = words[i];
        std::string_view value;
        bool inline_value = false;
        if (auto eq = w.find('='); w.starts_with("--") && eq != std::string_view::npos) {
            value = w.substr(eq + 1);
            w = w.substr(0, eq);
            inline_value = true;
        }
        if (!w.starts_with("--")) {  // a bare word is the target (client) or listen (serve)
            auto e = parse_endpoint(w);
            if (!e) throw usage_error(fmt::format("expected ADDR:PORT, got '{}'", w));
            (o.run_mode == mode::serve ? o.listen : o.targets).push_back(*e);
            continue;
        }
        const flag* f = nullptr;
        for (const auto& candidate : flags())
            if (candidate.name == w) f = &candidate;
        if (!f) {
            std::vector<std::string_view> names;
            for (const auto& candidate : flags())
                if (candidate.modes & bit(o.run_mode)) names.push_back(candidate.name);
            throw usage_error(fmt::format("unknown flag '{}'{}", w, did_you_mean(w, names)));
        }
        if (!(f->modes & bit(o.run_mode)))
            throw usage_error(
                fmt::format("{} does not apply to mode {}", w, mode_name(o.run_mode)));
        if (f->takes_value && !inline_value) {
            if (i + 1 >= words.size()) throw usage_error(fmt::format("{} needs a value", w));
            value = words[++i];
        } else if (!f->takes_value && inline_value) {
            throw usage_error(fmt::format("{} takes no value", w));
        }
        f->apply(o, value);
    }
    finish(o);
    return o;
}

options parse_args(int argc, const char* const* argv) {
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i)
        words.emplace_back(argv[i]);
    return parse_args(words);
}

std::string_view mode_name(mode m) noexcept {
    switch (m) {
        case mode::rate:
            return "rate";
        case mode::rr:
            return "rr";
        case mode::bulk:
            return "bulk";
        case mode::hold:
            return "hold";
        case mode::serve:
            return "serve";
    }
    return "?";
}

std::string_view serve_mode_name(serve_mode m) noexcept {
    switch (m) {
        case serve_mode::echo:
            return "echo";
        case serve_mode::sink:
            return "sink";
        case serve_mode::source:
            return "source";
        case serve_mode::reply:
            return "reply";
    }
    return "?";
}

std::string_view direction_name(direction d) noexcept {
    switch (d) {
        case direction::up:
            return "up";
        case direction::down:
            return "down";
        case direction::both:
            return "both";
    }
    return "?";
}

std::string usage_text() {
    return R"(usage: edge-load MODE [flags] [ADDR:PORT...]

modes (see docs/EDGE_LOAD.md):
  rate    new connections: connect, write --send bytes, read --recv bytes (or 'eof'), close
  rr      requests over --connections kept-alive connections (TCP_NODELAY), at --rate or flat out
  bulk    --streams streams moving --bytes each way (--direction up|down|both)
  hold    open --connections idle connections and hold them for --hold, then count survivors
  serve   the backend: --mode echo|sink|source|reply on every --listen ADDR:PORT (port 0 allowed)

common:   --threads N  --cpus LIST  --duration D  --progress|--no-progress
clients:  --target ADDR:PORT (or bare)  --count N  --timeout D (5s)  --json FILE
          --source LIST|none  --max-errors N|P%  --no-verify
rate:     --rate N/s  --concurrency N (64)  --send SIZE (64)  --recv SIZE|eof (= --send)
          --send-text TEXT (write TEXT, e.g. an HTTP request, instead of --send pattern bytes)
rr:       --rate N/s  --connections N (16)  --send SIZE (64)  --recv SIZE (= --send)
bulk:     --streams N (1)  --bytes SIZE (until --duration)  --direction up|down|both  --chunk SIZE
hold:     --connections N  --hold D (10s)  --concurrency N (512)  --rate N/s  --send/--recv SIZE
serve:    --listen ADDR:PORT...  --mode echo|sink|source|reply  --request SIZE  --reply SIZE
          --close-after-reply (reply: the backend closes first, like an HTTP/1.0 server)
          --bytes SIZE (source limit)  --banner TEXT  --reset  --backlog N  --stats FILE

Sizes take k/M/G (binary), durations ns/us/ms/s/m, rates k. Exit status: 0 ok, 1 errors above
--max-errors or wrong bytes, 2 bad command line, 3 set-up failure.
)";
}

}  // namespace edge::load
