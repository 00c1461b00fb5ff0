#include "tools/edgectl/routing_cli.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace edge::edgectl {

const std::string* flag_set::value(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
}

flag_set parse_flags(const args& a, std::size_t from, const std::set<std::string>& value_flags,
                     const std::set<std::string>& switch_flags) {
    flag_set f;
    for (std::size_t i = from; i < a.size(); ++i) {
        const std::string& arg = a[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
            f.positional.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2), val;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            val = name.substr(eq + 1);
            name.resize(eq);
            inline_value = true;
        }
        if (switch_flags.count(name)) {
            if (inline_value) throw usage_error(fmt::format("--{} takes no value", name));
            f.switches.insert(name);
        } else if (value_flags.count(name)) {
            if (!inline_value) {
                if (i + 1 >= a.size()) throw usage_error(fmt::format("--{} needs a value", name));
                val = a[++i];
            }
            if (f.values.count(name)) throw usage_error(fmt::format("--{} given twice", name));
            f.values[name] = val;
        } else {
            throw usage_error(fmt::format("unknown option --{}", name));
        }
    }
    return f;
}

routing::sqlite_db open_routing_db(const std::string& path, routing::sqlite_db::mode m) {
    auto db = routing::sqlite_db::open(path, m, 5000);
    if (!db) {
        if (db.error().kind == routing::load_failure::missing &&
            m != routing::sqlite_db::mode::create)
            throw std::runtime_error(
                fmt::format("{} does not exist (create it with: edgectl init {})", path, path));
        throw std::runtime_error(db.error().detail);
    }
    return std::move(*db);
}

void exec(const routing::sqlite_db& db, const std::string& sql) {
    if (auto r = db.exec(sql.c_str()); !r) throw std::runtime_error(r.error().detail);
}

routing::sqlite_stmt prepare(const routing::sqlite_db& db, const std::string& sql) {
    auto st = db.prepare(sql);
    if (!st) throw std::runtime_error(st.error().detail);
    return std::move(*st);
}

void step_done(const routing::sqlite_db& db, routing::sqlite_stmt& st) {
    int rc = st.step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(db.error(rc, "write").detail);
}

write_transaction::write_transaction(const routing::sqlite_db& db) : db_(db) {
    exec(db_, "BEGIN IMMEDIATE");
}

write_transaction::~write_transaction() {
    if (!done_) (void)db_.exec("ROLLBACK");
}

void write_transaction::commit() {
    exec(db_, "COMMIT");
    done_ = true;
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c)
        width[c] = header[c].size();
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], r[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            out += cells[c];
            if (c + 1 < cells.size()) out.append(width[c] - cells[c].size() + 2, ' ');
        }
        fmt::print("{}\n", out);
    };
    line(header);
    for (const auto& r : rows)
        line(r);
}

}  // namespace edge::edgectl
