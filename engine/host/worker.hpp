#pragma once
// A worker: worker_core's machinery plus the components that run on it, fixed at compile time.
// Each completion goes to the component whose op family it carries (a switch on a 4-bit field,
// no virtual call per completion); each message to every component that takes its type.
//
// A component C provides (engine/tcp/tcp_proxy.hpp is the model):
//   static constexpr std::uint8_t family;        // 1..15, unique among the worker's components
//   struct setup;                                // what main hands it (moved in)
//   static std::uint32_t timers_needed(const setup&);
//   C(worker_core&, setup&&);                    // no ring work yet (main thread)
//   bool start(std::string& error);              // worker thread: groups, timers, first SQEs
//   const timer_slice& timers() const;           // the slice start() reserved
//   void on_completion(const completion&);       // every CQE of its family
//   void after_batch();                          // after each batch of completions
//   void on_timer(std::uint32_t id);             // one of its timer ids expired
//   bool wants_tick() const;                     // the loop must wake each tick even with no timer
//   void start_drain();  bool drained() const;  void force_close();
//   void on_message(M&) for the message types it takes (optional).
// Adding a component adds its files and a type to the worker's list (engine/proxy_worker.hpp).

#include <optional>
#include <string>
#include <tuple>
#include <variant>

#include "base/log.hpp"
#include "engine/host/worker_core.hpp"
#include "engine/uring/clock.hpp"
#include "engine/uring/op_tag.hpp"

namespace edge::engine {

template <class... Components>
class worker final : public worker_core {
    static_assert(sizeof...(Components) > 0);
    static_assert(
        ((Components::family != core_family && Components::family <= op_tag::max_family) && ...),
        "component families are 1..15");

  public:
    worker(unsigned index, int cpu, const config& cfg, const ring_features& features,
           typename Components::setup... setups)
        : worker_core(index, cpu, cfg, features), setups_(std::move(setups)...) {}

    ~worker() override = default;

    /// The component of type C: the worker thread, or any thread once the worker has stopped.
    template <class C>
    C& component() noexcept {
        return *std::get<std::optional<C>>(components_);
    }

  private:
    void run_thread() noexcept override {
        std::string error;
        if (!start(error)) {
            set_ready(-1, error);
            return;
        }
        set_ready(1);
        loop();
        log::debug("worker stopped");
    }

    bool start(std::string& error) noexcept {
        std::uint32_t timers =
            (Components::timers_needed(std::get<typename Components::setup>(setups_)) + ... + 0);
        if (!setup_core(timers, error)) return false;
        bool ok = true;
        (
            [&] {
                if (!ok) return;
                auto& slot = std::get<std::optional<Components>>(components_);
                slot.emplace(*this, std::move(std::get<typename Components::setup>(setups_)));
                ok = slot->start(error);
            }(),
            ...);
        return ok && finish_setup(error);
    }

    void loop() noexcept {
        completion batch[256];
        while (!done_) {
            bool tick = draining_ || (component<Components>().wants_tick() || ...);
            wait_for_work(tick);
            std::uint64_t busy_start = monotonic_ns();
            for (;;) {
                unsigned n = reap(batch);
                for (unsigned i = 0; i < n; ++i)
                    dispatch(batch[i]);
                if (n < std::size(batch)) break;
            }
            if (take_inbox_pending())
                while (auto m = pop_message())
                    std::visit([this](auto& msg) { handle(msg); }, *m);
            (component<Components>().after_batch(), ...);
            advance_timers([this](std::uint32_t id) { on_timer(id); });
            if (draining_) check_drain();
            end_iteration(busy_start);
        }
    }

    void dispatch(const completion& c) noexcept {
        std::uint8_t f = op_tag::family_of(c.user_data);
        if (f == core_family) {
            on_core_completion(c);
            return;
        }
        bool handled =
            ((f == Components::family ? (component<Components>().on_completion(c), true) : false) ||
             ...);
        if (!handled) {
            metrics().stale_cqes.add();
            log::error("completion of unknown family {} (user_data {:#x})", f, c.user_data);
        }
    }

    void on_timer(std::uint32_t id) noexcept {
        (
            [&] {
                auto& c = component<Components>();
                const timer_slice& s = c.timers();
                if (id - s.base() < s.size()) c.on_timer(id - s.base());
            }(),
            ...);
    }

    void handle(drain_message&) noexcept {
        if (draining_) return;
        draining_ = true;
        drain_deadline_ms_ = now_ms() + static_cast<std::uint64_t>(cfg().drain_timeout.count());
        (component<Components>().start_drain(), ...);
    }

    void handle(stop_message&) noexcept {
        log::info("stopping now");
        done_ = true;
    }

    template <class M>
    void handle(M& m) noexcept {
        (
            [&] {
                if constexpr (requires(Components & c) { c.on_message(m); })
                    component<Components>().on_message(m);
            }(),
            ...);
        if constexpr (requires { m.publication; }) ack_publication(m.publication);
    }

    void check_drain() noexcept {
        if ((component<Components>().drained() && ...)) {
            log::info("drained");
            done_ = true;
            return;
        }
        if (!drain_forced_ && now_ms() >= drain_deadline_ms_) {
            drain_forced_ = true;
            drain_force_deadline_ms_ = now_ms() + 2000;
            (component<Components>().force_close(), ...);
            return;
        }
        if (drain_forced_ && now_ms() >= drain_force_deadline_ms_) {
            log::warn("operations still in the kernel at exit");
            done_ = true;
        }
    }

    std::tuple<typename Components::setup...> setups_;
    std::tuple<std::optional<Components>...> components_;
    bool draining_ = false;
    bool done_ = false;
    bool drain_forced_ = false;
    std::uint64_t drain_deadline_ms_ = 0;
    std::uint64_t drain_force_deadline_ms_ = 0;
};

}  // namespace edge::engine
