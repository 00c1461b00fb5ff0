// The etcd cluster as an edgectl store (--etcd ENDPOINTS): rows are read with their revisions,
// checked by routing/'s validation exactly as for a file, and written in one etcd transaction per
// command whose compares are the revisions read — so a concurrent edit makes the commit fail
// (edit_conflict) and run_edit runs the command again on fresh rows.

#include <fmt/format.h>

#include <fstream>
#include <map>

#include "base/key_base64.hpp"
#include "base/strings.hpp"
#include "routing/health_check_validation.hpp"
#include "routing/option_tables.hpp"
#include "routing/table_validation.hpp"
#include "routing/wg_peer_validation.hpp"
#include "tools/edgectl/routing_store.hpp"
#include "tools/feed/etcd_client.hpp"
#include "tools/feed/feed_layout.hpp"

namespace edge::edgectl {

const std::set<std::string> store_value_flags = {"etcd",   "prefix", "user", "password-file",
                                                 "cacert", "cert",   "key"};

namespace {

using feed::feed_table;
using routing::raw_row;

class etcd_store final : public routing_store {
  public:
    etcd_store(feed::etcd_options opts, std::string prefix, routing::write_options wopts)
        : client_(opts),
          endpoints_(fmt::format("{}", fmt::join(opts.endpoints, ","))),
          prefix_(std::move(prefix)),
          opts_(wopts) {}

    std::string where() const override { return fmt::format("etcd at {}", endpoints_); }
    bool has_country() override { return true; }

    std::optional<raw_row> backend(const std::string& id, bool* removed) override {
        if (removed) *removed = false;
        auto v = read(feed_table::backends, id);
        if (!v) return std::nullopt;
        return std::get<raw_row>(*v);
    }

    void put_backend(const raw_row& row, routing::put_mode mode) override {
        if (std::string why = routing::backend_row_problem(row, opts_); !why.empty())
            throw usage_error(why);
        std::string id = row.id.as_text();
        bool exists = read(feed_table::backends, id).has_value();
        if (mode == routing::put_mode::add && exists)
            throw std::runtime_error(
                fmt::format("backend '{}' already exists", escape_control(id)));
        if (mode == routing::put_mode::update && !exists)
            throw std::runtime_error(fmt::format("no backend '{}'", escape_control(id)));
        raw_row stored = row;
        stored.deleted = routing::db_value::of(std::int64_t{0});
        put(feed_table::backends, id, stored);
    }

    void remove_backend(const std::string& id) override {
        if (!read(feed_table::backends, id))
            throw std::runtime_error(fmt::format("no backend '{}'", escape_control(id)));
        for (feed_table t : {feed_table::backends, feed_table::draining, feed_table::send_proxy,
                             feed_table::health_checks})
            remove(t, id);
    }

    void set_draining(const std::string& id, bool on) override {
        if (on)
            put(feed_table::draining, id, std::string(id));
        else
            remove(feed_table::draining, id);
    }

    void set_send_proxy(const std::string& id, int version) override {
        if (version == 0) return remove(feed_table::send_proxy, id);
        routing::raw_send_proxy row{routing::db_value::of(id),
                                    routing::db_value::of(std::int64_t{version})};
        if (auto v = routing::validate_send_proxy(row); !v) throw usage_error(v.error());
        put(feed_table::send_proxy, id, row);
    }

    void put_wg_peer(const routing::raw_wg_peer& row) override {
        routing::address_resolver resolver(opts_.resolve_host_names);
        auto peer = routing::validate_wg_peer(row, resolver);
        if (!peer) throw usage_error(peer.error());
        std::string key = key_to_base64(peer->public_key);
        // The other peers, as the loader will see them beside this one: an allowed IP claimed
        // twice would reject this row at every POP.
        routing::table_set others = rows_of(feed_table::wg_peers);
        for (const auto& other_row : others.wg_peers) {
            if (other_row.public_key.as_text() == key) continue;
            routing::address_resolver syntax_only(false);
            auto other = routing::validate_wg_peer(other_row, syntax_only);
            if (!other) continue;
            for (const auto& p : peer->allowed_ips)
                for (const auto& q : other->allowed_ips)
                    if (p == q)
                        throw usage_error(fmt::format("allowed IP {} already belongs to peer {}",
                                                      edge::to_string(p),
                                                      other_row.public_key.as_text()));
        }
        routing::raw_wg_peer stored = row;
        stored.public_key = routing::db_value::of(key);
        read(feed_table::wg_peers, key);
        put(feed_table::wg_peers, key, stored);
    }

    void remove_wg_peer(const std::string& key) override {
        if (!read(feed_table::wg_peers, key))
            throw std::runtime_error(fmt::format("no wg peer '{}'", escape_control(key)));
        remove(feed_table::wg_peers, key);
    }

    void put_health_check(const routing::raw_health_check& row) override {
        if (auto v = routing::validate_health_check(row); !v) throw usage_error(v.error());
        std::string id = row.id.as_text();
        read(feed_table::health_checks, id);
        put(feed_table::health_checks, id, row);
    }

    void remove_health_check(const std::string& id) override {
        remove(feed_table::health_checks, id);
    }

    routing::table_set rows() override { return rows_of(std::nullopt); }

    void commit() override {
        if (ops_.empty()) return;
        std::vector<feed::txn_compare> compares;
        for (const auto& [key, c] : compares_)
            compares.push_back(c);
        if (!client_.txn(compares, ops_).succeeded)
            throw edit_conflict("a row changed in etcd while this command ran");
    }

  private:
    // The row at `name` of table `t` (nullopt when the key is absent), remembering the key's
    // revision as a compare of the commit.
    std::optional<feed::feed_row> read(feed_table t, const std::string& name) {
        std::string key = feed::feed_key_text(prefix_, t, name);
        feed::range_request r;
        r.key = key;
        auto got = client_.range(r);
        feed::txn_compare c{feed::txn_compare::target::create, key, 0};
        if (!got.kvs.empty()) c = {feed::txn_compare::target::mod, key, got.kvs[0].mod_revision};
        compares_.try_emplace(key, c);
        if (got.kvs.empty()) return std::nullopt;
        auto row = feed::decode_value({t, name}, got.kvs[0].value);
        if (!row)
            throw std::runtime_error(
                fmt::format("etcd key {} holds no valid row ({}); fix or "
                            "remove it",
                            escape_control(key), row.error()));
        return std::move(*row);
    }

    void put(feed_table t, const std::string& name, const feed::feed_row& row) {
        std::string key = feed::feed_key_text(prefix_, t, name);
        ops_.push_back({false, key, feed::encode_value(row)});
    }

    void remove(feed_table t, const std::string& name) {
        ops_.push_back({true, feed::feed_key_text(prefix_, t, name), {}});
    }

    // Every row under the prefix (or of one table), undecodable values reported and skipped.
    routing::table_set rows_of(std::optional<feed_table> only) {
        std::string prefix = only ? feed::feed_key_text(prefix_, *only, "") : prefix_;
        auto all = client_.range_prefix(prefix);
        routing::table_set t;
        for (const auto& kv : all.kvs) {
            auto key = feed::parse_feed_key(prefix_, kv.key);
            if (!key) continue;
            auto row = feed::decode_value(*key, kv.value);
            if (!row) {
                fmt::print(stderr, "warning: etcd key {}: {}\n", escape_control(kv.key),
                           escape_control(row.error()));
                continue;
            }
            feed::add_row(t, std::move(*row));
        }
        return t;
    }

    feed::etcd_client client_;
    std::string endpoints_;
    std::string prefix_;
    routing::write_options opts_;
    std::map<std::string, feed::txn_compare> compares_;
    std::vector<feed::txn_op> ops_;
};

}  // namespace

feed::etcd_options etcd_options_from(const flag_set& f) {
    feed::etcd_options eo;
    try {
        eo.endpoints = feed::parse_endpoints(f.value("etcd") ? *f.value("etcd") : "");
    } catch (const std::invalid_argument& e) {
        throw usage_error(fmt::format("--etcd: {}", e.what()));
    }
    if (const std::string* u = f.value("user")) {
        const std::string* file = f.value("password-file");
        if (!file) throw usage_error("--user needs --password-file FILE (not on the command line)");
        std::ifstream in(*file);
        if (!in) throw std::runtime_error(fmt::format("cannot read {}", *file));
        std::getline(in, eo.password);
        eo.user = *u;
    }
    if (const std::string* v = f.value("cacert")) eo.ca_file = *v;
    if (const std::string* v = f.value("cert")) eo.cert_file = *v;
    if (const std::string* v = f.value("key")) eo.key_file = *v;
    return eo;
}

std::unique_ptr<routing_store> open_etcd_store(const flag_set& f,
                                               const routing::write_options& opts) {
    feed::etcd_options eo = etcd_options_from(f);
    std::string prefix = f.value("prefix") ? *f.value("prefix") : feed::default_prefix;
    return std::make_unique<etcd_store>(std::move(eo), std::move(prefix), opts);
}

}  // namespace edge::edgectl
