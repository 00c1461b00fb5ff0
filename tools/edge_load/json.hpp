#pragma once
// json: a minimal JSON writer for edge-load's result files (objects, numbers, strings, bools).
// Commas and nesting are tracked here so callers just name fields in order.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edge::load {

class json_writer {
  public:
    /// Opens the top-level object.
    json_writer();
    /// Opens a nested object under key.
    json_writer& begin(std::string_view key);
    /// Closes the innermost object.
    json_writer& end();
    json_writer& field(std::string_view key, double v);
    json_writer& field(std::string_view key, std::uint64_t v);
    json_writer& field(std::string_view key, std::int64_t v);
    json_writer& field(std::string_view key, int v) { return field(key, std::int64_t(v)); }
    json_writer& field(std::string_view key, unsigned v) { return field(key, std::uint64_t(v)); }
    json_writer& field(std::string_view key, bool v);
    json_writer& field(std::string_view key, std::string_view v);
    json_writer& field(std::string_view key, const char* v) {
        return field(key, std::string_view(v));
    }
    json_writer& field(std::string_view key, const std::vector<std::string>& v);
    /// Closes every open object and returns the text (with a final newline).
    std::string finish();

  private:
    void key(std::string_view k);
    static std::string quote(std::string_view s);
    std::string out_;
    std::vector<bool> first_;  // per open object: no field written yet
};

/// Writes text to path through a temporary file and rename, so readers never see half a file.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace edge::load
