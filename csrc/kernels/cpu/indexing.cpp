// CPU indexing kernels: index (gather through index tensors), index_put (scatter, with a
// reduction), index_range (min/max of an index tensor, for validation), nonzero.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/cast.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

// The geometry of one IndexArgs walk: dims of size 1 dropped, byte strides per operand
// (0 = self, 1 = values, 2.. = indices).
struct IndexWalk {
  int64_t nd = 0;
  size_t nops = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;  // [op * nd + d], bytes
  std::vector<char*> base;
  std::vector<int64_t> indexed_sizes, indexed_bytes;

  explicit IndexWalk(const IndexArgs& a) {
    nops = 2 + a.indices.size();
    const View* views[2] = {&a.self, &a.values};
    for (int64_t d = 0; d < a.values.ndim; ++d)
      if (a.values.sizes[d] != 1) sizes.push_back(a.values.sizes[d]);
    nd = int64_t(sizes.size());
    strides.assign(nops * size_t(nd), 0);
    base.resize(nops);
    for (size_t op = 0; op < nops; ++op) {
      const View& v = op < 2 ? *views[op] : a.indices[op - 2];
      base[op] = v.data;
      int64_t item = int64_t(itemsize(v.dtype)), k = 0;
      for (int64_t d = 0; d < a.values.ndim; ++d) {
        if (a.values.sizes[d] == 1) continue;
        strides[op * nd + k++] = v.strides[d] * item;
      }
    }
    int64_t sitem = int64_t(itemsize(a.self.dtype));
    for (size_t k = 0; k < a.indices.size(); ++k) {
      indexed_sizes.push_back(a.indexed_sizes[k]);
      indexed_bytes.push_back(a.indexed_strides[k] * sitem);
    }
  }

  // f(self_element_ptr, values_element_ptr) for positions [begin, end) in C order.
  template <class IndexT, class F> void run(int64_t begin, int64_t end, const F& f) const {
    const size_t nidx = nops - 2;
    auto resolve = [&](char* const* p, int64_t inner_i) {
      char* s = p[0] + inner_i * (nd ? strides[nd - 1] : 0);
      for (size_t k = 0; k < nidx; ++k) {
        int64_t v = int64_t(*reinterpret_cast<const IndexT*>(p[2 + k] + inner_i * (nd ? strides[(2 + k) * nd + nd - 1] : 0)));
        if (v < 0) v += indexed_sizes[k];
        s += v * indexed_bytes[k];
      }
      return s;
    };
    std::vector<char*> ptr(nops);
    if (nd == 0) {
      if (begin < end) f(resolve(base.data(), 0), base[1]);
      return;
    }
    std::vector<int64_t> idx(nd);
    int64_t rem = begin;
    for (int64_t d = nd - 1; d >= 0; --d) {
      idx[d] = rem % sizes[d];
      rem /= sizes[d];
    }
    const int64_t vstride = strides[nd + nd - 1];
    int64_t pos = begin;
    while (pos < end) {
      for (size_t op = 0; op < nops; ++op) {
        char* p = base[op];
        for (int64_t d = 0; d < nd; ++d) p += idx[d] * strides[op * nd + d];
        ptr[op] = p;
      }
      int64_t n = std::min(sizes[nd - 1] - idx[nd - 1], end - pos);
      for (int64_t i = 0; i < n; ++i) f(resolve(ptr.data(), i), ptr[1] + i * vstride);
      pos += n;
      idx[nd - 1] += n;
      for (int64_t d = nd - 1; d > 0 && idx[d] == sizes[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  }
};

template <int N> struct Bytes {
  char b[N];
};

template <class IndexT> void index_gather(const IndexArgs& a, const IndexWalk& w, int64_t numel) {
  auto go = [&](auto tag) {
    using T = decltype(tag);
    parallel_for(0, numel, kGrainSize / 4, [&](int64_t b, int64_t e) {
      w.run<IndexT>(b, e, [](char* s, char* v) { std::memcpy(v, s, sizeof(T)); });
    });
  };
  switch (itemsize(a.self.dtype)) {
    case 1: return go(Bytes<1>{});
    case 2: return go(Bytes<2>{});
    case 4: return go(Bytes<4>{});
    default: return go(Bytes<8>{});
  }
}

template <class IndexT> void index_scatter(const IndexArgs& a, const IndexWalk& w, int64_t numel) {
  if (a.reduce == 0) {
    size_t item = itemsize(a.self.dtype);
    w.run<IndexT>(0, numel, [item](char* s, char* v) { std::memcpy(s, v, item); });
    return;
  }
  EMBER_DISPATCH_ALL(a.self.dtype, "index_put", [&] {
    using op_t = opmath_t<scalar_t>;
    auto apply = [&](auto combine) {
      w.run<IndexT>(0, numel, [&](char* s, char* v) {
        scalar_t* dst = reinterpret_cast<scalar_t*>(s);
        op_t x = op_t(*dst), y = op_t(*reinterpret_cast<const scalar_t*>(v));
        *dst = cast_value<scalar_t>(combine(x, y));
      });
    };
    switch (a.reduce) {
      case 1: return apply([](op_t x, op_t y) { return x + y; });
      case 2: return apply([](op_t x, op_t y) { return x * y; });
      case 3: return apply([](op_t x, op_t y) { return (y > x || y != y) ? y : x; });
      default: return apply([](op_t x, op_t y) { return (y < x || y != y) ? y : x; });
    }
  });
}

bool int32_indices(const IndexArgs& a) {
  for (const View& v : a.indices)
    if (v.dtype != Dtype::Int64) {
      EMBER_CHECK(v.dtype == Dtype::Int32, Runtime, "[ember.index] index tensors must be int64 or int32, got ",
                  dtype_name(v.dtype));
      return true;
    }
  return false;
}

}  // namespace

void index_kernel(const IndexArgs& a) {
  int64_t numel = a.values.numel();
  if (numel == 0) return;
  IndexWalk w(a);
  // Mixed int32/int64 index lists are made uniform by the op layer.
  if (int32_indices(a)) index_gather<int32_t>(a, w, numel);
  else index_gather<int64_t>(a, w, numel);
}

void index_put_kernel(const IndexArgs& a) {
  int64_t numel = a.values.numel();
  if (numel == 0) return;
  IndexWalk w(a);
  // Serial: duplicate indices reduce in order, the same on every run.
  if (int32_indices(a)) index_scatter<int32_t>(a, w, numel);
  else index_scatter<int64_t>(a, w, numel);
}

void index_range_kernel(const IndexRangeArgs& a) {
  StridedLoop loop({&a.in});
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  auto scan = [&](auto tag) {
    using T = decltype(tag);
    loop.run_range(0, loop.numel, [&](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = int64_t(*reinterpret_cast<const T*>(p[0] + i * s[0]));
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    });
  };
  switch (a.in.dtype) {
    case Dtype::Int64: scan(int64_t{}); break;
    case Dtype::Int32: scan(int32_t{}); break;
    case Dtype::Int16: scan(int16_t{}); break;
    case Dtype::Int8: scan(int8_t{}); break;
    case Dtype::UInt8: scan(uint8_t{}); break;
    case Dtype::Bool: scan(uint8_t{}); break;
    default: EMBER_FAIL(Type, "[ember.index] expected an integer index tensor, got ", dtype_name(a.in.dtype));
  }
  *a.min = lo;
  *a.max = hi;
}

int64_t nonzero_kernel(const NonzeroArgs& a) {
  const int64_t nd = a.in.ndim, numel = a.in.numel();
  if (numel == 0) return 0;
  int64_t count = 0;
  EMBER_DISPATCH_ALL(a.in.dtype, "nonzero", [&] {
    std::vector<int64_t> idx(size_t(nd), 0);
    int64_t item = int64_t(sizeof(scalar_t));
    for (int64_t i = 0; i < numel; ++i) {
      const char* p = a.in.data;
      for (int64_t d = 0; d < nd; ++d) p += idx[d] * a.in.strides[d] * item;
      if (cast_value<bool>(*reinterpret_cast<const scalar_t*>(p))) {
        if (a.out)
          for (int64_t d = 0; d < nd; ++d) a.out[count * nd + d] = idx[d];
        ++count;
      }
      for (int64_t d = nd - 1; d >= 0; --d) {
        if (++idx[d] < a.in.sizes[d]) break;
        idx[d] = 0;
      }
    }
  });
  return count;
}

}  // namespace ember::cpu
