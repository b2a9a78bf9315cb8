#pragma once
// CPU kernels compiled once for the baseline ISA (kernels/cpu/*.cpp), by family. The hot ones,
// compiled per ISA, are listed in kernels/cpu/isa.h instead.
#include "dispatch/kernels.h"

namespace ember::cpu {

// ---- sort

// ---- shape

// ---- indexing
void index_kernel(const IndexArgs& a);
void index_put_kernel(const IndexArgs& a);
void index_range_kernel(const IndexRangeArgs& a);
int64_t nonzero_kernel(const NonzeroArgs& a);

// ---- random

// ---- nn

}  // namespace ember::cpu
