#include "geo/database_watcher.hpp"

#include <cerrno>
#include <utility>

namespace edge::geo {

const char* describe(reload_outcome o) noexcept {
    switch (o) {
        case reload_outcome::unchanged:
            return "unchanged";
        case reload_outcome::reloaded:
            return "reloaded";
        case reload_outcome::failed:
            return "failed";
        case reload_outcome::vanished:
            return "vanished";
    }
    return "?";
}

database_watcher::database_watcher(std::string path, open_options opts)
    : path_(std::move(path)), opts_(opts) {}

result<void, db_error> database_watcher::load() {
    auto db = database::open(path_, opts_);
    if (!db) {
        ++failures_;
        if (auto id = stat_identity(path_)) failed_identity_ = *id;
        reported_vanished_ = db.error().kind == db_error_kind::missing;
        return unexpected(db.error());
    }
    current_ = std::move(*db);
    failed_identity_.reset();
    reported_vanished_ = false;
    return {};
}

reload_status database_watcher::poll() {
    auto id = stat_identity(path_);
    if (!id) {
        int err = static_cast<int>(id.error());
        if (reported_vanished_) return {};
        reported_vanished_ = true;
        failed_identity_.reset();
        ++failures_;
        db_error e;
        e.kind =
            (err == ENOENT || err == ENOTDIR) ? db_error_kind::missing : db_error_kind::unreadable;
        e.sys_errno = err;
        return {reload_outcome::vanished, e};
    }
    reported_vanished_ = false;
    if (current_ && current_->identity() == *id) return {};
    if (failed_identity_ && *failed_identity_ == *id) return {};

    auto db = database::open(path_, opts_);
    if (!db) {
        // A file caught mid-write is retried on the next poll rather than remembered as broken.
        if (db.error().kind != db_error_kind::changed_while_reading) failed_identity_ = *id;
        ++failures_;
        return {reload_outcome::failed, db.error()};
    }
    current_ = std::move(*db);
    failed_identity_.reset();
    ++reloads_;
    return {reload_outcome::reloaded, std::nullopt};
}

}  // namespace edge::geo
