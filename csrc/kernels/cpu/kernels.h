#pragma once
// CPU kernels compiled once for the baseline ISA (kernels/cpu/*.cpp), by family. The hot ones,
// compiled per ISA, are listed in kernels/cpu/isa.h instead.
#include "dispatch/kernels.h"

namespace ember::cpu {

// ---- sort

// ---- shape

// ---- indexing

// ---- random

// ---- nn

}  // namespace ember::cpu
