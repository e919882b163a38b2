#include <stdint.h>
#include <tiffio.h>

// TIFFSetField is variadic, which Swift cannot call: one typed wrapper per argument shape (uint16 tags are passed
// promoted to int, as the C calling convention for variadics requires).
static inline int lerar_tiff_set_short(TIFF *tiff, uint32_t tag, uint16_t value) { return TIFFSetField(tiff, tag, (int)value); }
static inline int lerar_tiff_set_long(TIFF *tiff, uint32_t tag, uint32_t value) { return TIFFSetField(tiff, tag, value); }
static inline int lerar_tiff_set_string(TIFF *tiff, uint32_t tag, const char *value) { return TIFFSetField(tiff, tag, value); }
static inline int lerar_tiff_set_extra_samples(TIFF *tiff, uint16_t count, const uint16_t *kinds) {
    return TIFFSetField(tiff, TIFFTAG_EXTRASAMPLES, (int)count, kinds);
}
