#include "tools/edge_load/driver.hpp"

#include <signal.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <latch>
#include <stdexcept>
#include <thread>

#include "tools/edge_load/sys.hpp"

namespace edge::load {

bool progress_enabled(const options& o) noexcept {
    return o.progress == 1 || (o.progress == -1 && stderr_is_tty());
}

void run_workers(const options& o, control& c,
                 const std::function<std::unique_ptr<worker>(unsigned)>& make,
                 std::vector<std::unique_ptr<worker>>& workers, const driver_hooks& hooks) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    // Blocked before the threads start, so they inherit the mask and only main takes signals.
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    const unsigned n = o.threads;
    workers.clear();
    workers.resize(n);
    std::vector<std::string> errors(n);
    std::latch built(n);
    std::latch go(1);
    std::atomic<unsigned> finished{0};
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            try {
                if (!o.cpus.empty()) pin_current_thread(o.cpus[i % o.cpus.size()]);
                workers[i] = make(i);
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
            built.count_down();
            go.wait();
            if (workers[i] && !c.stop.load()) {
                try {
                    workers[i]->run();
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                    c.stop.store(true);
                }
            }
            finished.fetch_add(1);
        });
    }
    built.wait();
    for (const auto& e : errors) {
        if (!e.empty()) {
            c.stop.store(true);
            go.count_down();
            for (auto& t : threads)
                t.join();
            throw std::runtime_error(e);
        }
    }
    c.start_ns = now_ns();
    if (o.duration_ns) c.deadline_ns = c.start_ns + o.duration_ns;
    go.count_down();

    const bool show = progress_enabled(o) && hooks.progress_line;
    const bool tty = stderr_is_tty();
    std::uint64_t next_progress = c.start_ns + 1'000'000'000ull;
    while (finished.load() < n) {
        timespec ts{0, 100'000'000};
        siginfo_t info{};
        int sig = sigtimedwait(&set, &info, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            if (c.stop.exchange(true)) {  // a second signal: do not wait for the workers
                fmt::print(stderr, "\nedge-load: second signal, exiting now\n");
                std::_Exit(130);
            }
        }
        if (sig == SIGUSR1 && hooks.on_usr1) hooks.on_usr1();
        const std::uint64_t now = now_ns();
        if (hooks.tick) hooks.tick(now);
        if (show && now >= next_progress) {
            next_progress += 1'000'000'000ull;
            std::string line = hooks.progress_line(now);
            if (tty)
                fmt::print(stderr, "\r{}\x1b[K", line);
            else
                fmt::print(stderr, "{}\n", line);
            std::fflush(stderr);
        }
    }
    for (auto& t : threads)
        t.join();
    if (show && tty) fmt::print(stderr, "\r\x1b[K");
    for (const auto& e : errors)
        if (!e.empty()) throw std::runtime_error(e);
}

}  // namespace edge::load
