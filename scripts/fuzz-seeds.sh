#!/usr/bin/env bash
# Regenerates the seed corpus of the fuzz targets (Fuzz/corpus/<target>/) from small images Lerar writes itself:
# every FITS sample format, tile-compressed .fz files, XISF with every codec and a checksum, and the XISF data
# blocks of those files in the structured form the xisf-blocks target reads. Usage: scripts/fuzz-seeds.sh [lerar]
set -euo pipefail
cd "$(dirname "$0")/.."
LERAR=${1:-.build/debug/lerar}
OUT=Fuzz/corpus
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"/{fits-header,fits-fz,xisf-header,xisf-blocks}

for format in uint8 int16 uint16 int32 uint32 float32 float64; do
    "$LERAR" test-pattern "$OUT/fits-header/$format.fits" --size 24 --sample-format "$format" --overwrite >/dev/null
done
"$LERAR" test-pattern "$OUT/fits-header/rgb.fits" --size 16 --color --overwrite >/dev/null
for compression in rice gzip gzip2; do
    "$LERAR" test-pattern "$OUT/fits-fz/uint16-$compression.fz" --size 32 --compression "$compression" --overwrite >/dev/null
done
"$LERAR" test-pattern "$OUT/fits-fz/float32-gzip.fz" --size 24 --sample-format float32 --compression gzip --overwrite >/dev/null
"$LERAR" test-pattern "$OUT/fits-fz/int32-rice.fz" --size 24 --sample-format int32 --compression rice --overwrite >/dev/null
"$LERAR" test-pattern "$OUT/xisf-header/plain.xisf" --size 24 --overwrite >/dev/null
"$LERAR" test-pattern "$OUT/xisf-header/rgb-float32.xisf" --size 16 --color --sample-format float32 --overwrite >/dev/null
for codec in zlib zlib+sh lz4 lz4hc+sh zstd zstd+sh; do
    name=${codec/+/-}
    "$LERAR" test-pattern "$OUT/xisf-header/$name.xisf" --size 32 --compression "$codec" --overwrite >/dev/null
done
"$LERAR" test-pattern "$WORK/c.xisf" --size 24 --overwrite >/dev/null
"$LERAR" convert "$WORK/c.xisf" "$OUT/xisf-header/checksum.xisf" --checksum sha1 --overwrite >/dev/null

# xisf-blocks inputs: [codec | shuffle<<2, itemSize-1, size lo, size hi, subblocks, encoding] + the stored block.
python3 - "$OUT" <<'PY'
import re, struct, sys, pathlib
out = pathlib.Path(sys.argv[1])
codecs = {"zlib": 0, "lz4": 1, "lz4hc": 2, "zstd": 3}
for path in sorted((out / "xisf-header").glob("*.xisf")):
    data = path.read_bytes()
    length = struct.unpack("<I", data[8:12])[0]
    header = data[16:16 + length].decode()
    image = re.search(r"<Image [^>]*>", header).group(0)
    position, size = map(int, re.search(r'location="attachment:(\d+):(\d+)"', image).groups())
    block = data[position:position + size]
    compression = re.search(r'compression="([^"]+)"', image)
    if not compression:
        continue
    parts = compression.group(1).split(":")
    codec, shuffled = parts[0].replace("+sh", ""), parts[0].endswith("+sh")
    raw_size = int(parts[1]); item = int(parts[2]) if len(parts) > 2 else 1
    if raw_size >= 65536:
        continue
    prefix = bytes([codecs[codec] | (4 if shuffled else 0), item - 1, raw_size & 255, raw_size >> 8, 0, 0])
    (out / "xisf-blocks" / (path.stem + ".bin")).write_bytes(prefix + block)
PY
ls "$OUT"/* | head -50
