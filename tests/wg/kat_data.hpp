#pragma once
// The shared WireGuard known-answer data ($EDGE_SHARED_DIR/data/wg/wg-kat.json, see its README):
// a flat JSON object of "name": "hex" strings, read without a JSON library. Tests that use it
// exit 77 (skip) when the file is absent.

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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
        const std::string text = ss.str();
        // (No std::regex: GCC 12 warns inside <regex> under the sanitizers.)
        std::vector<std::string> strings;
        for (std::size_t at = text.find('"'); at != std::string::npos;
             at = text.find('"', at + 1)) {
            const std::size_t end = text.find('"', at + 1);
            if (end == std::string::npos) break;
            strings.push_back(text.substr(at + 1, end - at - 1));
            at = end;
        }
        for (std::size_t i = 0; i + 1 < strings.size(); i += 2)
            fields[strings[i]] = strings[i + 1];
        return true;
    }
};

}  // namespace edge::wg::test
