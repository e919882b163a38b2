// Interior resampling of one row: the Swift loop paid ~60 ns per pixel on 36 scalar multiply-adds; here each tap
// row is one 8-lane vector (summed down the rows with the y weights' two signs, then weighted by x once).
#include "CLerarKernels.h"
#include <math.h>

// The 8-lane helpers are always inlined into their caller, so no vector crosses a call: the portable body's
// "changes the ABI" warnings do not apply.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float lerar_v8 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) lerar_v8 lerar_load8(const float *p) {
    lerar_v8 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) float lerar_sum8(lerar_v8 v) {
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// The positive and negative lobes combined, the negative one damped where it would ring (as Resampler.clamp), as
// the numerator and denominator of one division: the caller divides a block of pixels at once, so the divisions
// (a third of the row's time when each waited on its own) overlap as vector divisions with the same IEEE results.
static inline void lerar_clamp_fraction(double sp, double wp, double sn, double wn, double threshold, double inverseRange,
                                        double *numerator, double *denominator) {
    if (!(wp > 0)) { *numerator = NAN; *denominator = 1; return; }
    if (threshold >= 0 && sn != 0) {
        if (!(sp > 0) || sn >= sp) { *numerator = sp; *denominator = wp; return; }
        if (sn > threshold * sp) {
            double t = (sn / sp - threshold) * inverseRange, c = 1 - t * t;
            sn *= c;
            wn *= c;
        }
    }
    double weight = wp - wn;
    if (weight != 0) { *numerator = sp - sn; *denominator = weight; } else { *numerator = sp; *denominator = wp; }
}

// Pixels whose division is deferred to the end of their block.
enum { LERAR_DIVISION_BLOCK = 16 };

static inline __attribute__((always_inline)) void lerar_resample_row_body(const LerarResampleSource *s, int64_t row, int64_t width,
                                                                          float *output, uint8_t *needsExact) {
    const int64_t sw = s->sourceWidth, sh = s->sourceHeight;
    const int radius = s->radius, taps = 2 * radius;
    const double xLimit = (double)sw - 0.5, yLimit = (double)sh - 0.5;
    const double rowX = s->b * (double)row + s->c, rowY = s->e * (double)row + s->f;
    double numerators[LERAR_DIVISION_BLOCK], denominators[LERAR_DIVISION_BLOCK];
    int64_t pending[LERAR_DIVISION_BLOCK];
    for (int64_t blockStart = 0; blockStart < width; blockStart += LERAR_DIVISION_BLOCK) {
        const int64_t blockEnd = blockStart + LERAR_DIVISION_BLOCK < width ? blockStart + LERAR_DIVISION_BLOCK : width;
        int count = 0;
        for (int64_t x = blockStart; x < blockEnd; x++) {
            const double sx = s->a * (double)x + rowX, sy = s->d * (double)x + rowY;
            needsExact[x] = 0;
            if (!(sx >= -0.5 && sy >= -0.5 && sx <= xLimit && sy <= yLimit)) { output[x] = NAN; continue; }
            // sx, sy ≥ −0.5, so truncating sx + 1 floors.
            const int64_t fx = (int64_t)(sx + 1) - 1, fy = (int64_t)(sy + 1) - 1;
            const int64_t x0 = fx - radius + 1, y0 = fy - radius + 1;
            if (x0 < 0 || y0 < 0 || x0 + 8 > sw || y0 + taps > sh) { output[x] = NAN; needsExact[x] = 1; continue; }
            const int64_t qx = (int64_t)((sx - (double)fx) * s->resolution + 0.5), qy = (int64_t)((sy - (double)fy) * s->resolution + 0.5);
            const float *py = s->positiveTaps + 8 * qy, *ny = s->negativeTaps + 8 * qy;
            const float *block = s->source + y0 * sw + x0;
            lerar_v8 columnsPositive = {0}, columnsNegative = {0};
            for (int j = 0; j < taps; j++) {
                const lerar_v8 v = lerar_load8(block + j * sw);
                columnsPositive += py[j] * v;
                columnsNegative += ny[j] * v;
            }
            const lerar_v8 px = lerar_load8(s->positiveTaps + 8 * qx), nx = lerar_load8(s->negativeTaps + 8 * qx);
            const float positive = lerar_sum8(columnsPositive * px + columnsNegative * nx);
            const float negative = lerar_sum8(columnsPositive * nx + columnsNegative * px);
            const float psx = s->positiveSums[qx], nsx = s->negativeSums[qx], psy = s->positiveSums[qy], nsy = s->negativeSums[qy];
            const float positiveWeight = psy * psx + nsy * nsx, negativeWeight = psy * nsx + nsy * psx;
            lerar_clamp_fraction(positive, positiveWeight, negative, negativeWeight, s->clampingThreshold, s->inverseClampingRange,
                                 &numerators[count], &denominators[count]);
            pending[count++] = x;
        }
        for (int k = count; k < LERAR_DIVISION_BLOCK; k++) { numerators[k] = 0; denominators[k] = 1; }
        float values[LERAR_DIVISION_BLOCK];
        for (int k = 0; k < LERAR_DIVISION_BLOCK; k++) values[k] = (float)(numerators[k] / denominators[k]);
        for (int k = 0; k < count; k++) {
            // A NaN sample (also in a zero-weight lane past the taps) poisons the sums: the exact path decides.
            const float value = values[k];
            if (value != value) { output[pending[k]] = NAN; needsExact[pending[k]] = 1; } else output[pending[k]] = value;
        }
    }
}

static void lerar_resample_row_portable(const LerarResampleSource *s, int64_t row, int64_t width, float *output, uint8_t *needsExact) {
    lerar_resample_row_body(s, row, width, output, needsExact);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void lerar_resample_row_avx2(const LerarResampleSource *s, int64_t row, int64_t width, float *output, uint8_t *needsExact) {
    lerar_resample_row_body(s, row, width, output, needsExact);
}
#endif

int lerar_kernels_use_avx2(void) {
#if defined(__x86_64__)
    // Asked once per block of pixels: the answer is kept (threads racing here store the same value).
    static int answer = -1;
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return answer;
#else
    return 0;
#endif
}

void lerar_resample_row(const LerarResampleSource *s, int64_t row, int64_t width, float *output, uint8_t *needsExact) {
#if defined(__x86_64__)
    if (lerar_kernels_use_avx2()) { lerar_resample_row_avx2(s, row, width, output, needsExact); return; }
#endif
    lerar_resample_row_portable(s, row, width, output, needsExact);
}
