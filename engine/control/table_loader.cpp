#include "engine/control/table_loader.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.hpp"

namespace edge::engine {

table_loader::table_loader(std::unique_ptr<routing::table_source> tables,
                           std::unique_ptr<geo::database_watcher> geo,
                           routing::backend_registry& registry)
    : tables_(std::move(tables)),
      geo_(std::move(geo)),
      registry_(registry),
      geo_path_(geo_ ? geo_->path() : std::string()),
      ready_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    thread_ = std::thread([this] { run(); });
}

table_loader::~table_loader() {
    {
        std::lock_guard lock(mu_);
        quit_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void table_loader::request(std::uint64_t acknowledged) {
    if (busy_) return;
    busy_ = true;
    {
        std::lock_guard lock(mu_);
        requested_ = true;
        acknowledged_ = acknowledged;
    }
    cv_.notify_one();
}

std::optional<table_loader::outcome> table_loader::take() {
    std::uint64_t n;
    (void)!::read(ready_.get(), &n, sizeof(n));
    std::lock_guard lock(mu_);
    if (!result_) return std::nullopt;
    busy_ = false;
    return std::exchange(result_, std::nullopt);
}

void table_loader::run() {
    log::set_thread_name("loader");
    for (;;) {
        std::uint64_t acknowledged;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return requested_ || quit_; });
            if (quit_) return;
            requested_ = false;
            acknowledged = acknowledged_;
        }
        // Slots of backends gone from every table a worker may still hold come back first, so
        // that the load below can reuse them.
        if (acknowledged > 0) registry_.collect(acknowledged);
        outcome out;
        out.routing = tables_->reload_if_changed();
        if (geo_) {
            out.geo = geo_->poll();
            if (out.geo.outcome == geo::reload_outcome::reloaded) out.geo_db = geo_->current();
        }
        {
            std::lock_guard lock(mu_);
            result_ = std::move(out);
        }
        std::uint64_t one = 1;
        (void)!::write(ready_.get(), &one, sizeof(one));
    }
}

}  // namespace edge::engine
