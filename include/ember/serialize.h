#pragma once
// safetensors files from C++: the format the Hugging Face `safetensors` package reads and writes
// (8-byte little-endian header length, a JSON header, then the raw little-endian tensor bytes).
#include <map>
#include <string>

#include "ember/api.h"
#include "ember/tensor.h"

namespace ember {

using TensorMap = std::map<std::string, Tensor>;
using MetadataMap = std::map<std::string, std::string>;

// Reads every tensor of a safetensors file into new contiguous CPU tensors. `metadata`, when given,
// receives the header's "__metadata__" strings. Throws ember::Error (Runtime) naming the problem
// when the file is missing, truncated, or its header is malformed or inconsistent.
EMBER_API TensorMap load_safetensors(const std::string& path, MetadataMap* metadata = nullptr);

// Writes `tensors` (any layout; copied contiguous) in safetensors' own order and layout, through a
// temporary file in the same directory renamed over `path`, so a failure leaves `path` untouched.
EMBER_API void save_safetensors(const std::string& path, const TensorMap& tensors, const MetadataMap& metadata = {});

// The same, to and from bytes in memory.
EMBER_API TensorMap load_safetensors_bytes(const std::string& bytes, MetadataMap* metadata = nullptr);
EMBER_API std::string save_safetensors_bytes(const TensorMap& tensors, const MetadataMap& metadata = {});

}  // namespace ember
