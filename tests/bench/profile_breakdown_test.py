"""bench/compare --profile files each perf sample under an operation and a kind of work; the
tables an operator reads (and the floor line) are only as right as that filing. Real stacks, as
perf script prints them (innermost frame first), from edgeproxy's, HAProxy's and nginx's
profiles on kernel 6.18, each with where it must land."""

import sys
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from compare_lib import profile  # noqa: E402

K = "[kernel.kallsyms]"
EP = "/usr/sbin/edgeproxy"


def stack(*frames):
    return [(f, K if not f.startswith("edge::") else EP) for f in frames]


class filing(unittest.TestCase):
    def test_io_uring_connect_with_the_backends_syn_processed_inline(self):
        s = stack("tcp_v4_rcv", "ip_protocol_deliver_rcu", "__netif_receive_skb_one_core",
                  "process_backlog", "net_rx_action", "handle_softirqs", "__dev_queue_xmit",
                  "tcp_connect", "tcp_v4_connect", "__inet_stream_connect", "io_connect",
                  "__io_issue_sqe", "io_submit_sqes", "__do_sys_io_uring_enter", "do_syscall_64")
        self.assertEqual(profile._operation(s), "connect")
        self.assertEqual(profile._kind(s), "the peer's TCP input, run inline on loopback")

    def test_a_close_run_as_task_work_inside_the_rings_wait_is_a_close(self):
        s = stack("tcp_close", "inet_release", "sock_close", "__fput", "task_work_run",
                  "io_run_task_work", "io_cqring_wait", "__do_sys_io_uring_enter")
        self.assertEqual(profile._operation(s), "close")
        self.assertEqual(profile._kind(s), "own TCP and socket work")

    def test_nginx_writev_is_a_send_and_its_wakeup_of_the_client_is_waking(self):
        s = stack("_raw_spin_unlock_irqrestore", "try_to_wake_up", "sock_def_readable",
                  "tcp_data_queue", "tcp_rcv_established", "tcp_v4_rcv", "net_rx_action",
                  "__dev_queue_xmit", "tcp_sendmsg", "sock_write_iter", "do_iter_readv_writev",
                  "vfs_writev", "do_writev", "do_syscall_64")
        self.assertEqual(profile._operation(s), "send")
        self.assertEqual(profile._kind(s), "waking another task")

    def test_descriptor_lookup_is_the_file_table(self):
        s = stack("fget", "io_file_get_normal", "io_issue_sqe", "io_submit_sqes",
                  "__do_sys_io_uring_enter")
        self.assertEqual(profile._kind(s), "file table (fd lookup, install, release)")

    def test_user_space_and_an_empty_wait(self):
        self.assertEqual(profile._kind(stack("edge::engine::tcp_proxy::forward")), "user space")
        s = stack("schedule", "io_cqring_wait", "__do_sys_io_uring_enter")
        self.assertEqual(profile._operation(s), "event wait")
        self.assertEqual(profile._kind(s), "scheduler (sleep and wake-up of the proxy)")


class tables(unittest.TestCase):
    def test_floor_is_each_proxys_tcp_work_over_haproxys_total(self):
        def rec(tcp, other):
            return {"ok": True, "total_us": tcp + other,
                    "cells": {("send", "own TCP and socket work"): tcp,
                              ("send", "user space"): other}}
        recs = {"edgeproxy": rec(40.0, 5.0), "haproxy": rec(45.0, 15.0)}
        line = profile.floor_line(recs, ["edgeproxy", "haproxy"])
        self.assertIn("edgeproxy 40.0 µs = 0.67× HAProxy's total", line)
        self.assertIn("haproxy 45.0 µs = 0.75× HAProxy's total", line)


if __name__ == "__main__":
    unittest.main()
