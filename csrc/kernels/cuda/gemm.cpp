// Matmul through cuBLAS: C[b] = alpha * A[b] @ B[b] + beta * C[b] (GemmArgs: row-major strides).
// cuBLAS is column-major, so a row-major C is computed as C^T = B^T A^T. An operand whose strides
// are neither row- nor column-major (or whose batch stride cuBLAS cannot take) is first copied to
// a contiguous scratch buffer. float32 uses TF32 tensor cores when
// ember.backends.cuda.matmul.allow_tf32 is set; float16/bfloat16 run on tensor cores with float
// accumulation (cublasGemmStridedBatchedEx).
#include <cublas_v2.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/kernels.h"

namespace ember::gpu {
namespace {

std::atomic<bool> g_allow_tf32{false};

const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

#define EMBER_CUBLAS_CHECK(expr)                                                                         \
  do {                                                                                                   \
    cublasStatus_t st_ = (expr);                                                                         \
    EMBER_CHECK(st_ == CUBLAS_STATUS_SUCCESS, Runtime, "[ember.matmul] cuBLAS error: ", cublas_status_name(st_), \
                " in ", #expr);                                                                          \
  } while (0)

// One handle per (thread, device): cuBLAS handles are not meant to be shared across threads.
cublasHandle_t handle_for(int device) {
  thread_local std::unordered_map<int, cublasHandle_t> handles;
  auto it = handles.find(device);
  if (it != handles.end()) return it->second;
  cublasHandle_t h = nullptr;
  EMBER_CUBLAS_CHECK(cublasCreate(&h));
  handles[device] = h;  // never destroyed: process-lifetime, as PyTorch's pool
  return h;
}

// How cuBLAS (column-major) sees a row-major operand [rows, cols] with strides (rs, cs):
// `trans` = the column-major view is the transpose of the operand; ld its leading dimension.
struct Layout {
  bool ok = false;
  bool trans = false;  // true: the memory holds the operand row-major (cs == 1)
  int64_t ld = 1;
};
Layout layout_of(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  Layout l;
  if (rs < 0 || cs < 0) return l;
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= (cols > 1 ? cols : 1))) {
    l.ok = true;
    l.trans = true;
    l.ld = rows == 1 ? (cols > 1 ? cols : 1) : rs;
    return l;
  }
  if ((rs == 1 || rows == 1) && (cols == 1 || cs >= (rows > 1 ? rows : 1))) {
    l.ok = true;
    l.trans = false;
    l.ld = cols == 1 ? (rows > 1 ? rows : 1) : cs;
  }
  return l;
}

cudaDataType_t cuda_type(Dtype d) {
  switch (d) {
    case Dtype::Float32: return CUDA_R_32F;
    case Dtype::Float64: return CUDA_R_64F;
    case Dtype::Float16: return CUDA_R_16F;
    case Dtype::BFloat16: return CUDA_R_16BF;
    default: fail_dtype("matmul", d);
  }
}

// A strided [batch, rows, cols] operand copied to contiguous row-major scratch (ElementwiseArgs copy).
void pack(const char* src, Dtype dtype, int64_t batch, int64_t rows, int64_t cols, int64_t bs, int64_t rs, int64_t cs,
          char* dst) {
  int64_t sizes[3] = {batch, rows, cols};
  int64_t src_strides[3] = {bs, rs, cs};
  int64_t dst_strides[3] = {rows * cols, cols, 1};
  ElementwiseArgs c;
  c.out.data = dst;
  c.out.dtype = dtype;
  c.out.ndim = 3;
  c.out.sizes = sizes;
  c.out.strides = dst_strides;
  c.in[0].data = const_cast<char*>(src);
  c.in[0].dtype = dtype;
  c.in[0].ndim = 3;
  c.in[0].sizes = sizes;
  c.in[0].strides = src_strides;
  c.nin = 1;
  copy_kernel(c);
}

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32 = allow; }

void gemm_kernel(const GemmArgs& g) {
  const Dtype dt = g.dtype;
  const cudaDataType_t type = cuda_type(dt);
  const size_t item = elem_size(dt);
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  const int device = current_device();
  cudaStream_t stream = current_stream(device);
  if (g.k == 0) {
    // C = beta * C: scale through a 1x1 "gemm" would need A/B; do it with the elementwise engine.
    EMBER_CHECK(g.beta == 0, NotImplemented, "[ember.matmul] k == 0 with beta != 0 is not implemented for cuda");
    int64_t sizes[3] = {g.batch, g.m, g.n}, strides[3] = {g.c_batch_stride, g.c_row_stride, g.c_col_stride};
    FillArgs f;
    f.out.data = g.c;
    f.out.dtype = dt;
    f.out.ndim = 3;
    f.out.sizes = sizes;
    f.out.strides = strides;
    f.value = Scalar(0.0);
    fill_kernel(f);
    return;
  }
  // Operands cuBLAS cannot read as they are go through contiguous scratch buffers.
  const char* a = g.a;
  int64_t a_bs = g.a_batch_stride, a_rs = g.a_row_stride, a_cs = g.a_col_stride;
  const char* b = g.b;
  int64_t b_bs = g.b_batch_stride, b_rs = g.b_row_stride, b_cs = g.b_col_stride;
  Layout la = layout_of(g.m, g.k, a_rs, a_cs), lb = layout_of(g.k, g.n, b_rs, b_cs);
  std::unique_ptr<DeviceBuffer> a_buf, b_buf, c_buf;
  if (!la.ok || a_bs < 0) {
    a_buf = std::make_unique<DeviceBuffer>(device, size_t(g.batch * g.m * g.k) * item);
    pack(a, dt, g.batch, g.m, g.k, a_bs, a_rs, a_cs, static_cast<char*>(a_buf->get()));
    a = static_cast<const char*>(a_buf->get());
    a_bs = g.m * g.k, a_rs = g.k, a_cs = 1;
    la = layout_of(g.m, g.k, a_rs, a_cs);
  }
  if (!lb.ok || b_bs < 0) {
    b_buf = std::make_unique<DeviceBuffer>(device, size_t(g.batch * g.k * g.n) * item);
    pack(b, dt, g.batch, g.k, g.n, b_bs, b_rs, b_cs, static_cast<char*>(b_buf->get()));
    b = static_cast<const char*>(b_buf->get());
    b_bs = g.k * g.n, b_rs = g.n, b_cs = 1;
    lb = layout_of(g.k, g.n, b_rs, b_cs);
  }
  // C: row-major (compute C^T = B^T A^T) or column-major (compute C = A B); else scratch.
  char* c = g.c;
  int64_t c_bs = g.c_batch_stride, c_rs = g.c_row_stride, c_cs = g.c_col_stride;
  Layout lc = layout_of(g.m, g.n, c_rs, c_cs);
  const bool c_overlaps = g.batch > 1 && c_bs < g.m * g.n;  // e.g. an expanded output
  if (!lc.ok || c_overlaps) {
    c_buf = std::make_unique<DeviceBuffer>(device, size_t(g.batch * g.m * g.n) * item);
    if (g.beta != 0) pack(c, dt, g.batch, g.m, g.n, c_bs, c_rs, c_cs, static_cast<char*>(c_buf->get()));
    c = static_cast<char*>(c_buf->get());
    c_bs = g.m * g.n, c_rs = g.n, c_cs = 1;
    lc = layout_of(g.m, g.n, c_rs, c_cs);
  }
  EMBER_CHECK(g.m <= INT32_MAX && g.n <= INT32_MAX && g.k <= INT32_MAX && g.batch <= INT32_MAX, Runtime,
              "[ember.matmul] sizes above 2^31 are not supported by cuBLAS");

  cublasHandle_t h = handle_for(device);
  EMBER_CUBLAS_CHECK(cublasSetStream(h, stream));
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  if (dt == Dtype::Float64) compute = CUBLAS_COMPUTE_64F;
  else if (dt == Dtype::Float32 && g_allow_tf32.load()) compute = CUBLAS_COMPUTE_32F_FAST_TF32;
  const float alpha_f = float(g.alpha), beta_f = float(g.beta);
  const double alpha_d = g.alpha, beta_d = g.beta;
  const void* alpha = dt == Dtype::Float64 ? static_cast<const void*>(&alpha_d) : static_cast<const void*>(&alpha_f);
  const void* beta = dt == Dtype::Float64 ? static_cast<const void*>(&beta_d) : static_cast<const void*>(&beta_f);

  // Column-major problem (M, N, K) with operands X (M x K) and Y (K x N).
  int M, N, K;
  const char *X, *Y;
  cublasOperation_t opx, opy;
  int64_t ldx, ldy, sx, sy;
  if (lc.trans) {  // row-major C: C^T (n x m) = B^T (n x k) * A^T (k x m)
    M = int(g.n), N = int(g.m), K = int(g.k);
    X = b, Y = a;
    // B row-major viewed column-major is B^T already: no transpose (and vice versa).
    opx = lb.trans ? CUBLAS_OP_N : CUBLAS_OP_T, ldx = lb.ld, sx = b_bs;
    opy = la.trans ? CUBLAS_OP_N : CUBLAS_OP_T, ldy = la.ld, sy = a_bs;
  } else {  // column-major C: C (m x n) = A (m x k) * B (k x n)
    M = int(g.m), N = int(g.n), K = int(g.k);
    X = a, Y = b;
    opx = la.trans ? CUBLAS_OP_T : CUBLAS_OP_N, ldx = la.ld, sx = a_bs;
    opy = lb.trans ? CUBLAS_OP_T : CUBLAS_OP_N, ldy = lb.ld, sy = b_bs;
  }
  const int64_t ldc = lc.ld;
  if (g.batch == 1) {
    EMBER_CUBLAS_CHECK(cublasGemmEx(h, opx, opy, M, N, K, alpha, X, type, int(ldx), Y, type, int(ldy), beta, c, type,
                                    int(ldc), compute, CUBLAS_GEMM_DEFAULT));
  } else {
    EMBER_CUBLAS_CHECK(cublasGemmStridedBatchedEx(h, opx, opy, M, N, K, alpha, X, type, int(ldx), sx, Y, type,
                                                  int(ldy), sy, beta, c, type, int(ldc), c_bs, int(g.batch), compute,
                                                  CUBLAS_GEMM_DEFAULT));
  }
  if (c_buf) {
    // Scratch C back into the caller's strides.
    int64_t sizes[3] = {g.batch, g.m, g.n};
    int64_t src_strides[3] = {g.m * g.n, g.n, 1};
    int64_t dst_strides[3] = {g.c_batch_stride, g.c_row_stride, g.c_col_stride};
    ElementwiseArgs cp;
    cp.out.data = g.c;
    cp.out.dtype = dt;
    cp.out.ndim = 3;
    cp.out.sizes = sizes;
    cp.out.strides = dst_strides;
    cp.in[0].data = c;
    cp.in[0].dtype = dt;
    cp.in[0].ndim = 3;
    cp.in[0].sizes = sizes;
    cp.in[0].strides = src_strides;
    cp.nin = 1;
    copy_kernel(cp);
  }
}

}  // namespace ember::gpu
