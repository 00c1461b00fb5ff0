#pragma once
// result<T, E>: the project's error-or-value type, shaped like C++23 std::expected so that moving
// to it is a rename (g++ 12 has no std::expected in C++20 mode). Errors are enums or errno codes,
// never strings or heap objects; the engine and wg/ use this instead of exceptions.

#include <cassert>
#include <cerrno>
#include <new>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace edge {

template <class E>
class unexpected {
  public:
    constexpr explicit unexpected(E e) : error_(std::move(e)) {}
    constexpr const E& error() const& noexcept { return error_; }
    constexpr E& error() & noexcept { return error_; }

  private:
    E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

/// The errno of the last failed libc call, as an unexpected<std::errc>.
inline unexpected<std::errc> errno_error() noexcept {
    return unexpected(std::errc(errno));
}

template <class T, class E = std::errc>
class [[nodiscard]] result {
  public:
    using value_type = T;
    using error_type = E;

    template <class U = T>
    requires std::is_constructible_v<T, U&&>
    constexpr result(U&& v) : ok_(true) {  // NOLINT(google-explicit-constructor)
        new (&value_) T(std::forward<U>(v));
    }
    template <class G>
    constexpr result(unexpected<G> u) : ok_(false) {  // NOLINT(google-explicit-constructor)
        new (&error_) E(std::move(u.error()));
    }
    result(const result& o) : ok_(o.ok_) {
        if (ok_)
            new (&value_) T(o.value_);
        else
            new (&error_) E(o.error_);
    }
    result(result&& o) noexcept : ok_(o.ok_) {
        if (ok_)
            new (&value_) T(std::move(o.value_));
        else
            new (&error_) E(std::move(o.error_));
    }
    result& operator=(result o) noexcept {
        this->~result();
        new (this) result(std::move(o));
        return *this;
    }
    ~result() {
        if (ok_)
            value_.~T();
        else
            error_.~E();
    }

    constexpr bool has_value() const noexcept { return ok_; }
    constexpr explicit operator bool() const noexcept { return ok_; }

    constexpr T& value() & {
        assert(ok_);
        return value_;
    }
    constexpr const T& value() const& {
        assert(ok_);
        return value_;
    }
    constexpr T&& value() && {
        assert(ok_);
        return std::move(value_);
    }
    constexpr const E& error() const& {
        assert(!ok_);
        return error_;
    }
    constexpr T& operator*() & { return value(); }
    constexpr const T& operator*() const& { return value(); }
    constexpr T&& operator*() && { return std::move(*this).value(); }
    constexpr T* operator->() { return &value(); }
    constexpr const T* operator->() const { return &value(); }

    template <class U>
    constexpr T value_or(U&& other) const& {
        return ok_ ? value_ : static_cast<T>(std::forward<U>(other));
    }

  private:
    bool ok_;
    union {
        T value_;
        E error_;
    };
};

template <class E>
class [[nodiscard]] result<void, E> {
  public:
    using value_type = void;
    using error_type = E;

    constexpr result() noexcept : ok_(true), error_{} {}
    template <class G>
    constexpr result(unexpected<G> u) : ok_(false), error_(std::move(u.error())) {}  // NOLINT

    constexpr bool has_value() const noexcept { return ok_; }
    constexpr explicit operator bool() const noexcept { return ok_; }
    constexpr void value() const { assert(ok_); }
    constexpr const E& error() const& {
        assert(!ok_);
        return error_;
    }

  private:
    bool ok_;
    E error_;
};

/// Human-readable text of an errno-style error, for log lines (not for the hot path).
inline std::string error_text(std::errc e) {
    return std::make_error_code(e).message();
}

}  // namespace edge
