// Path selection: the portable path always exists, unsupported paths are refused without
// changing the active one, names round-trip, and EDGE_CRYPTO_IMPL (read in a child process, as it
// is read once per process) forces a path.

#include "wg/crypto/impl.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/wg/crypto/test_support.hpp"

using namespace edge::wg::crypto;

TEST_CASE("the portable path is always there and names round-trip", "[impl]") {
    CHECK(is_supported(impl::portable));
    for (impl i : all_impls())
        CHECK(parse_impl(impl_name(i)) == i);
    CHECK_FALSE(parse_impl("sse9").has_value());
    const impl before = active_impl();
    for (impl i : all_impls()) {
        if (is_supported(i)) {
            CHECK(select_impl(i));
            CHECK(active_impl() == i);
        } else {
            impl cur = active_impl();
            CHECK_FALSE(select_impl(i));
            CHECK(active_impl() == cur);
        }
    }
    select_impl(before);
}

TEST_CASE("the default is the widest supported path", "[impl]") {
    if (std::getenv("EDGE_CRYPTO_IMPL") != nullptr) return;  // a forced run says nothing here
    impl best = impl::portable;
    for (impl i : all_impls())
        if (is_supported(i)) best = i;
    CHECK(active_impl() == best);
}

TEST_CASE("EDGE_CRYPTO_IMPL forces a path in a fresh process", "[impl]") {
    // Re-run this executable with the variable set and ask it which path it chose.
    char self[4096] = {};
    REQUIRE(readlink("/proc/self/exe", self, sizeof self - 1) > 0);
    for (impl i : all_impls()) {
        if (!is_supported(i)) continue;
        std::string cmd = "EDGE_CRYPTO_IMPL=" + std::string(impl_name(i)) + " '" + self + "'" +
                          " --list-tests '[impl-probe-" + std::string(impl_name(i)) + "]' 2>&1";
        FILE* p = popen(cmd.c_str(), "r");
        REQUIRE(p != nullptr);
        std::string out;
        char buf[512];
        while (std::fgets(buf, sizeof buf, p) != nullptr)
            out += buf;
        pclose(p);  // --list-tests exits with the number of matches, so the status says nothing
        INFO(out);
        CHECK(out.find("1 matching test case") != std::string::npos);
    }
}

// Probes used by the test above: each exists only when its path is the active one.
namespace {
struct probe_registrar {
    probe_registrar() {
        static std::string tag = "[impl-probe-" + std::string(impl_name(active_impl())) + "]";
        static Catch::AutoReg reg(Catch::makeTestInvoker(+[] {}), CATCH_INTERNAL_LINEINFO,
                                  Catch::StringRef(), Catch::NameAndTags{"probe", tag.c_str()});
    }
} const k_probe;
}  // namespace
