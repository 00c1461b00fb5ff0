// Message parsing and formatting (whitepaper §5.4): the type and the exact length are checked
// before any field is read, and every message formats back to the bytes it was parsed from.
#include <catch2/catch.hpp>

#include <vector>

#include "wg/messages.hpp"

using namespace edge::wg;
using bytes = std::vector<std::uint8_t>;

namespace {

bytes message(std::uint8_t type, std::size_t size) {
    bytes b(size);
    for (std::size_t i = 0; i < size; ++i)
        b[i] = std::uint8_t(i * 7 + 3);
    if (size > 0) b[0] = type;
    for (std::size_t i = 1; i < 4 && i < size; ++i)
        b[i] = 0;
    return b;
}

}  // namespace

TEST_CASE("each type is accepted at exactly its length") {
    CHECK(classify(message(1, 148)).value() == message_type::initiation);
    CHECK(classify(message(2, 92)).value() == message_type::response);
    CHECK(classify(message(3, 64)).value() == message_type::cookie_reply);
    CHECK(classify(message(4, 32)).value() == message_type::data);
    CHECK(classify(message(4, 1452)).value() == message_type::data);
    for (auto [type, size] : {std::pair{1, 147},
                              {1, 149},
                              {2, 91},
                              {2, 93},
                              {3, 63},
                              {3, 65},
                              {4, 31},
                              {4, int(max_data_size + 1)},
                              {1, 0},
                              {1, 3}}) {
        INFO("type " << type << " size " << size);
        auto r = classify(message(std::uint8_t(type), std::size_t(size)));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == error::bad_length);
    }
}

TEST_CASE("unknown types and non-zero reserved bytes are bad_type") {
    for (std::uint8_t t : {0, 5, 255}) {
        auto r = classify(message(t, 148));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == error::bad_type);
    }
    bytes m = message(1, 148);
    m[2] = 1;
    CHECK(classify(m).error() == error::bad_type);
}

TEST_CASE("parse then format gives back the same bytes") {
    bytes i = message(1, initiation_size);
    auto pi = parse_initiation(i);
    REQUIRE(pi.has_value());
    std::array<std::uint8_t, initiation_size> oi{};
    format(*pi, oi);
    CHECK(bytes(oi.begin(), oi.end()) == i);

    bytes r = message(2, response_size);
    auto pr = parse_response(r);
    REQUIRE(pr.has_value());
    CHECK(receiver_index(r) == pr->receiver);
    std::array<std::uint8_t, response_size> orr{};
    format(*pr, orr);
    CHECK(bytes(orr.begin(), orr.end()) == r);

    bytes c = message(3, cookie_reply_size);
    auto pc = parse_cookie_reply(c);
    REQUIRE(pc.has_value());
    CHECK(receiver_index(c) == pc->receiver);
    std::array<std::uint8_t, cookie_reply_size> oc{};
    format(*pc, oc);
    CHECK(bytes(oc.begin(), oc.end()) == c);

    bytes d = message(4, 48);
    auto pd = parse_data_header(d);
    REQUIRE(pd.has_value());
    CHECK(receiver_index(d) == pd->receiver);
    std::array<std::uint8_t, data_header_size> od{};
    format(*pd, od);
    CHECK(bytes(od.begin(), od.end()) == bytes(d.begin(), d.begin() + 16));
}

TEST_CASE("a parser refuses a message of another type") {
    CHECK(parse_response(message(1, 148)).error() == error::bad_type);
    CHECK(parse_response(message(2, 148)).error() == error::bad_length);
    CHECK(parse_initiation(message(4, 148)).error() == error::bad_type);
}
