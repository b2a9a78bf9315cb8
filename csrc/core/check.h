#pragma once
// EMBER_CHECK(cond, Kind, parts...): throw ember::Error of ErrorKind::Kind with the parts streamed
// together. Messages read "[ember.<op>] expected <what>, got <what>".
#include <sstream>
#include <string>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/shape.h"

namespace ember {

inline std::ostream& operator<<(std::ostream& os, Dtype d) { return os << dtype_name(d); }
inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

namespace detail {
struct ShapePrinter {
  const Shape& s;
};
inline std::ostream& operator<<(std::ostream& os, const ShapePrinter& p) { return os << shape_str(p.s); }

template <class... Parts> std::string str_cat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}
[[noreturn]] inline void throw_error(ErrorKind kind, const std::string& msg) { throw Error(kind, msg); }
}  // namespace detail

// Streams a Shape as "[2, 3]".
inline detail::ShapePrinter fmt(const Shape& s) { return {s}; }

}  // namespace ember

#define EMBER_CHECK(cond, kind, ...)                                                          \
  do {                                                                                        \
    if (!(cond)) ::ember::detail::throw_error(::ember::ErrorKind::kind, ::ember::detail::str_cat(__VA_ARGS__)); \
  } while (0)

#define EMBER_FAIL(kind, ...) ::ember::detail::throw_error(::ember::ErrorKind::kind, ::ember::detail::str_cat(__VA_ARGS__))
