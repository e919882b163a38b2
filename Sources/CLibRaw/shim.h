// LibRaw's C API (Debian libraw-dev), thread-safe build.
#include <libraw/libraw.h>

// Fields Swift cannot reach directly: arrays too large to import as tuples, nested maker-note structs.
static inline unsigned lerar_libraw_cblack(const libraw_data_t *data, int index) { return data->color.cblack[index]; }
static inline float lerar_libraw_sensor_temperature(const libraw_data_t *data) { return data->makernotes.common.SensorTemperature; }
static inline float lerar_libraw_camera_temperature(const libraw_data_t *data) { return data->makernotes.common.CameraTemperature; }
