#include "geo/mmdb_writer.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string_view>
#include <tuple>

#include "geo/database.hpp"

// The format is the MaxMind DB 2.0 specification: a binary search tree of fixed-size nodes, a
// 16-byte zero separator, a data section of self-describing typed values, and a metadata map
// after the marker "\xAB\xCD\xEFMaxMind.com".

namespace edge::geo {

namespace {

// ---- data section encoding ---------------------------------------------------------------------

enum type : unsigned {
    t_utf8_string = 2,
    t_uint16 = 5,
    t_uint32 = 6,
    t_map = 7,
    t_uint64 = 9,
    t_array = 11,
};

class encoder {
  public:
    explicit encoder(std::vector<std::uint8_t>& out) : out_(out) {}

    // Control byte: type in the top three bits (0 plus a following byte for types above 7),
    // size in the low five, with 1-3 extra size bytes for sizes of 29 and more.
    void control(unsigned t, std::size_t size) {
        auto first = static_cast<std::uint8_t>((t <= 7 ? t : 0) << 5);
        if (size < 29) {
            out_.push_back(static_cast<std::uint8_t>(first | size));
            if (t > 7) out_.push_back(static_cast<std::uint8_t>(t - 7));
        } else if (size < 29 + 256) {
            out_.push_back(first | 29);
            if (t > 7) out_.push_back(static_cast<std::uint8_t>(t - 7));
            out_.push_back(static_cast<std::uint8_t>(size - 29));
        } else if (size < 285 + 65536) {
            out_.push_back(first | 30);
            if (t > 7) out_.push_back(static_cast<std::uint8_t>(t - 7));
            big_endian(size - 285, 2);
        } else {
            out_.push_back(first | 31);
            if (t > 7) out_.push_back(static_cast<std::uint8_t>(t - 7));
            big_endian(size - 65821, 3);
        }
    }
    void string(std::string_view s) {
        control(t_utf8_string, s.size());
        out_.insert(out_.end(), s.begin(), s.end());
    }
    // Unsigned integers are stored big-endian in as few bytes as the value needs.
    void uint(unsigned t, std::uint64_t v) {
        std::size_t n = 0;
        for (std::uint64_t x = v; x != 0; x >>= 8)
            ++n;
        control(t, n);
        big_endian(v, n);
    }
    void map(std::size_t pairs) { control(t_map, pairs); }
    void array(std::size_t items) { control(t_array, items); }

  private:
    void big_endian(std::uint64_t v, std::size_t n) {
        for (std::size_t i = n; i-- > 0;)
            out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    std::vector<std::uint8_t>& out_;
};

void encode_record(encoder& enc, const record& r) {
    std::size_t pairs =
        (r.continent.known() ? 1 : 0) + (r.country.known() ? 1 : 0) + (r.region.known() ? 1 : 0);
    enc.map(pairs);
    if (r.continent.known()) {
        enc.string(fields::continent[0]);
        enc.map(1);
        enc.string(fields::continent[1]);
        enc.string(r.continent.str());
    }
    if (r.country.known()) {
        enc.string(fields::country[0]);
        enc.map(1);
        enc.string(fields::country[1]);
        enc.string(r.country.str());
    }
    if (r.region.known()) {
        enc.string(fields::region[0]);
        enc.string(r.region.str());
    }
}

// ---- search tree -------------------------------------------------------------------------------

struct tree_record {
    enum kind_t : std::uint8_t { empty, node, data } kind = empty;
    std::uint32_t value = 0;  // node index or data index
};

struct tree_node {
    tree_record child[2];
};

bool bit_at(const ip_address& a, unsigned i) noexcept {
    return (a.bytes[i / 8] >> (7 - i % 8)) & 1;
}

class tree {
  public:
    tree() : nodes_(1) {}

    // Sets the record for network (base, prefix) to `r`, splitting any shorter data leaf on the
    // way so that the rest of that leaf's network keeps its data.
    void set(const ip_address& base, unsigned prefix, tree_record r) {
        if (prefix == 0) {
            nodes_[0].child[0] = nodes_[0].child[1] = r;
            return;
        }
        std::uint32_t cur = 0;
        for (unsigned depth = 0; depth + 1 < prefix; ++depth) {
            bool b = bit_at(base, depth);
            tree_record next = nodes_[cur].child[b];
            if (next.kind != tree_record::node) {
                auto idx = static_cast<std::uint32_t>(nodes_.size());
                nodes_.push_back(tree_node{{next, next}});
                nodes_[cur].child[b] = {tree_record::node, idx};
                cur = idx;
            } else {
                cur = next.value;
            }
        }
        nodes_[cur].child[bit_at(base, prefix - 1)] = r;
    }

    // The record that covers (base, prefix): the node at that depth, or the leaf above it.
    tree_record get(const ip_address& base, unsigned prefix) const {
        tree_record r{tree_record::node, 0};
        for (unsigned depth = 0; depth < prefix && r.kind == tree_record::node; ++depth) {
            r = nodes_[r.value].child[bit_at(base, depth)];
        }
        return r;
    }

    // Reachable nodes in breadth-first order from the root (node 0 stays 0), and each node's
    // number in that order. The IPv4 alias makes the tree a DAG: shared nodes are numbered once.
    std::vector<std::uint32_t> number(std::vector<std::uint32_t>& order) const {
        constexpr auto unset = ~std::uint32_t{0};
        std::vector<std::uint32_t> num(nodes_.size(), unset);
        order.clear();
        order.push_back(0);
        num[0] = 0;
        for (std::size_t i = 0; i < order.size(); ++i) {
            for (const auto& c : nodes_[order[i]].child) {
                if (c.kind == tree_record::node && num[c.value] == unset) {
                    num[c.value] = static_cast<std::uint32_t>(order.size());
                    order.push_back(c.value);
                }
            }
        }
        return num;
    }

    const tree_node& at(std::uint32_t i) const { return nodes_[i]; }

  private:
    std::vector<tree_node> nodes_;
};

void put_record(std::vector<std::uint8_t>& out, std::uint64_t left, std::uint64_t right,
                unsigned record_size) {
    auto be = [&](std::uint64_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i)
            out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    switch (record_size) {
        case 24:
            be(left, 3);
            be(right, 3);
            break;
        case 28:
            // Three low bytes of each record, with their top nibbles shared in the middle byte.
            be(left & 0xffffff, 3);
            out.push_back(
                static_cast<std::uint8_t>(((left >> 24) & 0xf) << 4 | ((right >> 24) & 0xf)));
            be(right & 0xffffff, 3);
            break;
        default:
            be(left, 4);
            be(right, 4);
            break;
    }
}

void encode_metadata(encoder& enc, const writer_options& opts, std::uint32_t node_count,
                     unsigned record_size) {
    std::uint64_t epoch = opts.build_epoch;
    if (epoch == 0) {
        epoch = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
    }
    enc.map(9);
    enc.string("binary_format_major_version");
    enc.uint(t_uint16, 2);
    enc.string("binary_format_minor_version");
    enc.uint(t_uint16, 0);
    enc.string("build_epoch");
    enc.uint(t_uint64, epoch);
    enc.string("database_type");
    enc.string(opts.database_type);
    enc.string("description");
    enc.map(1);
    enc.string("en");
    enc.string(opts.description);
    enc.string("ip_version");
    enc.uint(t_uint16, 6);
    enc.string("languages");
    enc.array(1);
    enc.string("en");
    enc.string("node_count");
    enc.uint(t_uint32, node_count);
    enc.string("record_size");
    enc.uint(t_uint16, record_size);
}

// IPv4 networks live under ::/96 in the tree; geo/ holds them as ::ffff:a.b.c.d.
ip_network tree_form(const ip_network& n) {
    ip_network t = n;
    if (n.is_v4()) t.base.bytes[10] = t.base.bytes[11] = 0;
    return t;
}

}  // namespace

const char* describe(write_error e) noexcept {
    switch (e) {
        case write_error::duplicate_network:
            return "network listed twice";
        case write_error::too_large:
            return "database too large for 32-bit records";
    }
    return "write error";
}

std::size_t mmdb_writer::network_hash::operator()(const ip_network& n) const noexcept {
    std::uint64_t a, b;
    std::memcpy(&a, n.base.bytes.data(), 8);
    std::memcpy(&b, n.base.bytes.data() + 8, 8);
    return static_cast<std::size_t>((a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^
                                    n.prefix);
}

result<void, write_error> mmdb_writer::insert(const ip_network& net, const record& rec) {
    ip_network t = tree_form(net);
    if (!seen_.insert(t).second) return unexpected(write_error::duplicate_network);
    entries_.push_back({t, rec});
    return {};
}

result<std::vector<std::uint8_t>, write_error> mmdb_writer::serialize(
    const writer_options& opts) const {
    // Shorter prefixes first, so a more specific network always lands inside (and splits) the
    // leaf of a covering one, never the other way round.
    std::vector<const entry*> sorted;
    sorted.reserve(entries_.size());
    for (const auto& e : entries_)
        sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const entry* a, const entry* b) { return a->net.prefix < b->net.prefix; });

    // Distinct records, each encoded once in the data section.
    std::vector<std::uint8_t> data;
    encoder data_enc(data);
    std::vector<std::uint32_t> data_offset;
    std::map<std::tuple<std::uint16_t, std::uint16_t, std::uint64_t, std::uint64_t>, std::uint32_t>
        record_index;
    tree t;
    for (const entry* e : sorted) {
        auto key = std::make_tuple(e->rec.country.value, e->rec.continent.value, e->rec.region.w[0],
                                   e->rec.region.w[1]);
        auto [it, fresh] =
            record_index.try_emplace(key, static_cast<std::uint32_t>(data_offset.size()));
        if (fresh) {
            data_offset.push_back(static_cast<std::uint32_t>(data.size()));
            encode_record(data_enc, e->rec);
        }
        t.set(e->net.base, e->net.prefix, {tree_record::data, it->second});
    }

    // Alias ::ffff:0:0/96 to whatever answers ::/96 (the IPv4 subtree).
    ip_address zero{};
    tree_record v4 = t.get(zero, 96);
    if (v4.kind != tree_record::empty) {
        ip_address mapped{};
        mapped.bytes[10] = mapped.bytes[11] = 0xff;
        t.set(mapped, 96, v4);
    }

    std::vector<std::uint32_t> order;
    std::vector<std::uint32_t> number = t.number(order);
    const std::uint64_t node_count = order.size();
    const std::uint64_t max_value = node_count + 16 + data.size();
    if (max_value >= (1ull << 32)) return unexpected(write_error::too_large);
    unsigned record_size = max_value < (1ull << 24) ? 24 : max_value < (1ull << 28) ? 28 : 32;
    if (opts.record_size == 28 || opts.record_size == 32) {
        record_size = std::max(record_size, opts.record_size);
    }

    auto value_of = [&](const tree_record& r) -> std::uint64_t {
        switch (r.kind) {
            case tree_record::node:
                return number[r.value];
            case tree_record::data:
                return node_count + 16 + data_offset[r.value];
            case tree_record::empty:
                break;
        }
        return node_count;
    };

    std::vector<std::uint8_t> out;
    out.reserve(node_count * record_size / 4 + 16 + data.size() + 512);
    for (std::uint32_t idx : order) {
        const tree_node& n = t.at(idx);
        put_record(out, value_of(n.child[0]), value_of(n.child[1]), record_size);
    }
    out.insert(out.end(), 16, 0);
    out.insert(out.end(), data.begin(), data.end());
    static constexpr char marker[] = "\xAB\xCD\xEFMaxMind.com";
    out.insert(out.end(), marker, marker + sizeof marker - 1);
    encoder meta(out);
    encode_metadata(meta, opts, static_cast<std::uint32_t>(node_count), record_size);
    return out;
}

}  // namespace edge::geo
