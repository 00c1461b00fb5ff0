// What the syscalls edgeproxy still makes outside the ring cost, one at a time: the bound on
// what moving them into io_uring could save (issue 17; docs/BENCHMARKS.md "What is left, and
// why"). Per proxied connection the worker calls getpeername (the client's address: a
// multishot accept has nowhere to put it), socket and setsockopt(TCP_NODELAY) for the backend,
// and shutdown(SHUT_WR) to pass a half-close on. A null syscall is the entry and exit alone,
// which is all that IORING_OP_SOCKET, IORING_OP_URING_CMD or a direct descriptor would remove:
// the socket's own work stays in the kernel whoever asks for it.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

namespace {

void BM_syscall_null(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(::syscall(SYS_getppid));
}
BENCHMARK(BM_syscall_null);

void BM_syscall_setsockopt_nodelay(benchmark::State& state) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    for (auto _ : state)
        benchmark::DoNotOptimize(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
    ::close(fd);
}
BENCHMARK(BM_syscall_setsockopt_nodelay);

void BM_syscall_getpeername(benchmark::State& state) {
    // A connected pair on loopback, as an accepted client is.
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(lfd, 1) != 0 ||
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        state.SkipWithError("no loopback listener");
        ::close(lfd);
        return;
    }
    int cfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(cfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        state.SkipWithError("no loopback connect");
        ::close(cfd);
        ::close(lfd);
        return;
    }
    int sfd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    sockaddr_storage peer{};
    for (auto _ : state) {
        socklen_t n = sizeof(peer);
        benchmark::DoNotOptimize(::getpeername(sfd, reinterpret_cast<sockaddr*>(&peer), &n));
    }
    ::close(sfd);
    ::close(cfd);
    ::close(lfd);
}
BENCHMARK(BM_syscall_getpeername);

void BM_syscall_socket_close(benchmark::State& state) {
    // The backend socket's creation and (unconnected) release: mostly allocation, not entry.
    for (auto _ : state)
        ::close(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
}
BENCHMARK(BM_syscall_socket_close);

}  // namespace
