// Hot loops in C where Swift cannot reach the CPU's wide vectors: each has a portable body and, on x86-64, the
// same body compiled for AVX2+FMA, chosen at run time by a CPU check (Swift has no per-function target attribute).
#ifndef CLERAR_KERNELS_H
#define CLERAR_KERNELS_H

#include <stdint.h>

/// One output row of an affine resampling through a separable interpolation kernel of `radius` ≤ 4 (taps = 2·radius).
/// Source pixel of output (x, row) is (a·x + b·row + c, d·x + e·row + f). Taps are tabulated per 1/`resolution` px:
/// `positiveTaps`/`negativeTaps` hold 8 floats per fraction (the kernel's positive and negative parts, zero past the
/// taps), `positiveSums`/`negativeSums` their sums. Outputs whose source lies outside the image get NaN; outputs
/// whose taps leave the image or meet a NaN get NaN and `needsExact[x] = 1` (the caller's exact path takes them);
/// every other output is the clamped interpolation (PixInsight's clamping of the negative lobe at
/// `clampingThreshold`; negative disables it).
typedef struct {
    const float *source;
    int64_t sourceWidth, sourceHeight;
    double a, b, c, d, e, f;
    int32_t radius;
    double resolution;
    const float *positiveTaps, *negativeTaps, *positiveSums, *negativeSums;
    double clampingThreshold, inverseClampingRange;
} LerarResampleSource;

void lerar_resample_row(const LerarResampleSource *source, int64_t row, int64_t width, float *output, uint8_t *needsExact);

/// 1 when the AVX2+FMA body runs on this CPU (for the log and tests).
int lerar_kernels_use_avx2(void);

/// Winsorized sigma clipping's settings (IntegrationParameters): the first round's cutoff and the clipping limits, σ.
typedef struct {
    double cutoff, sigmaLow, sigmaHigh;
    int32_t clipLow, clipHigh;
} LerarWinsorizedParameters;

/// Sorts the eight interleaved columns of `block` (row i holds sample i of eight pixels) ascending through the
/// comparator pairs `pairs[2k] < pairs[2k+1]` of a sorting network; missing samples must be +∞ (they end last).
void lerar_sort8(float *block, const int32_t *pairs, int64_t pairCount);

/// The first round of winsorized sigma clipping (median and MAD, winsorization passes, clipping of the ends) on eight
/// pixels that all have `n` ≥ 3 samples, `block` sorted by `lerar_sort8`. Writes each lane's kept range
/// [low[l], high[l]) and `state[l]`: 0 done; 1 the ends were clipped, so later rounds follow (the scalar path's, from
/// that range); 2 the MAD is 0, so the scalar path takes the lane from the start. `scratch` holds 8·n floats.
void lerar_winsorized8_first_round(const float *block, int64_t n, const LerarWinsorizedParameters *parameters, float *scratch,
                                   int32_t *low, int32_t *high, int32_t *state);

#endif
