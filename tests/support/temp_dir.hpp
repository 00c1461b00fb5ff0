#pragma once
// temp_dir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope end.

#include <filesystem>
#include <string>

namespace edge::test {

class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    /// path() / name, as a string.
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

}  // namespace edge::test
