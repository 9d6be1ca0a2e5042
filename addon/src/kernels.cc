// VGG Lab's native kernels: the heavy parts of TF.js's CPU backend (convolutions, matrix
// products, max-pooling) over oneDNN where the build found it, else an optimised BLAS; the whole
// VGG training step and forward pass as one call each (vgg-layers.inc, vgg-step.inc,
// vgg-forward.inc); and the data pipeline's crop window (window.inc). Every function reads and
// writes the JavaScript typed arrays it is given (zero-copy); scratch space is reused between calls.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef VGG_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#endif

extern "C" {
// The CBLAS entry points shared by OpenBLAS, Accelerate and MKL; declared here so that the
// build does not depend on where a distribution puts cblas.h.
enum { VGG_ROW_MAJOR = 101, VGG_NO_TRANS = 111, VGG_TRANS = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
#ifdef VGG_OPENBLAS
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
#endif
}

namespace {

struct ConvGeom {
  int n, h, w, c;       // input NHWC
  int kh, kw, co;       // filter HWIO
  int oh, ow;           // output spatial
  int sh, sw, pt, pl;   // strides, top/left padding
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == h && ow == w; }
  long rows_per_image() const { return static_cast<long>(oh) * ow; }
  long k() const { return static_cast<long>(kh) * kw * c; }
};

struct PoolGeom {
  int n, h, w, c, oh, ow, fh, fw, sh, sw, pt, pl;
};

// Scratch buffers grow to the largest call and are reused; each worker thread has its own.
thread_local std::vector<float> g_col;
constexpr long kMaxColFloats = 16L * 1024 * 1024;  // 64 MiB per chunk of images

// v grown to at least n floats (never shrunk); its data.
float* grown(std::vector<float>& v, long n) {
  if (static_cast<long>(v.size()) < n) v.resize(n);
  return v.data();
}

float* scratch(long floats) { return grown(g_col, floats); }

// The same, its data aligned to 64 bytes: oneDNN's Winograd kernels read and write their buffers
// with aligned vector loads and stores, and fault on a buffer that is not.
float* grown_aligned(std::vector<float>& v, long n) {
  float* p = grown(v, n + 16);
  return reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(p) + 63) & ~std::uintptr_t{63});
}

float* f32(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
int num(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }

ConvGeom geom(const Napi::Object& g) {
  return ConvGeom{num(g, "n"),  num(g, "h"),  num(g, "w"),  num(g, "c"),  num(g, "kh"), num(g, "kw"), num(g, "co"),
                  num(g, "oh"), num(g, "ow"), num(g, "sh"), num(g, "sw"), num(g, "pt"), num(g, "pl")};
}

// Images per GEMM so that the im2col buffer stays under kMaxColFloats.
int chunk_images(const ConvGeom& g) {
  long per = g.rows_per_image() * g.k();
  return static_cast<int>(std::max(1L, std::min<long>(g.n, kMaxColFloats / std::max(per, 1L))));
}

void im2col(const ConvGeom& g, const float* x, int n0, int nb, float* col) {
  const long K = g.k();
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < nb; b++) {
    for (int oy = 0; oy < g.oh; oy++) {
      const float* img = x + static_cast<long>(n0 + b) * g.h * g.w * g.c;
      for (int ox = 0; ox < g.ow; ox++) {
        float* row = col + ((static_cast<long>(b) * g.oh + oy) * g.ow + ox) * K;
        for (int ky = 0; ky < g.kh; ky++) {
          const int iy = oy * g.sh - g.pt + ky;
          for (int kx = 0; kx < g.kw; kx++) {
            const int ix = ox * g.sw - g.pl + kx;
            float* dst = row + (static_cast<long>(ky) * g.kw + kx) * g.c;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) std::memset(dst, 0, sizeof(float) * g.c);
            else std::memcpy(dst, img + (static_cast<long>(iy) * g.w + ix) * g.c, sizeof(float) * g.c);
          }
        }
      }
    }
  }
}

void col2im(const ConvGeom& g, const float* col, int n0, int nb, float* dx) {
  const long K = g.k();
  // Parallel over images: each image's dx is written by one thread only.
#pragma omp parallel for schedule(static)
  for (int b = 0; b < nb; b++) {
    float* img = dx + static_cast<long>(n0 + b) * g.h * g.w * g.c;
    for (int oy = 0; oy < g.oh; oy++) {
      for (int ox = 0; ox < g.ow; ox++) {
        const float* row = col + ((static_cast<long>(b) * g.oh + oy) * g.ow + ox) * K;
        for (int ky = 0; ky < g.kh; ky++) {
          const int iy = oy * g.sh - g.pt + ky;
          if (iy < 0 || iy >= g.h) continue;
          for (int kx = 0; kx < g.kw; kx++) {
            const int ix = ox * g.sw - g.pl + kx;
            if (ix < 0 || ix >= g.w) continue;
            const float* src = row + (static_cast<long>(ky) * g.kw + kx) * g.c;
            float* dst = img + (static_cast<long>(iy) * g.w + ix) * g.c;
            for (int c = 0; c < g.c; c++) dst[c] += src[c];
          }
        }
      }
    }
  }
}

void bias_act(float* out, long rows, int cols, const float* bias, bool relu) {
#pragma omp parallel for schedule(static) if (rows * cols > (1L << 15))
  for (long r = 0; r < rows; r++) {
    float* o = out + r * cols;
    if (bias)
      for (int j = 0; j < cols; j++) o[j] += bias[j];
    if (relu)
      for (int j = 0; j < cols; j++) o[j] = o[j] > 0.f ? o[j] : 0.f;
  }
}

// out[j] = Σ_r x[r·cols + j], accumulated in double; rows split between threads.
void column_sums(const float* x, long rows, long cols, float* out) {
  std::vector<double> total(cols, 0.0);
#pragma omp parallel if (rows * cols > (1L << 15))
  {
    std::vector<double> part(cols, 0.0);
#pragma omp for schedule(static) nowait
    for (long r = 0; r < rows; r++) {
      const float* row = x + r * cols;
      for (long j = 0; j < cols; j++) part[j] += row[j];
    }
#pragma omp critical
    for (long j = 0; j < cols; j++) total[j] += part[j];
  }
  for (long j = 0; j < cols; j++) out[j] = static_cast<float>(total[j]);
}

// A bf16 copy of an activation that several convolution passes of one training step read (the
// layer's input: forward and weight gradient; its output gradient: input and weight gradient), made
// by the first and reused by the others. The step empties it (filled = false) before the values it
// copies are written anew. Unused in f32.
struct LowCopy {
  std::vector<float> data;  // bf16 pairs, in float-sized storage
  bool filled = false;
};

#ifdef VGG_ONEDNN
#include "onednn.inc"
#include "choose.inc"
#include "onednn-memory.inc"
#include "onednn-conv.inc"
#endif

// Every matrix product of the addon (row-major, C = op(A)·op(B) + beta·C). With oneDNN, its GEMM:
// JIT kernels for this CPU whatever OPENBLAS_CORETYPE says, and 1.5–2.5× OpenBLAS's on the FC
// layers of a 224 px VGG-D (batch 8: fc1's 8×25088 by 25088×4096, memory-bound). Else the BLAS's.
void gemm(bool ta, bool tb, long m, long n, long k, const float* a, long lda, const float* b, long ldb, float beta, float* c, long ldc) {
#ifdef VGG_ONEDNN
  // A transposed B on the matmul primitive where that measured faster (see dnnl_matmul): with 16
  // or more rows. Elsewhere the sgemm was as fast or faster (8×4096 by 4096×4096: 3.0 ms against
  // matmul's 3.9; W3's fc1 weight gradient, 25088×8 by 8×4096: 17 ms against 24).
  if (!ta && tb && m >= 16 && beta == 0.f && dnnl_matmul(ta, tb, m, n, k, a, lda, b, ldb, c, ldc)) return;
  if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc) == dnnl_success) {
    g_dnnl_calls++;
    return;
  }
#endif
  cblas_sgemm(VGG_ROW_MAJOR, ta ? VGG_TRANS : VGG_NO_TRANS, tb ? VGG_TRANS : VGG_NO_TRANS, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.f, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void conv_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* out, LowCopy* xl = nullptr) {
#ifdef VGG_ONEDNN
  if (dnnl_conv_forward(g, x, w, bias, relu, out, xl)) return;
#endif
  const long M1 = g.rows_per_image(), K = g.k();
  if (g.pointwise()) {
    gemm(false, false, g.n * M1, g.co, K, x, K, w, g.co, 0.f, out, g.co);
  } else {
    const int chunk = chunk_images(g);
    float* col = scratch(chunk * M1 * K);
    for (int n0 = 0; n0 < g.n; n0 += chunk) {
      const int nb = std::min(chunk, g.n - n0);
      im2col(g, x, n0, nb, col);
      gemm(false, false, nb * M1, g.co, K, col, K, w, g.co, 0.f, out + n0 * M1 * g.co, g.co);
    }
  }
  if (bias || relu) bias_act(out, g.n * M1, g.co, bias, relu);
}

float* optional_f32(const Napi::Value& v) { return v.IsNull() || v.IsUndefined() ? nullptr : f32(v); }

// conv2d(x, w, out, geom, bias|null, relu)
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  conv_forward(geom(info[3].As<Napi::Object>()), f32(info[0]), f32(info[1]), optional_f32(info[4]), info[5].As<Napi::Boolean>().Value(), f32(info[2]));
  return info.Env().Undefined();
}

// route (oneDNN builds): how the input gradient is computed (see DataRoute); tests force each one.
void conv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx, int route = 0, LowCopy* dyl = nullptr) {
#ifdef VGG_ONEDNN
  if (dnnl_conv_backward_data(g, dy, w, dx, static_cast<DataRoute>(route), dyl)) return;
#endif
  const long M1 = g.rows_per_image(), K = g.k();
  if (g.pointwise()) {
    gemm(false, true, g.n * M1, K, g.co, dy, g.co, w, g.co, 0.f, dx, K);
    return;
  }
  std::fill(dx, dx + static_cast<long>(g.n) * g.h * g.w * g.c, 0.f);
  const int chunk = chunk_images(g);
  float* col = scratch(chunk * M1 * K);
  for (int n0 = 0; n0 < g.n; n0 += chunk) {
    const int nb = std::min(chunk, g.n - n0);
    gemm(false, true, nb * M1, K, g.co, dy + n0 * M1 * g.co, g.co, w, g.co, 0.f, col, K);
    col2im(g, col, n0, nb, dx);
  }
}

// dw (and db where given: the sums of dy over everything but channels).
// measured: in bf16, the precision timed for the shape (dnnl_conv_backward_weights); else the thread's as it is.
void conv_backward_weights(const ConvGeom& g, const float* x, const float* dy, float* dw, float* db, LowCopy* xl = nullptr, LowCopy* dyl = nullptr, bool measured = true) {
#ifdef VGG_ONEDNN
  if (measured ? dnnl_conv_backward_weights(g, x, dy, dw, db, xl, dyl) : dnnl_conv_backward_weights_in(g, x, dy, dw, db, t_bf16, false, xl, dyl)) return;
#else
  (void)xl, (void)dyl, (void)measured;
#endif
  const long M1 = g.rows_per_image(), K = g.k();
  if (db) column_sums(dy, g.n * M1, g.co, db);
  if (g.pointwise()) {
    gemm(true, false, K, g.co, g.n * M1, x, K, dy, g.co, 0.f, dw, g.co);
    return;
  }
  const int chunk = chunk_images(g);
  float* col = scratch(chunk * M1 * K);
  for (int n0 = 0; n0 < g.n; n0 += chunk) {
    const int nb = std::min(chunk, g.n - n0);
    im2col(g, x, n0, nb, col);
    gemm(true, false, K, g.co, nb * M1, col, K, dy + n0 * M1 * g.co, g.co, n0 == 0 ? 0.f : 1.f, dw, g.co);
  }
}

// conv2dBackpropInput(dy, w, dx, geom, route?): route 0 chooses (default), 1 oneDNN's backward-data
// primitive, 2 the forward convolution over the turned kernel (where the geometry allows; else 1).
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  const int route = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().Int32Value() : 0;
  if (route < 0 || route > 2) {
    Napi::RangeError::New(info.Env(), "route must be 0 (chosen), 1 (backward-data primitive) or 2 (forward over the turned kernel)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  conv_backward_data(geom(info[3].As<Napi::Object>()), f32(info[0]), f32(info[1]), f32(info[2]), route);
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geom, precision?): precision 0 (default) as chosen for the shape,
// 1 the thread's precision as it is (tests check bf16's weight gradient where timing would pick f32).
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  const bool measured = !(info.Length() > 4 && info[4].IsNumber() && info[4].As<Napi::Number>().Int32Value() == 1);
  conv_backward_weights(geom(info[3].As<Napi::Object>()), f32(info[0]), f32(info[1]), f32(info[2]), nullptr, nullptr, nullptr, measured);
  return info.Env().Undefined();
}

// dy where the layer's ReLU passed its input (y > 0), else 0, in a scratch buffer; dy itself without ReLU.
const float* relu_masked(const float* y, const float* dy, long n) {
  if (!y) return dy;
  thread_local std::vector<float> masked;
  if (static_cast<long>(masked.size()) < n) masked.resize(n);
  float* out = masked.data();
#pragma omp parallel for schedule(static) if (n > (1L << 15))
  for (long i = 0; i < n; i++) out[i] = y[i] > 0.f ? dy[i] : 0.f;
  return out;
}


// matmul(a, b, out, batchA, batchB, m, n, k, transA, transB, bias|null, relu): out[b] = op(a[b]) × op(b[b])
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  const float* a = f32(info[0]);
  const float* b = f32(info[1]);
  float* out = f32(info[2]);
  const int batchA = info[3].As<Napi::Number>().Int32Value();
  const int batchB = info[4].As<Napi::Number>().Int32Value();
  const int m = info[5].As<Napi::Number>().Int32Value();
  const int n = info[6].As<Napi::Number>().Int32Value();
  const int k = info[7].As<Napi::Number>().Int32Value();
  const bool ta = info[8].As<Napi::Boolean>().Value();
  const bool tb = info[9].As<Napi::Boolean>().Value();
  const float* bias = info[10].IsNull() || info[10].IsUndefined() ? nullptr : f32(info[10]);
  const bool relu = info[11].As<Napi::Boolean>().Value();
  const int batch = std::max(batchA, batchB);
  for (int i = 0; i < batch; i++) {
    const float* ai = a + static_cast<long>(batchA == 1 ? 0 : i) * m * k;
    const float* bi = b + static_cast<long>(batchB == 1 ? 0 : i) * k * n;
    gemm(ta, tb, m, n, k, ai, ta ? m : k, bi, tb ? k : n, 0.f, out + static_cast<long>(i) * m * n, n);
  }
  if (bias || relu) bias_act(out, static_cast<long>(batch) * m, n, bias, relu);
  return info.Env().Undefined();
}

PoolGeom pool_geom(const Napi::Object& g) {
  return PoolGeom{num(g, "n"),  num(g, "h"),  num(g, "w"),  num(g, "c"),  num(g, "oh"), num(g, "ow"),
                  num(g, "fh"), num(g, "fw"), num(g, "sh"), num(g, "sw"), num(g, "pt"), num(g, "pl")};
}

void max_pool(const PoolGeom& g, const float* x, float* out) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < g.n; b++) {
    for (int oy = 0; oy < g.oh; oy++) {
      for (int ox = 0; ox < g.ow; ox++) {
        float* o = out + ((static_cast<long>(b) * g.oh + oy) * g.ow + ox) * g.c;
        for (int c = 0; c < g.c; c++) o[c] = -std::numeric_limits<float>::infinity();
        for (int ky = 0; ky < g.fh; ky++) {
          const int iy = oy * g.sh - g.pt + ky;
          if (iy < 0 || iy >= g.h) continue;
          for (int kx = 0; kx < g.fw; kx++) {
            const int ix = ox * g.sw - g.pl + kx;
            if (ix < 0 || ix >= g.w) continue;
            const float* src = x + ((static_cast<long>(b) * g.h + iy) * g.w + ix) * g.c;
            for (int c = 0; c < g.c; c++) o[c] = src[c] > o[c] ? src[c] : o[c];
          }
        }
      }
    }
  }
}

// maxPool(x, out, geom)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  max_pool(pool_geom(info[2].As<Napi::Object>()), f32(info[0]), f32(info[1]));
  return info.Env().Undefined();
}

// Windows that tile the input without overlap (VGG's 2×2, stride 2): each input element belongs to
// at most one window, so dx is written once, without scatter or a zeroing pass over what windows cover.
void max_pool_grad_tiled(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  if (g.oh * g.sh != g.h || g.ow * g.sw != g.w) std::fill(dx, dx + static_cast<long>(g.n) * g.h * g.w * g.c, 0.f);
  const int taps = g.fh * g.fw;
  if (g.fh == 2 && g.fw == 2) {
    // 2×2: branch-free over channels (vectorised); ties go to the earlier tap.
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < g.n; b++) {
      for (int oy = 0; oy < g.oh; oy++) {
        for (int ox = 0; ox < g.ow; ox++) {
          const long p00 = ((static_cast<long>(b) * g.h + oy * 2) * g.w + ox * 2) * g.c, p01 = p00 + g.c;
          const long p10 = p00 + static_cast<long>(g.w) * g.c, p11 = p10 + g.c;
          const float* d = dy + ((static_cast<long>(b) * g.oh + oy) * g.ow + ox) * g.c;
          for (int c = 0; c < g.c; c++) {
            const float a = x[p00 + c], e = x[p01 + c], f = x[p10 + c], h = x[p11 + c];
            float m = a;
            int k = 0;
            k = e > m ? 1 : k;
            m = e > m ? e : m;
            k = f > m ? 2 : k;
            m = f > m ? f : m;
            k = h > m ? 3 : k;
            const float v = d[c];
            dx[p00 + c] = k == 0 ? v : 0.f;
            dx[p01 + c] = k == 1 ? v : 0.f;
            dx[p10 + c] = k == 2 ? v : 0.f;
            dx[p11 + c] = k == 3 ? v : 0.f;
          }
        }
      }
    }
    return;
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < g.n; b++) {
    for (int oy = 0; oy < g.oh; oy++) {
      long at[16];
      for (int ox = 0; ox < g.ow; ox++) {
        for (int t = 0; t < taps; t++)
          at[t] = ((static_cast<long>(b) * g.h + oy * g.sh + t / g.fw) * g.w + ox * g.sw + t % g.fw) * g.c;
        const float* d = dy + ((static_cast<long>(b) * g.oh + oy) * g.ow + ox) * g.c;
        for (int c = 0; c < g.c; c++) {
          // The first maximum in window order takes the gradient, as in TF.js's CPU kernel.
          int best = 0;
          float m = x[at[0] + c];
          for (int t = 1; t < taps; t++) {
            const float v = x[at[t] + c];
            if (v > m) {
              m = v;
              best = t;
            }
          }
          for (int t = 0; t < taps; t++) dx[at[t] + c] = t == best ? d[c] : 0.f;
        }
      }
    }
  }
}

// maxPoolGrad(dy, x, dx, geom): dy goes to the first maximum of each window. Channels are the
// innermost loop, so every window position is one contiguous, vectorisable pass.
void max_pool_grad(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  if (g.fh == g.sh && g.fw == g.sw && g.pt == 0 && g.pl == 0 && g.oh * g.sh <= g.h && g.ow * g.sw <= g.w && g.fh * g.fw <= 16) {
    max_pool_grad_tiled(g, dy, x, dx);
    return;
  }
  std::fill(dx, dx + static_cast<long>(g.n) * g.h * g.w * g.c, 0.f);
#pragma omp parallel
  {
    std::vector<float> best(g.c);
    std::vector<long> at(g.c);
#pragma omp for schedule(static)
    for (int b = 0; b < g.n; b++) {
      for (int oy = 0; oy < g.oh; oy++) {
        for (int ox = 0; ox < g.ow; ox++) {
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          std::fill(at.begin(), at.end(), -1L);
          for (int ky = 0; ky < g.fh; ky++) {
            const int iy = oy * g.sh - g.pt + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (int kx = 0; kx < g.fw; kx++) {
              const int ix = ox * g.sw - g.pl + kx;
              if (ix < 0 || ix >= g.w) continue;
              const long base = ((static_cast<long>(b) * g.h + iy) * g.w + ix) * g.c;
              const float* src = x + base;
              for (int c = 0; c < g.c; c++) {
                if (src[c] > best[c] || at[c] < 0) {
                  best[c] = src[c];
                  at[c] = base + c;
                }
              }
            }
          }
          const float* d = dy + ((static_cast<long>(b) * g.oh + oy) * g.ow + ox) * g.c;
          for (int c = 0; c < g.c; c++)
            if (at[c] >= 0) dx[at[c]] += d[c];
        }
      }
    }
  }
}

Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  max_pool_grad(pool_geom(info[3].As<Napi::Object>()), f32(info[0]), f32(info[1]), f32(info[2]));
  return info.Env().Undefined();
}

// reluGrad(dy, x, out): out = x > 0 ? dy : 0 — ReLU's gradient in one pass (instead of step, then multiply).
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  auto dv = info[0].As<Napi::Float32Array>();
  const float* dy = dv.Data();
  const float* x = f32(info[1]);
  float* out = f32(info[2]);
  const long n = static_cast<long>(dv.ElementLength());
#pragma omp parallel for schedule(static) if (n > (1L << 15))
  for (long i = 0; i < n; i++) out[i] = x[i] > 0.f ? dy[i] : 0.f;
  return info.Env().Undefined();
}

// sgdUpdate(w, g, v, outW, outV, lr, mu, wd): v' = μv − lr(g + λw), w' = w + v' in one pass.
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  auto wv = info[0].As<Napi::Float32Array>();
  const float* w = wv.Data();
  const float* g = f32(info[1]);
  const float* v = f32(info[2]);
  float* ow = f32(info[3]);
  float* ov = f32(info[4]);
  const float lr = static_cast<float>(info[5].As<Napi::Number>().DoubleValue());
  const float mu = static_cast<float>(info[6].As<Napi::Number>().DoubleValue());
  const float wd = static_cast<float>(info[7].As<Napi::Number>().DoubleValue());
  const long n = static_cast<long>(wv.ElementLength());
#pragma omp parallel for schedule(static) if (n > (1L << 15))
  for (long i = 0; i < n; i++) {
    const float nv = mu * v[i] - lr * (g[i] + wd * w[i]);
    ov[i] = nv;
    ow[i] = w[i] + nv;
  }
  return info.Env().Undefined();
}

// ---- Element-wise kernels: the ops a training step spends most of its time in once the
// convolutions are BLAS (bias add, ReLU and its gradient, bias gradients, SGD updates).

constexpr long kParallelMin = 1L << 15;

// binary(op, a, b, out): op 0 add, 1 sub, 2 mul, 3 div. The smaller operand repeats over the larger
// (a scalar, or a bias along the last dimensions); the caller has checked the shapes.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  auto av = info[1].As<Napi::Float32Array>();
  auto bv = info[2].As<Napi::Float32Array>();
  float* out = f32(info[3]);
  const float* a = av.Data();
  const float* b = bv.Data();
  const long na = static_cast<long>(av.ElementLength()), nb = static_cast<long>(bv.ElementLength());
  const long n = std::max(na, nb);
#define VGG_BINARY_LOOP(EXPR)                                                 \
  if (na == nb) {                                                            \
    _Pragma("omp parallel for schedule(static) if (n > kParallelMin)")       \
    for (long i = 0; i < n; i++) { const float x = a[i], y = b[i]; out[i] = (EXPR); } \
  } else if (nb == 1) {                                                      \
    const float y = b[0];                                                    \
    _Pragma("omp parallel for schedule(static) if (n > kParallelMin)")       \
    for (long i = 0; i < n; i++) { const float x = a[i]; out[i] = (EXPR); }  \
  } else if (na == 1) {                                                      \
    const float x = a[0];                                                    \
    _Pragma("omp parallel for schedule(static) if (n > kParallelMin)")       \
    for (long i = 0; i < n; i++) { const float y = b[i]; out[i] = (EXPR); }  \
  } else if (na > nb) {                                                      \
    const long rows = na / nb;                                               \
    _Pragma("omp parallel for schedule(static) if (n > kParallelMin)")       \
    for (long r = 0; r < rows; r++)                                          \
      for (long j = 0; j < nb; j++) { const float x = a[r * nb + j], y = b[j]; out[r * nb + j] = (EXPR); } \
  } else {                                                                   \
    const long rows = nb / na;                                               \
    _Pragma("omp parallel for schedule(static) if (n > kParallelMin)")       \
    for (long r = 0; r < rows; r++)                                          \
      for (long j = 0; j < na; j++) { const float x = a[j], y = b[r * na + j]; out[r * na + j] = (EXPR); } \
  }
  switch (op) {
    case 0: { VGG_BINARY_LOOP(x + y) break; }
    case 1: { VGG_BINARY_LOOP(x - y) break; }
    case 2: { VGG_BINARY_LOOP(x * y) break; }
    default: { VGG_BINARY_LOOP(x / y) break; }
  }
#undef VGG_BINARY_LOOP
  return info.Env().Undefined();
}

// unary(op, x, out, alpha): op 0 relu, 1 step (x > 0 ? 1 : alpha; NaN stays NaN), 2 floor (dropout's mask)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  auto xv = info[1].As<Napi::Float32Array>();
  float* out = f32(info[2]);
  const float alpha = static_cast<float>(info[3].As<Napi::Number>().DoubleValue());
  const float* x = xv.Data();
  const long n = static_cast<long>(xv.ElementLength());
  if (op == 0) {
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (long i = 0; i < n; i++) out[i] = x[i] > 0.f ? x[i] : (x[i] != x[i] ? x[i] : 0.f);
  } else if (op == 1) {
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (long i = 0; i < n; i++) out[i] = x[i] != x[i] ? x[i] : (x[i] > 0.f ? 1.f : alpha);
  } else {
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (long i = 0; i < n; i++) out[i] = std::floor(x[i]);
  }
  return info.Env().Undefined();
}

// sum(x, out, outer, inner, leading): leading → out[j] = Σ_i x[i·inner + j] (reduce leading axes);
// else out[i] = Σ_j x[i·inner + j] (reduce trailing axes). Accumulates in double.
Napi::Value Sum(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* out = f32(info[1]);
  const long outer = static_cast<long>(info[2].As<Napi::Number>().Int64Value());
  const long inner = static_cast<long>(info[3].As<Napi::Number>().Int64Value());
  const bool leading = info[4].As<Napi::Boolean>().Value();
  if (!leading) {
#pragma omp parallel for schedule(static) if (outer * inner > kParallelMin)
    for (long i = 0; i < outer; i++) {
      double acc = 0;
      const float* row = x + i * inner;
      for (long j = 0; j < inner; j++) acc += row[j];
      out[i] = static_cast<float>(acc);
    }
    return info.Env().Undefined();
  }
  column_sums(x, outer, inner, out);
  return info.Env().Undefined();
}

// lrn(x, y, channels, radius, bias, alpha, beta): AlexNet's local response normalisation over
// channels, y = x · (bias + α Σ x²)^−β, the same window as TF.js's CPU kernel; pixels in parallel.
struct LrnParams {
  int channels, radius;
  double bias, alpha, beta;
};

void lrn_forward(const LrnParams& q, const float* x, float* y, long pixels) {
  const int C = q.channels, r = q.radius;
  const double bias = q.bias, alpha = q.alpha, beta = q.beta;
#pragma omp parallel for schedule(static) if (pixels * C > kParallelMin)
  for (long p = 0; p < pixels; p++) {
    const float* xp = x + p * C;
    float* yp = y + p * C;
    for (int c = 0; c < C; c++) {
      double sum = 0;
      for (int k = std::max(0, c - r); k <= std::min(C - 1, c + r); k++) sum += static_cast<double>(xp[k]) * xp[k];
      yp[c] = static_cast<float>(xp[c] * std::pow(bias + alpha * sum, -beta));
    }
  }
}

LrnParams lrn_params(const Napi::CallbackInfo& info, int at) {
  return LrnParams{info[at].As<Napi::Number>().Int32Value(), info[at + 1].As<Napi::Number>().Int32Value(), info[at + 2].As<Napi::Number>().DoubleValue(),
                   info[at + 3].As<Napi::Number>().DoubleValue(), info[at + 4].As<Napi::Number>().DoubleValue()};
}

Napi::Value Lrn(const Napi::CallbackInfo& info) {
  auto xv = info[0].As<Napi::Float32Array>();
  const LrnParams q = lrn_params(info, 2);
  lrn_forward(q, xv.Data(), f32(info[1]), static_cast<long>(xv.ElementLength()) / q.channels);
  return info.Env().Undefined();
}

// lrnGrad(x, y, dy, dx, channels, radius, bias, alpha, beta): the gradient as TF.js's CPU kernel computes it.
void lrn_backward(const LrnParams& q, const float* x, const float* y, const float* dy, float* dx, long pixels) {
  const int C = q.channels, r = q.radius;
  const double bias = q.bias, alpha = q.alpha, beta = q.beta;
#pragma omp parallel for schedule(static) if (pixels * C > kParallelMin)
  for (long p = 0; p < pixels; p++) {
    const float* xp = x + p * C;
    const float* yp = y + p * C;
    const float* dyp = dy + p * C;
    float* dxp = dx + p * C;
    for (int c = 0; c < C; c++) dxp[c] = 0.f;
    for (int c = 0; c < C; c++) {
      const int lo = std::max(0, c - r), hi = std::min(C, c + r + 1);
      double norm = 0;
      for (int k = lo; k < hi; k++) norm += static_cast<double>(xp[k]) * xp[k];
      norm = alpha * norm + bias;
      for (int k = lo; k < hi; k++) {
        double d = -2 * alpha * beta * xp[k] * yp[c] / norm;
        if (k == c) d += std::pow(norm, -beta);
        dxp[k] += static_cast<float>(d * dyp[c]);
      }
    }
  }
}

Napi::Value LrnGrad(const Napi::CallbackInfo& info) {
  auto xv = info[0].As<Napi::Float32Array>();
  const LrnParams q = lrn_params(info, 4);
  lrn_backward(q, xv.Data(), f32(info[1]), f32(info[2]), f32(info[3]), static_cast<long>(xv.ElementLength()) / q.channels);
  return info.Env().Undefined();
}

#include "vgg-layers.inc"
#include "vgg-step.inc"
#include "vgg-forward.inc"
#include "window.inc"

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
#ifdef VGG_OPENBLAS
  openblas_set_num_threads(n);
#endif
  return info.Env().Undefined();
}

// setPrecision('fp32' | 'bf16'): how this thread's convolutions compute from now on (see t_bf16 in
// onednn.inc). bf16 is refused, with the reason, where the build or the CPU cannot run it natively.
Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
  const std::string p = info[0].As<Napi::String>().Utf8Value();
  if (p != "fp32" && p != "bf16") {
    Napi::RangeError::New(info.Env(), "precision must be fp32 or bf16 on the native backend, not " + p).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
#ifdef VGG_ONEDNN
  if (p == "bf16" && !dnnl_bf16_native()) {
    Napi::Error::New(info.Env(), std::string("bf16 needs a CPU with AVX512_BF16 or AMX; oneDNN finds ") + dnnl_isa_name() + " on this one").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  t_bf16 = p == "bf16";
#else
  if (p == "bf16") {
    Napi::Error::New(info.Env(), "bf16 needs the native addon built with oneDNN (Debian: libdnnl-dev); this build computes with its BLAS in fp32 only").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
#endif
  return info.Env().Undefined();
}

// setConvAlgorithm('auto' | 'direct' | 'winograd'): how this thread's convolutions are computed from
// now on (see ConvAlg in onednn-conv.inc); it also starts a new record of choices (convChoices).
// Without oneDNN there is one algorithm (im2col and GEMM): 'winograd' is refused there.
Napi::Value SetConvAlgorithm(const Napi::CallbackInfo& info) {
  const std::string a = info[0].As<Napi::String>().Utf8Value();
  if (a != "auto" && a != "direct" && a != "winograd") {
    Napi::RangeError::New(info.Env(), "conv algorithm must be auto, direct or winograd, not " + a).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
#ifdef VGG_ONEDNN
  if (a == "winograd" && !dnnl_winograd_native()) {
    Napi::Error::New(info.Env(), std::string("Winograd needs a CPU with AVX-512, where oneDNN has its Winograd kernels; oneDNN finds ") + dnnl_isa_name() + " on this one: use --conv-algorithm auto or direct").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  t_conv_alg = a == "winograd" ? ConvAlg::winograd : a == "direct" ? ConvAlg::direct : ConvAlg::automatic;
  choices_reset();
#else
  if (a == "winograd") {
    Napi::Error::New(info.Env(), "Winograd needs the native addon built with oneDNN (Debian: libdnnl-dev); this build computes convolutions as im2col and GEMM only").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
#endif
  return info.Env().Undefined();
}

// convChoices(): { key: way } for each convolution pass computed since setConvAlgorithm, where key
// names the pass, its shape and the ways on offer (see choose.inc). Empty without oneDNN.
Napi::Value ConvChoices(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
#ifdef VGG_ONEDNN
  for (const auto& [key, way] : choices_used()) o.Set(key, way);
#endif
  return o;
}

// pinConvChoices({ key: way }): computes those passes that way from now on, untimed (a resumed run
// takes the choices of the run it continues). A way not on offer for a key is ignored then.
Napi::Value PinConvChoices(const Napi::CallbackInfo& info) {
#ifdef VGG_ONEDNN
  const Napi::Object o = info[0].As<Napi::Object>();
  const Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    choice_pin(key, o.Get(key).As<Napi::String>().Utf8Value());
  }
#else
  (void)info;
#endif
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
#ifdef VGG_OPENBLAS
  o.Set("blas", std::string("OpenBLAS ") + openblas_get_config());
  o.Set("threads", openblas_get_num_threads());
#elif defined(__APPLE__)
  o.Set("blas", "Accelerate");
#else
  o.Set("blas", "CBLAS");
#endif
#ifdef _OPENMP
  o.Set("openmp", true);
#else
  o.Set("openmp", false);
#endif
#ifdef VGG_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " " + dnnl_isa_name());
  o.Set("onednnCalls", static_cast<double>(g_dnnl_calls.load()));
  o.Set("inputGradientsAsForward", static_cast<double>(g_dnnl_data_as_forward.load()));
  o.Set("bf16", dnnl_bf16_native());
  o.Set("bf16Convolutions", static_cast<double>(g_dnnl_bf16_convs.load()));
  o.Set("winogradConvolutions", static_cast<double>(g_dnnl_winograd_convs.load()));
  o.Set("winograd", dnnl_winograd_native());
#else
  o.Set("bf16", false);
  o.Set("winograd", false);
#endif
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2D));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter));
  exports.Set("matmul", Napi::Function::New(env, MatMul));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("lrn", Napi::Function::New(env, Lrn));
  exports.Set("lrnGrad", Napi::Function::New(env, LrnGrad));
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate));
  exports.Set("vggStep", Napi::Function::New(env, VggStep));
  exports.Set("vggForward", Napi::Function::New(env, VggForward));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("sum", Napi::Function::New(env, Sum));
  exports.Set("cutWindow", Napi::Function::New(env, CutWindow));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setPrecision", Napi::Function::New(env, SetPrecision));
  exports.Set("setConvAlgorithm", Napi::Function::New(env, SetConvAlgorithm));
  exports.Set("convChoices", Napi::Function::New(env, ConvChoices));
  exports.Set("pinConvChoices", Napi::Function::New(env, PinConvChoices));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(vgglab_native, Init)
