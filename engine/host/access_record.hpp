#pragma once
// One finished client connection, as a worker hands it to the access log: fixed size, plain
// data, filled once per connection with copies (no pointer into the routing snapshot, which may
// be gone by the time the log thread reads it), never formatted on the worker.

#include <cstdint>

#include "base/socket_address.hpp"
#include "engine/host/termination.hpp"
#include "geo/types.hpp"

namespace edge::engine {

/// Backend ids longer than this are cut in the log (and marked with a trailing '~').
inline constexpr std::size_t access_record_id_bytes = 64;

struct access_record {
    std::uint64_t accept_ns = 0;   // CLOCK_MONOTONIC when the client was accepted
    std::uint64_t end_ns = 0;      // CLOCK_MONOTONIC when its last operation finished
    std::uint64_t bytes_up = 0;    // client → backend, as sent to the backend
    std::uint64_t bytes_down = 0;  // backend → client, as sent to the client
    socket_address client;         // the PROXY header's source where one was received
    socket_address backend;        // the last backend dialled; empty when none was
    geo::region_code region;       // the client's region; unknown when not located
    std::uint32_t connect_us = 0;  // time of the successful connect; 0 when none succeeded
    std::uint16_t listener = 0;    // index of the listen address (host/listener_set specs)
    geo::country_code country;     // the client's country; unknown when not located
    std::uint8_t attempts = 0;     // backends dialled
    termination end = termination::normal;
    std::uint8_t id_length = 0;  // bytes of backend_id in use; 0: no backend chosen
    bool id_cut = false;         // the id was longer than access_record_id_bytes
    char backend_id[access_record_id_bytes];
};
static_assert(sizeof(access_record) <= 192, "three cache lines per record");

}  // namespace edge::engine
