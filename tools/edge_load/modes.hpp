#pragma once
// modes: one entry point per edge-load mode; each returns the process exit status. Main thread.

#include "tools/edge_load/cli.hpp"

namespace edge::load {

/// New connections: connect, write, read, close, at a fixed rate or as fast as possible.
int run_rate(const options& o);
/// Requests over kept-alive connections.
int run_rr(const options& o);
/// Streams moving bytes one way or both ways.
int run_bulk(const options& o);
/// Many idle connections held open.
int run_hold(const options& o);
/// The backend: echo, sink, source or reply.
int run_serve(const options& o);

}  // namespace edge::load
