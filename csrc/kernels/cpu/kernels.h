#pragma once
// CPU kernels compiled once for the baseline ISA (kernels/cpu/*.cpp), by family. The hot ones,
// compiled per ISA, are listed in kernels/cpu/isa.h instead.
#include "dispatch/kernels.h"

namespace ember::cpu {

// ---- sort
void sort_kernel(const DimArgs& a);
void topk_kernel(const DimArgs& a);
void gather_dim_kernel(const DimArgs& a);
void scatter_dim_kernel(const DimArgs& a);
void mode_kernel(const DimArgs& a);
void unique_consecutive_kernel(const UniqueArgs& a);

// ---- shape

// ---- indexing

// ---- random

// ---- nn

}  // namespace ember::cpu
