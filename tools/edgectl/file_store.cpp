// The routing.db file as an edgectl store: one routing_writer, one write transaction per command.

#include <fmt/format.h>

#include "routing/table_reader.hpp"
#include "tools/edgectl/routing_store.hpp"

namespace edge::edgectl {

namespace {

using routing::write_error;

// Turns a writer's refusal into the exception edgectl reports: a row the operator must change
// (exit 2) or a failure of the file (exit 1).
template <class T>
T checked(result<T, write_error> r) {
    if (!r) {
        if (r.error().what == write_error::kind::invalid) throw usage_error(r.error().detail);
        throw std::runtime_error(r.error().detail);
    }
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

class file_store final : public routing_store {
  public:
    file_store(const std::string& path, const routing::write_options& opts)
        : path_(path), writer_(checked(routing::routing_writer::open(path, false, opts))) {
        checked(writer_.begin());
    }

    std::string where() const override { return fmt::format("routing.db at {}", path_); }
    bool has_country() override { return writer_.shape().has_country; }
    std::optional<routing::raw_row> backend(const std::string& id, bool* removed) override {
        return checked(writer_.find_backend(id, removed));
    }
    void put_backend(const routing::raw_row& row, routing::put_mode mode) override {
        checked(writer_.put_backend(row, mode));
    }
    void remove_backend(const std::string& id) override { checked(writer_.remove_backend(id)); }
    void set_draining(const std::string& id, bool on) override {
        checked(writer_.set_draining(id, on));
    }
    void set_send_proxy(const std::string& id, int version) override {
        checked(writer_.set_send_proxy(id, version));
    }
    void put_wg_peer(const routing::raw_wg_peer& row) override {
        checked(writer_.put_wg_peer(row));
    }
    void remove_wg_peer(const std::string& key) override { checked(writer_.remove_wg_peer(key)); }
    void put_health_check(const routing::raw_health_check& row) override {
        checked(writer_.put_health_check(row));
    }
    void remove_health_check(const std::string& id) override {
        checked(writer_.remove_health_check(id));
    }
    routing::table_set rows() override {
        auto t = routing::read_table_set(writer_.db(), writer_.shape());
        if (!t) throw std::runtime_error(t.error().detail);
        return std::move(*t);
    }
    void commit() override { checked(writer_.commit()); }

  private:
    std::string path_;
    routing::routing_writer writer_;
};

}  // namespace

std::unique_ptr<routing_store> open_file_store(const std::string& path,
                                               const routing::write_options& opts) {
    return std::make_unique<file_store>(path, opts);
}

std::unique_ptr<routing_store> open_store(const flag_set& f, const std::string& db_path,
                                          bool resolve) {
    routing::write_options opts;
    opts.resolve_host_names = resolve;
    if (f.value("etcd")) return open_etcd_store(f, opts);
    return open_file_store(db_path, opts);
}

}  // namespace edge::edgectl
