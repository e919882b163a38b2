#!/usr/bin/env python3
"""Cross-checks Lerar's files against independent readers and writers: astropy (FITS) and xisf (XISF).

  interop.py check DIR   read Lerar's files listed in DIR/manifest.json with astropy/xisf and compare
                         pixels (bit-exact, against DIR/<file>.raw) and keywords; exit 1 on any mismatch
  interop.py write DIR   write files with astropy/xisf plus DIR/theirs.json and .raw pixel dumps,
                         for Lerar's tests to read back
"""
import json
import sys
from pathlib import Path

import numpy as np
from astropy.io import fits
from xisf import XISF

STRUCTURAL = {"SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "EXTEND", "BZERO", "BSCALE", "XTENSION",
              "PCOUNT", "GCOUNT", "EXTNAME"}
BOILERPLATE = ("FITS (Flexible Image Transport System) format is defined in 'Astronomy",
               "and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H")


def fits_pixels_and_keywords(path):
    with fits.open(path, disable_image_compression=False) as hdus:
        hdu = next(h for h in hdus if h.data is not None)
        data = np.array(hdu.data)
        keywords = []
        for card in hdu.header.cards:
            if card.keyword in STRUCTURAL or card.keyword.startswith("Z"):
                continue
            if card.keyword in ("HISTORY", "COMMENT"):
                if str(card.value).strip() in BOILERPLATE:
                    continue
                keywords.append([card.keyword, "", str(card.value)])
            else:
                value = card.value
                text = ("T" if value else "F") if isinstance(value, bool) else str(value)
                keywords.append([card.keyword, text, card.comment])
    if data.ndim == 2:
        data = data[np.newaxis]
    return data, keywords


def xisf_pixels_and_keywords(path):
    reader = XISF(str(path))
    data = reader.read_image(0, data_format="channels_first")
    meta = reader.get_images_metadata()[0]
    # The xisf package strips a string's quotes but does not undo FITS quote doubling ('' -> '); do it here.
    keywords = {name: [[e["value"].replace("''", "'"), e["comment"]] for e in entries] for name, entries in meta["FITSKeywords"].items()}
    return data, keywords


def same_number_text(a, b):
    try:
        return float(a) == float(b)
    except ValueError:
        return a.strip() == b.strip()


def check(folder):
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    failures = []
    for entry in manifest:
        path = folder / entry["file"]
        expected = np.fromfile(folder / entry["raw"], dtype=np.dtype(entry["dtype"]).newbyteorder("<")).reshape(entry["shape"])
        if entry["kind"] == "fits":
            data, keywords = fits_pixels_and_keywords(path)
            wanted = [k for k in entry["keywords"]]
            got = [[n, v, c] for n, v, c in keywords]
            if len(got) != len(wanted) or any(g[0] != w[0] or not same_number_text(g[1], w[1]) or g[2] != w[2] for g, w in zip(got, wanted)):
                failures.append(f"{path.name}: keywords differ\n  astropy: {got}\n  lerar:   {wanted}")
        else:
            data, keywords = xisf_pixels_and_keywords(path)
            wanted = {}
            for name, value, comment in entry["keywords"]:
                wanted.setdefault(name, []).append([value, comment])
            if keywords != wanted:
                failures.append(f"{path.name}: keywords differ\n  xisf:  {keywords}\n  lerar: {wanted}")
        data = np.asarray(data)
        if data.shape != expected.shape:
            failures.append(f"{path.name}: shape {data.shape} != {expected.shape}")
        elif data.astype(expected.dtype).tobytes() != expected.tobytes():
            failures.append(f"{path.name}: pixels differ ({np.count_nonzero(data != expected)} samples)")
        print(f"checked {path.name}: {entry['dtype']} {list(expected.shape)}")
    for failure in failures:
        print("MISMATCH", failure)
    return 1 if failures else 0


def pattern(shape, dtype):
    c, h, w = shape
    z, y, x = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    if np.dtype(dtype).kind == "f":
        values = 0.001 + 0.9 * ((x * 7 + y * 13 + z * 5) % 97) / 97.0
        values[0, 1, 2] = np.nan
        return values.astype(dtype)
    top = np.iinfo(dtype).max
    return ((x * 977 + y * 131 + z * 7919) % (top + 1)).astype(dtype)


def write(folder):
    folder = Path(folder)
    keywords = [("IMAGETYP", "LIGHT", "Type of exposure"), ("EXPTIME", 120.5, "Exposure [s]"),
                ("FILTER", "OIII", "Filter"), ("GAIN", 139, "Gain")]
    entries = []

    def dump(name, data, kind):
        (folder / (name + ".raw")).write_bytes(data.astype(data.dtype.newbyteorder("<")).tobytes())
        entries.append({"file": name, "kind": kind, "raw": name + ".raw", "dtype": data.dtype.str.replace(">", "<"),
                        "shape": list(data.shape),
                        "keywords": [[k, str(v), c] for k, v, c in keywords] + [["HISTORY", "", "written by interop.py"]]})

    for name, dtype, shape, compressed in [("astropy_u16.fits", np.uint16, (1, 40, 50), False),
                                           ("astropy_f32_rgb.fits", np.float32, (3, 30, 20), False),
                                           ("astropy_u16_rice.fits.fz", np.uint16, (1, 64, 48), True)]:
        data = pattern(shape, dtype)
        header = fits.Header()
        for k, v, c in keywords:
            header[k] = (v, c)
        header["HISTORY"] = "written by interop.py"
        array = data[0] if shape[0] == 1 else data
        if compressed:
            fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(array, header=header, compression_type="RICE_1")]).writeto(folder / name, overwrite=True)
        else:
            fits.PrimaryHDU(array, header=header).writeto(folder / name, overwrite=True)
        dump(name, data, "fits")

    # Tile compression as fpack and astropy write it, decoded by astropy for the expected pixels: quantized floats
    # (each dither method), lossless GZIP_2 floats, signed 16- and 32-bit integers, and 3-D tiles of an RGB image.
    for name, dtype, shape, options in [
            ("astropy_f32_rice_dither1.fits.fz", np.float32, (1, 37, 53), dict(compression_type="RICE_1", quantize_level=16, quantize_method=1)),
            ("astropy_f32_rice_dither2.fits.fz", np.float32, (1, 37, 53), dict(compression_type="RICE_1", quantize_level=4, quantize_method=2)),
            ("astropy_f32_gzip_nodither.fits.fz", np.float32, (1, 20, 30), dict(compression_type="GZIP_1", quantize_level=8, quantize_method=-1)),
            ("astropy_f32_gzip2_lossless.fits.fz", np.float32, (1, 20, 30), dict(compression_type="GZIP_2", quantize_level=0)),
            ("astropy_i16_rice.fits.fz", np.int16, (1, 33, 29), dict(compression_type="RICE_1")),
            ("astropy_i32_gzip.fits.fz", np.int32, (1, 33, 29), dict(compression_type="GZIP_1")),
            ("astropy_f32_rgb_tiles.fits.fz", np.float32, (3, 40, 36), dict(compression_type="RICE_1", quantize_level=16, tile_shape=(1, 16, 16)))]:
        data = pattern(shape, dtype)
        if np.dtype(dtype).kind == "i":
            data = (data.astype(np.int64) - np.iinfo(dtype).max // 2).astype(dtype)
        header = fits.Header()
        for k, v, c in keywords:
            header[k] = (v, c)
        header["HISTORY"] = "written by interop.py"
        array = data[0] if shape[0] == 1 else data
        fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(array, header=header, **options)]).writeto(folder / name, overwrite=True)
        with fits.open(folder / name) as hdus:
            decoded = np.array(hdus[1].data)
        dump(name, decoded if decoded.ndim == 3 else decoded[np.newaxis], "fits")

    for name, dtype, shape, codec, shuffle in [("py_u16_lz4hc_sh.xisf", np.uint16, (1, 40, 50), "lz4hc", True),
                                               ("py_f32_rgb_zstd.xisf", np.float32, (3, 30, 20), "zstd", True),
                                               ("py_u8_zlib.xisf", np.uint8, (1, 33, 17), "zlib", False),
                                               ("py_u16_plain.xisf", np.uint16, (1, 16, 16), None, False)]:
        data = pattern(shape, dtype)
        meta = {"FITSKeywords": {k: [{"value": str(v) if not isinstance(v, str) else f"'{v}'", "comment": c}] for k, v, c in keywords}}
        meta["FITSKeywords"]["HISTORY"] = [{"value": "", "comment": "written by interop.py"}]
        XISF.write(str(folder / name), np.transpose(data, (1, 2, 0)), image_metadata=meta, codec=codec, shuffle=shuffle)
        dump(name, data, "xisf")
    (folder / "theirs.json").write_text(json.dumps(entries, indent=1))
    print(f"wrote {len(entries)} files")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "write"):
        print(__doc__)
        sys.exit(2)
    sys.exit(check(sys.argv[2]) if sys.argv[1] == "check" else write(sys.argv[2]))
