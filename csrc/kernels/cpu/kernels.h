#pragma once
// CPU kernels compiled once for the baseline ISA (kernels/cpu/*.cpp), by family. The hot ones,
// compiled per ISA, are listed in kernels/cpu/isa.h instead.
#include "dispatch/kernels.h"

namespace ember::cpu {

// ---- sort

// ---- shape

// ---- indexing

// ---- random
void uniform_kernel(const RandomArgs&);
void normal_kernel(const RandomArgs&);
void random_int_kernel(const RandomArgs&);
void bernoulli_scalar_kernel(const RandomArgs&);
void bernoulli_tensor_kernel(const RandomArgs&);
void exponential_kernel(const RandomArgs&);
void geometric_kernel(const RandomArgs&);
void cauchy_kernel(const RandomArgs&);
void log_normal_kernel(const RandomArgs&);
void randperm_kernel(const RandomArgs&);
void multinomial_kernel(const RandomArgs&);

// ---- nn

}  // namespace ember::cpu
