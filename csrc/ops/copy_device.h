#pragma once
// Copies across devices with the non_blocking flag, and pinned host memory (ops/copy.cpp). Private
// to the core and its bindings for now; include/ember/ops/copy.h keeps the blocking forms.
#include "ember/tensor.h"

namespace ember {

// non_blocking: a copy between pinned host memory and a device may still run on return.
Tensor& copy_(Tensor& self, const Tensor& src, bool non_blocking);
Tensor to_device(const Tensor& t, Device device, bool copy, bool non_blocking);
// A copy of a CPU tensor in page-locked host memory (needs a device backend); is_pinned: whether it is.
Tensor pin_memory(const Tensor& t);
bool is_pinned(const Tensor& t);

}  // namespace ember
