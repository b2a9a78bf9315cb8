// Sorting kernels: sort, topk, mode, unique_consecutive, and the gather/scatter along one dim that
// the value-selecting backwards use. NaN sorts above every number, as in PyTorch.
#include <algorithm>
#include <atomic>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/cpu/cast.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/reduce_loop.h"

namespace ember::cpu {

namespace {
template <class T> inline bool nan_of(T x) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return float(x) != float(x);
  else if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}
// Ascending order with NaN last.
template <class T> inline bool lt(T a, T b) {
  using A = opmath_t<T>;
  if (nan_of(a)) return false;
  if (nan_of(b)) return true;
  return A(a) < A(b);
}
}  // namespace

void sort_kernel(const DimArgs& a) {
  EMBER_DISPATCH_ALL(a.in.dtype, "sort", [&] {
    using T = scalar_t;
    const int64_t n = a.in.ndim ? a.in.sizes[a.dim] : 1;
    const int64_t si = a.in.ndim ? a.in.strides[a.dim] : 0, so = a.out.ndim ? a.out.strides[a.dim] : 0,
                  sx = a.index.ndim ? a.index.strides[a.dim] : 0;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    int64_t* idx = reinterpret_cast<int64_t*>(a.index.data);
    const View* views[3] = {&a.in, &a.out, &a.index};
    const bool desc = a.flag;
    auto body = [&](int64_t, const int64_t* off) {
      std::vector<std::pair<T, int64_t>> v(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[size_t(i)] = {in[off[0] + i * si], i};
      if (desc)
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return lt(y.first, x.first); });
      else
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return lt(x.first, y.first); });
      for (int64_t i = 0; i < n; ++i) {
        out[off[1] + i * so] = v[size_t(i)].first;
        idx[off[2] + i * sx] = v[size_t(i)].second;
      }
    };
    if (a.in.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      body(0, zero);
      return;
    }
    for_each_line<3>(views, a.dim, n * 16, body);
  });
}

// The k largest (flag) or smallest along dim, sorted, ties by position.
// k up to this selects in one pass over the row; larger k partially sorts a copy.
constexpr int64_t kTopkSelect = 64;

void topk_kernel(const DimArgs& a) {
  EMBER_DISPATCH_ALL(a.in.dtype, "topk", [&] {
    using T = scalar_t;
    const int64_t n = a.in.ndim ? a.in.sizes[a.dim] : 1, k = a.k;
    const int64_t si = a.in.ndim ? a.in.strides[a.dim] : 0, so = a.out.ndim ? a.out.strides[a.dim] : 0,
                  sx = a.index.ndim ? a.index.strides[a.dim] : 0;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    int64_t* idx = reinterpret_cast<int64_t*>(a.index.data);
    const View* views[3] = {&a.in, &a.out, &a.index};
    const bool largest = a.flag;
    // x ranks before y: better value, then the lower index (ties keep the first occurrences).
    auto cmp = [largest](const std::pair<T, int64_t>& x, const std::pair<T, int64_t>& y) {
      if (largest ? lt(y.first, x.first) : lt(x.first, y.first)) return true;
      if (largest ? lt(x.first, y.first) : lt(y.first, x.first)) return false;
      return x.second < y.second;
    };
    auto body = [&](int64_t, const int64_t* off) {
      const T* row = in + off[0];
      std::vector<std::pair<T, int64_t>> v;
      if (k <= kTopkSelect && k * 4 <= n) {
        // One pass keeping the k best in a sorted buffer: an element enters only when it beats the
        // current k-th (strictly: a tie loses to the earlier index), so most elements cost one compare.
        v.reserve(size_t(k));
        for (int64_t i = 0; i < k; ++i) v.push_back({row[i * si], i});
        std::sort(v.begin(), v.end(), cmp);
        T worst = v.back().first;
        for (int64_t i = k; i < n; ++i) {
          const T x = row[i * si];
          if (!(largest ? lt(worst, x) : lt(x, worst))) continue;
          std::pair<T, int64_t> e{x, i};
          auto pos = std::upper_bound(v.begin(), v.end() - 1, e, cmp);
          std::move_backward(pos, v.end() - 1, v.end());
          *pos = e;
          worst = v.back().first;
        }
      } else {
        v.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i) v[size_t(i)] = {row[i * si], i};
        std::partial_sort(v.begin(), v.begin() + k, v.end(), cmp);
      }
      for (int64_t i = 0; i < k; ++i) {
        out[off[1] + i * so] = v[size_t(i)].first;
        idx[off[2] + i * sx] = v[size_t(i)].second;
      }
    };
    if (a.in.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      if (k > 0) body(0, zero);
      return;
    }
    if (k == 0) return;
    for_each_line<3>(views, a.dim, n * 8, body);
  });
}

// The most frequent value along dim (the smallest among equally frequent ones) and the position of
// its last occurrence, as PyTorch's CPU mode. out/index have size 1 on dim.
void mode_kernel(const DimArgs& a) {
  EMBER_DISPATCH_ALL(a.in.dtype, "mode", [&] {
    using T = scalar_t;
    const int64_t n = a.in.ndim ? a.in.sizes[a.dim] : 1;
    const int64_t si = a.in.ndim ? a.in.strides[a.dim] : 0;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    int64_t* idx = reinterpret_cast<int64_t*>(a.index.data);
    const View* views[3] = {&a.in, &a.out, &a.index};
    auto body = [&](int64_t, const int64_t* off) {
      std::vector<std::pair<T, int64_t>> v(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[size_t(i)] = {in[off[0] + i * si], i};
      std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return lt(x.first, y.first); });
      int64_t best = 0, best_count = 0;
      for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j + 1 < n && !lt(v[size_t(i)].first, v[size_t(j + 1)].first)) ++j;
        if (j - i + 1 > best_count) best_count = j - i + 1, best = j;
        i = j + 1;
      }
      out[off[1]] = v[size_t(best)].first;
      idx[off[2]] = v[size_t(best)].second;
    };
    if (n == 0) return;
    if (a.in.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      body(0, zero);
      return;
    }
    for_each_line<3>(views, a.dim, n * 16, body);
  });
}

// out = in gathered along dim at index (out and index share sizes).
void gather_dim_kernel(const DimArgs& a) {
  const int64_t n = a.index.ndim ? a.index.sizes[a.dim] : 1, limit = a.in.ndim ? a.in.sizes[a.dim] : 1;
  const int64_t sx = a.index.ndim ? a.index.strides[a.dim] : 0, si = a.in.ndim ? a.in.strides[a.dim] : 0,
                so = a.out.ndim ? a.out.strides[a.dim] : 0;
  const int64_t* idx = reinterpret_cast<const int64_t*>(a.index.data);
  std::atomic<bool> bad{false};
  EMBER_DISPATCH_ALL(a.in.dtype, "gather", [&] {
    using T = scalar_t;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    auto body = [&](int64_t, const int64_t* off) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t j = idx[off[0] + i * sx];
        if (j < 0 || j >= limit) {
          bad = true;
          continue;
        }
        out[off[1] + i * so] = in[off[2] + j * si];
      }
    };
    const View* views[3] = {&a.index, &a.out, &a.in};
    if (a.index.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      body(0, zero);
    } else {
      for_each_line<3>(views, a.dim, n, body);
    }
  });
  EMBER_CHECK(!bad, Index, "[ember.gather] index out of bounds for dimension ", a.dim, " with size ", limit);
}

// out[... index ...] += grad along dim (out pre-filled by the op; grad and index share sizes).
void scatter_dim_kernel(const DimArgs& a) {
  const int64_t n = a.index.ndim ? a.index.sizes[a.dim] : 1, limit = a.out.ndim ? a.out.sizes[a.dim] : 1;
  const int64_t sx = a.index.ndim ? a.index.strides[a.dim] : 0, sg = a.grad.ndim ? a.grad.strides[a.dim] : 0,
                so = a.out.ndim ? a.out.strides[a.dim] : 0;
  const int64_t* idx = reinterpret_cast<const int64_t*>(a.index.data);
  std::atomic<bool> bad{false};
  EMBER_DISPATCH_ALL(a.out.dtype, "scatter_add", [&] {
    using T = scalar_t;
    const T* g = reinterpret_cast<const T*>(a.grad.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    auto body = [&](int64_t, const int64_t* off) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t j = idx[off[0] + i * sx];
        if (j < 0 || j >= limit) {
          bad = true;
          continue;
        }
        T& o = out[off[2] + j * so];
        if constexpr (std::is_same_v<T, bool>) o = o || g[off[1] + i * sg];
        else o = T(opmath_t<T>(o) + opmath_t<T>(g[off[1] + i * sg]));
      }
    };
    const View* views[3] = {&a.index, &a.grad, &a.out};
    if (a.index.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      body(0, zero);
    } else {
      for_each_line<3>(views, a.dim, n, body);
    }
  });
  EMBER_CHECK(!bad, Index, "[ember.scatter_add] index out of bounds for dimension ", a.dim, " with size ", limit);
}

void unique_consecutive_kernel(const UniqueArgs& a) {
  const int64_t n = a.in.numel();
  int64_t* counts = reinterpret_cast<int64_t*>(a.counts.data);
  int64_t* group = reinterpret_cast<int64_t*>(a.group.data);
  EMBER_DISPATCH_ALL(a.in.dtype, "unique", [&] {
    using T = scalar_t;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    int64_t g = -1;
    for (int64_t i = 0; i < n; ++i) {
      // NaNs stay distinct, as in PyTorch (NaN != NaN).
      bool same = i > 0 && !nan_of(in[i]) && !lt(in[i - 1], in[i]) && !lt(in[i], in[i - 1]);
      if (!same) {
        ++g;
        out[g] = in[i];
        counts[g] = 0;
      }
      ++counts[g];
      group[i] = g;
    }
    *a.num_groups = g + 1;
  });
}

}  // namespace ember::cpu
