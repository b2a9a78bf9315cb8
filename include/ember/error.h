#pragma once
#include <stdexcept>
#include <string>

#include "ember/api.h"

namespace ember {

// The Python exception an error maps to. Messages read "[ember.<op>] expected ..., got ...".
enum class ErrorKind { Runtime, Value, Type, Index, NotImplemented, OutOfMemory };

class EMBER_API Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace ember
