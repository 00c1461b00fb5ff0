#pragma once
// The shared WireGuard known-answer data ($EDGE_SHARED_DIR/data/wg/wg-kat.json, see its README):
// a flat JSON object of "name": "hex" strings (and a "note"), read with nlohmann-json. Tests
// that use it exit 77 (skip) when the file is absent.

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace edge::wg::test {

struct kat_data {
    std::string path;
    std::map<std::string, std::string> fields;

    /// Reads the file; false when it is absent.
    bool load() {
        const char* shared = std::getenv("EDGE_SHARED_DIR");
        path = std::string(shared != nullptr ? shared : "../shared") + "/data/wg/wg-kat.json";
        std::ifstream f(path);
        if (!f) return false;
        std::stringstream ss;
        ss << f.rdbuf();
        // A named value, not a temporary: GCC 12 reports a false maybe-uninitialized in
        // nlohmann's iterator over a temporary.
        const nlohmann::json kat = nlohmann::json::parse(ss.str());
        for (auto it = kat.begin(); it != kat.end(); ++it)
            if (it->is_string()) fields[it.key()] = it->get<std::string>();
        return true;
    }
};

}  // namespace edge::wg::test
