#pragma once
// The control protocol between a running edgeproxy, `edgectl restart` and a new edgeproxy taking
// over (`--takeover`): messages on a Unix SOCK_SEQPACKET socket (mode 0600), each one datagram of
// NUL-separated text fields, optionally carrying descriptors (SCM_RIGHTS). Datagrams keep a
// message and its descriptors together; text keeps the protocol readable in strace.
//
//   edgectl → running     "restart" [binary] [arg…]      spawn a new binary, answer when done
//                         "status"                         pid, version, state
//   running → edgectl     "spawned" pid, then "ok" pid | "failed" pid reason
//   new → running         "takeover" pid version
//   running → new         "listeners" n (configured bound proxy)×n + n sockets  (batches)
//                         "admin" bound + socket · "control" path + socket
//                         "bindings" count + memfd · "end"    |  "refused" reason
//   new → running         "ready" pid          (the new one accepts: the old stops and drains)
//   running → new         "released" pid
//
// Everything a message carries is checked by its receiver: a field count, numbers that parse.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace edge::control_protocol {

/// Largest message (fields and separators).
inline constexpr std::size_t max_message_bytes = 65536;
/// Most descriptors one message carries (the kernel allows 253).
inline constexpr std::size_t max_fds_per_message = 32;

struct message {
    std::vector<std::string> fields;
    std::vector<unique_fd> fds;  // received ones are close-on-exec

    /// Field i, or "" when absent.
    std::string_view field(std::size_t i) const noexcept {
        return i < fields.size() ? std::string_view(fields[i]) : std::string_view();
    }
};

/// Sends one message without blocking (a full socket is an error, EAGAIN). Any thread.
result<void> send(int sock, std::span<const std::string> fields, std::span<const int> fds = {});
/// Waits up to `timeout_ms` (-1: no limit) for one message. The peer closing is
/// errc::connection_reset; a timeout is errc::timed_out; descriptors beyond what fits are an
/// error (errc::message_size). Any thread.
result<message> receive(int sock, int timeout_ms);

/// Connects to the control socket at `path` (SOCK_SEQPACKET, close-on-exec). Any thread.
result<unique_fd> connect(const std::string& path);

/// Directories where the control socket goes without --control, in order of preference:
/// $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=, its first entry), /run/edgeproxy,
/// $XDG_RUNTIME_DIR/edgeproxy, /tmp/edgeproxy-UID. The proxy takes the first it can write in;
/// edgectl the first holding a socket. Any thread.
std::vector<std::string> default_directories();
inline constexpr const char* socket_name = "control.sock";

}  // namespace edge::control_protocol
