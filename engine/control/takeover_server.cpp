#include "engine/control/takeover_server.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/control_protocol.hpp"
#include "base/log.hpp"
#include "engine/control/systemd_notify.hpp"
#include "engine/uring/clock.hpp"

namespace edge::engine {

namespace cp = control_protocol;

namespace {

constexpr std::size_t max_sessions = 16;
constexpr std::uint64_t command_deadline_ms = 5000;  // a connected client says what it wants
/// A successor has loaded everything before it connects; what is left (workers, rings) takes
/// milliseconds. Generous, for a loaded machine.
constexpr std::uint64_t ready_deadline_ms = 60000;
/// A restarted binary loads routing.db and the GeoIP file before it connects.
constexpr std::uint64_t restart_deadline_ms = 120000;

void send_fields(int fd, std::initializer_list<std::string> fields) {
    std::vector<std::string> v(fields);
    (void)cp::send(fd, v);
}

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return fmt::format("was killed by {}", strsignal(WTERMSIG(status)));
    return "ended";
}

}  // namespace

takeover_server::takeover_server(control_socket sock, std::vector<std::string> argv,
                                 std::string exe, hooks h)
    : sock_(std::move(sock)), argv_(std::move(argv)), exe_(std::move(exe)), hooks_(std::move(h)) {}

takeover_server::~takeover_server() {
    if (reactor_ == nullptr) return;
    for (auto& [fd, s] : sessions_) {
        reactor_->unwatch(fd);
        if (s.deadline) reactor_->cancel(s.deadline);
    }
    if (child_.pidfd) reactor_->unwatch(child_.pidfd.get());
    if (sock_.fd() >= 0) reactor_->unwatch(sock_.fd());
}

result<void> takeover_server::attach(reactor& r) {
    reactor_ = &r;
    return r.watch(sock_.fd(), EPOLLIN, [this](std::uint32_t) { on_listener(); });
}

void takeover_server::set_deadline(session& s, std::uint64_t ms) noexcept {
    if (s.deadline) reactor_->cancel(s.deadline);
    int fd = s.fd.get();
    s.deadline = reactor_->at(monotonic_coarse_ms() + ms, [this, fd] {
        auto it = sessions_.find(fd);
        if (it == sessions_.end()) return;
        it->second.deadline = 0;  // fired: nothing to cancel
        if (fd == takeover_fd_)
            fail(fmt::format("pid {} did not get ready within {} s", it->second.peer,
                             ready_deadline_ms / 1000));
        else if (fd == restart_fd_)
            fail(fmt::format("pid {} did not take over within {} s", child_.pid,
                             restart_deadline_ms / 1000));
        else
            drop(fd);
    });
}

void takeover_server::on_listener() noexcept {
    for (;;) {
        int c = ::accept4(sock_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) return;  // EAGAIN: all taken (possibly by a successor sharing the socket)
        if (sessions_.size() >= max_sessions) {
            ::close(c);
            continue;
        }
        session& s = sessions_[c];
        s.fd.reset(c);
        set_deadline(s, command_deadline_ms);
        if (!reactor_->watch(c, EPOLLIN, [this, c](std::uint32_t) { on_session(c); })) drop(c);
    }
}

void takeover_server::on_session(int fd) noexcept {
    auto it = sessions_.find(fd);
    if (it == sessions_.end()) return;
    session& s = it->second;
    auto m = cp::receive(fd, 0);
    if (!m) {
        if (m.error() == std::errc::timed_out) return;  // woken without a message
        if (fd == takeover_fd_) {
            fail(fmt::format("pid {} went away before it was ready", s.peer));
        } else {
            if (fd == restart_fd_) restart_fd_ = -1;  // the restart goes on without its caller
            drop(fd);
        }
        return;
    }
    std::string_view cmd = m->field(0);
    if (cmd == "status") {
        send_fields(fd, {"status", std::to_string(::getpid()), EDGE_VERSION,
                         hooks_.can_hand_over() ? "serving" : "draining"});
        drop(fd);
    } else if (cmd == "restart") {
        on_restart(s, m->fields);
    } else if (cmd == "takeover") {
        pid_t pid = 0;
        std::string_view p = m->field(1);
        if (std::from_chars(p.data(), p.data() + p.size(), pid).ec != std::errc() || pid <= 0) {
            send_fields(fd, {"refused", "malformed takeover request"});
            drop(fd);
            return;
        }
        on_takeover(s, pid);
    } else if (cmd == "ready" && fd == takeover_fd_) {
        on_ready(s);
    } else {
        send_fields(fd, {"error", fmt::format("unknown command '{}' (status, restart)", cmd)});
        drop(fd);
    }
}

void takeover_server::on_restart(session& s, const std::vector<std::string>& fields) noexcept {
    int fd = s.fd.get();
    if (takeover_fd_ >= 0 || child_.pid > 0 || released_ || !hooks_.can_hand_over()) {
        ++stats_.refused;
        send_fields(fd, {"failed", "0",
                         released_ || !hooks_.can_hand_over() ? "this instance is draining"
                                                              : "a restart is already running"});
        drop(fd);
        return;
    }
    std::string binary = fields.size() > 1 && !fields[1].empty() ? fields[1] : exe_;
    std::vector<std::string> argv = argv_;
    // ["restart", binary, argv0, flag…]: flags from edgectl replace ours.
    if (fields.size() > 2) argv.assign(fields.begin() + 2, fields.end());
    if (!argv.empty()) argv[0] = binary;
    argv = successor_argv(std::move(argv), sock_.path());
    auto child = spawn_process(binary, argv);
    if (!child) {
        ++stats_.failed;
        log::error("restart: {}; still serving", child.error());
        send_fields(fd, {"failed", "0", child.error()});
        drop(fd);
        return;
    }
    child_ = std::move(*child);
    awaiting_child_ = true;
    s.what = session::kind::restart;
    restart_fd_ = fd;
    log::info("restart: started pid {} ({}); it takes over once it has loaded everything",
              child_.pid, binary);
    if (child_.pidfd)
        (void)reactor_->watch(child_.pidfd.get(), EPOLLIN,
                              [this](std::uint32_t) { on_child_exit(); });
    send_fields(fd, {"spawned", std::to_string(child_.pid)});
    set_deadline(s, restart_deadline_ms);
}

void takeover_server::on_takeover(session& s, pid_t pid) noexcept {
    int fd = s.fd.get();
    bool other_restart = awaiting_child_ && pid != child_.pid;
    if (takeover_fd_ >= 0 || other_restart || released_ || !hooks_.can_hand_over()) {
        ++stats_.refused;
        std::string why = takeover_fd_ >= 0 || other_restart ? "another takeover is running"
                                                             : "this instance is draining";
        log::warn("pid {} asked to take over: refused ({})", pid, why);
        send_fields(fd, {"refused", why});
        drop(fd);
        return;
    }
    s.what = session::kind::takeover;
    s.peer = pid;
    takeover_fd_ = fd;
    systemd_notify_reloading();
    if (!send_inheritance(s)) return;
    set_deadline(s, ready_deadline_ms);
}

bool takeover_server::send_inheritance(session& s) noexcept {
    int fd = s.fd.get();
    auto fail_send = [&](const char* what, std::errc e) {
        fail(fmt::format("sending {} to pid {}: {}", what, s.peer, error_text(e)));
        return false;
    };
    std::vector<listener_set::handover_entry> ls = hooks_.listeners();
    for (std::size_t i = 0; i < ls.size(); i += cp::max_fds_per_message) {
        std::size_t n = std::min(cp::max_fds_per_message, ls.size() - i);
        std::vector<std::string> fields = {"listeners", std::to_string(n)};
        std::vector<int> fds;
        for (std::size_t j = i; j < i + n; ++j) {
            fields.push_back(to_string(ls[j].configured));
            fields.push_back(std::to_string(ls[j].spec));
            fields.push_back(to_string(ls[j].bound));
            fds.push_back(ls[j].fd);
        }
        if (auto ok = cp::send(fd, fields, fds); !ok) return fail_send("listeners", ok.error());
    }
    auto [admin_fd, admin_at] = hooks_.admin();
    if (admin_fd >= 0) {
        const std::string fields[] = {"admin", to_string(admin_at)};
        const int fds[] = {admin_fd};
        if (auto ok = cp::send(fd, fields, fds); !ok)
            return fail_send("the admin socket", ok.error());
    }
    {
        const std::string fields[] = {"control", sock_.path()};
        const int fds[] = {sock_.fd()};
        if (auto ok = cp::send(fd, fields, fds); !ok)
            return fail_send("the control socket", ok.error());
    }
    std::size_t bindings = 0;
    if (auto b = hooks_.bindings()) {
        if (!*b) {
            log::warn("takeover: client bindings not passed on: {}", b->error());
        } else {
            bindings = (*b)->count;
            const std::string fields[] = {"bindings", std::to_string(bindings)};
            const int fds[] = {(*b)->fd.get()};
            if (auto ok = cp::send(fd, fields, fds); !ok)
                return fail_send("the bindings", ok.error());
        }
    }
    const std::string end[] = {"end", std::to_string(::getpid())};
    if (auto ok = cp::send(fd, end); !ok) return fail_send("the end", ok.error());
    log::info("pid {} takes over: sent {} listening sockets and {} client bindings", s.peer,
              ls.size(), bindings);
    return true;
}

void takeover_server::on_ready(session& s) noexcept {
    pid_t successor = s.peer;
    released_ = true;
    hooks_.on_released(successor);
    // The successor serves the control socket now (it holds the same listener): stop accepting
    // on it and leave the path to it.
    reactor_->unwatch(sock_.fd());
    sock_.hand_over();
    sock_.close();
    send_fields(s.fd.get(), {"released", std::to_string(::getpid())});
    ++stats_.handed_over;
    awaiting_child_ = false;
    if (restart_fd_ >= 0) {
        send_fields(restart_fd_, {"ok", std::to_string(successor)});
        drop(restart_fd_);
        restart_fd_ = -1;
    }
    if (child_.pidfd) reactor_->unwatch(child_.pidfd.get());
    drop(s.fd.get());
    takeover_fd_ = -1;
}

void takeover_server::on_child_exit() noexcept {
    int status = 0;
    pid_t pid = child_.pid;
    if (::waitpid(pid, &status, WNOHANG) != pid) return;
    reactor_->unwatch(child_.pidfd.get());
    child_ = spawned_process{};
    if (awaiting_child_)
        fail(fmt::format("pid {} {} before it was ready (its log says why)", pid,
                         describe_exit(status)));
}

void takeover_server::fail(const std::string& why) noexcept {
    ++stats_.failed;
    awaiting_child_ = false;
    log::warn("restart failed: {}; this instance keeps serving", why);
    systemd_notify("READY=1");  // the reload is over, with this process still the service
    if (restart_fd_ >= 0) {
        send_fields(restart_fd_, {"failed", std::to_string(child_.pid > 0 ? child_.pid : 0), why});
        drop(restart_fd_);
        restart_fd_ = -1;
    }
    if (takeover_fd_ >= 0) {
        drop(takeover_fd_);
        takeover_fd_ = -1;
    }
    // A successor we started that is still alive but failed (it hangs): it must not start
    // serving later, beside us.
    if (child_.pid > 0) ::kill(child_.pid, SIGKILL);
    child_.pid = child_.pidfd ? child_.pid : -1;  // reaped through the pidfd when it has one
}

void takeover_server::drop(int fd) noexcept {
    auto it = sessions_.find(fd);
    if (it == sessions_.end()) return;
    reactor_->unwatch(fd);
    if (it->second.deadline) reactor_->cancel(it->second.deadline);
    sessions_.erase(it);
}

}  // namespace edge::engine
