// Integration's per-pixel work on eight pixels at once. Row i of a block holds sample i of eight neighbouring
// pixels, as they lie in the frames, so each comparator of the sorting network and each winsorization pass is one
// 8-lane operation. The scalar winsorization walked indices through prefix sums, a dependent chain of loads and
// mispredicted branches per pass (16 % of a whole run's time, most of it in the masters).
#include "CLerarKernels.h"
#include <math.h>

// The vector helpers are always inlined into their caller, so no vector crosses a call: the portable body's
// "changes the ABI" warnings do not apply.
#pragma clang diagnostic ignored "-Wpsabi"

#define LANES 8

static inline __attribute__((always_inline)) void lerar_sort8_body(float *block, const int32_t *pairs, int64_t pairCount) {
    for (int64_t p = 0; p < pairCount; p++) {
        float *a = block + LANES * pairs[2 * p], *b = block + LANES * pairs[2 * p + 1];
        for (int l = 0; l < LANES; l++) {
            const float x = a[l], y = b[l];
            // minps/maxps as written: missing samples are +∞, never NaN.
            a[l] = x < y ? x : y;
            b[l] = x > y ? x : y;
        }
    }
}

typedef float lerar_f8v __attribute__((ext_vector_type(8)));
typedef int32_t lerar_i8v __attribute__((ext_vector_type(8)));
#define GROUPS (LANES / 8)

static inline __attribute__((always_inline)) lerar_f8v lerar_load_f8(const float *p) {
    lerar_f8v v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

// The k-th smallest (0-based) |x − centre| of rows [0, n) of each 8-lane group, sorted, split at `split` into
// deviations rising leftward (L) and rightward (R). The k-th smallest of two sorted lists is the least, over the
// ways of taking i from L and k + 1 − i from R, of the larger of the last ones taken: no data-dependent branch.
static inline __attribute__((always_inline)) lerar_f8v lerar_kth_deviation(const float *block, int g, int32_t n, int32_t split,
                                                                           int32_t k, lerar_f8v centre) {
    lerar_f8v best = INFINITY;
    for (int32_t i = 0; i <= k + 1; i++) {
        const int32_t left = split - i, right = split + k - i;
        const lerar_f8v a = i == 0 ? (lerar_f8v)(-INFINITY)
                                   : (left >= 0 ? centre - lerar_load_f8(block + LANES * left + 8 * g) : (lerar_f8v)INFINITY);
        const lerar_f8v b = i > k ? (lerar_f8v)(-INFINITY)
                                  : (right < n ? lerar_load_f8(block + LANES * right + 8 * g) - centre : (lerar_f8v)INFINITY);
        const lerar_f8v candidate = a > b ? a : b;
        best = candidate < best ? candidate : best;
    }
    return best;
}

// Winsorize at mean ± 1.5σ and take σ = 1.134 × the winsorized deviation until it settles, each lane alone. One pass
// is a dependent chain through a sum and a square root, so the 8-lane groups are interleaved. Float is enough: the
// sums are of deviations from the lane's median, and σ settles to 5·10⁻⁴.
static inline __attribute__((always_inline)) void lerar_winsorize_passes(const float *y, int32_t n, const lerar_f8v *centre,
                                                                         lerar_f8v *mean, lerar_f8v *sigma, lerar_i8v *flat) {
    const float inverseCount = 1.0f / n, inverseDegrees = 1.0f / (n - 1);
    lerar_i8v iterating[GROUPS];
    for (int g = 0; g < GROUPS; g++) { iterating[g] = ~flat[g]; mean[g] = centre[g]; }
    for (int pass = 0; pass < 50; pass++) {
        lerar_f8v t0[GROUPS], t1[GROUPS], sum[GROUPS], squares[GROUPS];
        for (int g = 0; g < GROUPS; g++) {
            t0[g] = mean[g] - 1.5f * sigma[g];
            t1[g] = mean[g] + 1.5f * sigma[g];
            sum[g] = 0;
            squares[g] = 0;
        }
        // Two sums per group, over even and odd rows, halve the chain of dependent additions.
        lerar_f8v oddSum[GROUPS], oddSquares[GROUPS];
        for (int g = 0; g < GROUPS; g++) { oddSum[g] = 0; oddSquares[g] = 0; }
        int32_t i = 0;
        for (; i + 1 < n; i += 2) {
            for (int g = 0; g < GROUPS; g++) {
                const lerar_f8v v = lerar_load_f8(y + LANES * i + 8 * g), w = lerar_load_f8(y + LANES * (i + 1) + 8 * g);
                const lerar_f8v raisedV = v > t0[g] ? v : t0[g], clampedV = raisedV < t1[g] ? raisedV : t1[g]; // maxps, minps
                const lerar_f8v raisedW = w > t0[g] ? w : t0[g], clampedW = raisedW < t1[g] ? raisedW : t1[g];
                const lerar_f8v d = clampedV - centre[g], e = clampedW - centre[g];
                sum[g] += d;
                squares[g] += d * d;
                oddSum[g] += e;
                oddSquares[g] += e * e;
            }
        }
        for (int g = 0; g < GROUPS; g++) {
            if (i < n) {
                const lerar_f8v v = lerar_load_f8(y + LANES * i + 8 * g);
                const lerar_f8v raised = v > t0[g] ? v : t0[g], clamped = raised < t1[g] ? raised : t1[g];
                const lerar_f8v d = clamped - centre[g];
                sum[g] += d;
                squares[g] += d * d;
            }
            sum[g] += oddSum[g];
            squares[g] += oddSquares[g];
        }
        lerar_i8v any = 0;
        for (int g = 0; g < GROUPS; g++) {
            const lerar_f8v variance = (squares[g] - sum[g] * sum[g] * inverseCount) * inverseDegrees;
            const lerar_f8v next = 1.134f * __builtin_elementwise_sqrt(variance > 0 ? variance : 0);
            const lerar_i8v stays = iterating[g], isFlat = stays & !(next > 0);
            const lerar_f8v change = next > sigma[g] ? next - sigma[g] : sigma[g] - next;
            const lerar_i8v settled = pass >= 1 ? (change <= 0.0005f * sigma[g]) : 0;
            mean[g] = stays ? centre[g] + sum[g] * inverseCount : mean[g];
            sigma[g] = stays ? next : sigma[g];
            flat[g] |= isFlat;
            iterating[g] = stays & ~isFlat & ~settled;
            any |= iterating[g];
        }
        if (!__builtin_reduce_or(any)) break;
    }
}

// The first round of winsorized sigma clipping (StackRejection.winsorized) on eight pixels that all have n samples.
static inline __attribute__((always_inline)) void lerar_winsorized8_body(const float *block, int64_t n64,
                                                                         const LerarWinsorizedParameters *parameters,
                                                                         float *y, int32_t *low, int32_t *high, int32_t *state) {
    const int32_t n = (int32_t)n64, split = n / 2;
    lerar_f8v centre[GROUPS], mean[GROUPS], sigma[GROUPS];
    lerar_i8v flat[GROUPS], redo[GROUPS];
    for (int g = 0; g < GROUPS; g++) {
        // Median, and σ from the MAD; a lane whose MAD is 0 goes to the scalar path (it starts from the sample σ).
        const lerar_f8v upper = lerar_load_f8(block + LANES * split + 8 * g);
        centre[g] = n % 2 == 1 ? upper : (lerar_load_f8(block + LANES * (split - 1) + 8 * g) + upper) * 0.5f;
        const lerar_f8v upperDeviation = lerar_kth_deviation(block, g, n, split, split, centre[g]);
        const lerar_f8v deviation = n % 2 == 1 ? upperDeviation
                                               : (lerar_kth_deviation(block, g, n, split, split - 1, centre[g]) + upperDeviation) * 0.5f;
        sigma[g] = 1.4826f * deviation;
        redo[g] = !(sigma[g] > 0);
        flat[g] = redo[g];
        // Samples beyond median ± cutoff·σ count as the median; the rest keep at least one.
        const lerar_f8v cut = (float)parameters->cutoff * sigma[g];
        lerar_i8v below = 0, above = 0;
        for (int32_t i = 0; i < n; i++) {
            const lerar_f8v v = lerar_load_f8(block + LANES * i + 8 * g);
            below -= (centre[g] - v > cut);
            above -= (v - centre[g] > cut);
        }
        const lerar_i8v middleLow = below < n - 1 ? below : n - 1;
        const lerar_i8v middleHigh = n - above > middleLow + 1 ? n - above : middleLow + 1;
        for (int32_t i = 0; i < n; i++) {
            const lerar_i8v row = (lerar_i8v)i;
            const lerar_f8v v = lerar_load_f8(block + LANES * i + 8 * g);
            const lerar_f8v sample = ((row >= middleLow) & (row < middleHigh)) ? v : centre[g];
            __builtin_memcpy(y + LANES * i + 8 * g, &sample, sizeof sample);
        }
    }
    lerar_winsorize_passes(y, n, centre, mean, sigma, flat);
    // Clip the ends around the winsorized mean (counts, as the samples are sorted); the rest is the scalar path's.
    for (int g = 0; g < GROUPS; g++) {
        const lerar_f8v lowLimit = (float)parameters->sigmaLow * sigma[g], highLimit = (float)parameters->sigmaHigh * sigma[g];
        lerar_i8v below = 0, above = 0;
        for (int32_t i = 0; i < n; i++) {
            const lerar_f8v v = lerar_load_f8(block + LANES * i + 8 * g);
            below -= (mean[g] - v > lowLimit);
            above -= (v - mean[g] > highLimit);
        }
        if (!parameters->clipLow) below = 0;
        if (!parameters->clipHigh) above = 0;
        const lerar_i8v keptLow = below < n - 1 ? below : n - 1;
        const lerar_i8v keptHigh = n - above > keptLow + 1 ? n - above : keptLow + 1;
        const lerar_i8v clipped = (keptLow != 0) | (keptHigh != n);
        const lerar_i8v laneState = redo[g] ? (lerar_i8v)2 : (flat[g] ? (lerar_i8v)0 : (clipped ? (lerar_i8v)1 : (lerar_i8v)0));
        const lerar_i8v lowOut = flat[g] ? (lerar_i8v)0 : keptLow, highOut = flat[g] ? (lerar_i8v)n : keptHigh;
        __builtin_memcpy(low + 8 * g, &lowOut, sizeof lowOut);
        __builtin_memcpy(high + 8 * g, &highOut, sizeof highOut);
        __builtin_memcpy(state + 8 * g, &laneState, sizeof laneState);
    }
}

static void lerar_sort8_portable(float *block, const int32_t *pairs, int64_t pairCount) {
    lerar_sort8_body(block, pairs, pairCount);
}

static void lerar_winsorized8_portable(const float *block, int64_t n, const LerarWinsorizedParameters *parameters, float *scratch,
                                       int32_t *low, int32_t *high, int32_t *state) {
    lerar_winsorized8_body(block, n, parameters, scratch, low, high, state);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void lerar_sort8_avx2(float *block, const int32_t *pairs, int64_t pairCount) {
    lerar_sort8_body(block, pairs, pairCount);
}

__attribute__((target("avx2,fma")))
static void lerar_winsorized8_avx2(const float *block, int64_t n, const LerarWinsorizedParameters *parameters, float *scratch,
                                   int32_t *low, int32_t *high, int32_t *state) {
    lerar_winsorized8_body(block, n, parameters, scratch, low, high, state);
}
#endif

void lerar_sort8(float *block, const int32_t *pairs, int64_t pairCount) {
#if defined(__x86_64__)
    if (lerar_kernels_use_avx2()) { lerar_sort8_avx2(block, pairs, pairCount); return; }
#endif
    lerar_sort8_portable(block, pairs, pairCount);
}

void lerar_winsorized8_first_round(const float *block, int64_t n, const LerarWinsorizedParameters *parameters, float *scratch,
                                   int32_t *low, int32_t *high, int32_t *state) {
#if defined(__x86_64__)
    if (lerar_kernels_use_avx2()) { lerar_winsorized8_avx2(block, n, parameters, scratch, low, high, state); return; }
#endif
    lerar_winsorized8_portable(block, n, parameters, scratch, low, high, state);
}
