import Testing
@testable import LerarCore

@Suite struct MetadataTests {
    @Test func keywordValuesParseLikeFITS() {
        #expect(FITSKeyword(name: "OBJECT", value: "'M 31    '").stringValue == "M 31")
        #expect(FITSKeyword(name: "OBSERVER", value: "'O''Brien'").stringValue == "O'Brien")
        #expect(FITSKeyword(name: "EXPTIME", value: "3.0D2").doubleValue == 300)
        #expect(FITSKeyword(name: "EXPTIME", value: "'120'").doubleValue == 120) // some capture programs quote numbers
        #expect(FITSKeyword(name: "XBINNING", value: "2").intValue == 2)
        #expect(FITSKeyword(name: "XBINNING", value: "2.0").intValue == 2)
        #expect(FITSKeyword(name: "SIMPLE", value: "T").boolValue == true)
        #expect(FITSKeyword.string("OBSERVER", "O'Brien").value == "'O''Brien'")
        #expect(FITSKeyword.number("EXPTIME", 300).value == "300")
        #expect(FITSKeyword.number("CCD-TEMP", -10.25).doubleValue == -10.25)
        #expect(FITSKeyword(name: "gain", value: "1").name == "GAIN")
    }

    @Test func structuralKeywordsAreRecognised() {
        for name in ["SIMPLE", "BITPIX", "NAXIS", "NAXIS3", "BZERO", "BSCALE", "ZIMAGE", "ZNAXIS2", "TFORM1", "PCOUNT"] {
            #expect(FITSStructuralKeywords.contains(name), "\(name)")
        }
        for name in ["EXPTIME", "NAXISFOO", "FILTER", "HISTORY"] { #expect(!FITSStructuralKeywords.contains(name), "\(name)") }
    }

    @Test func acquisitionReadsPrimaryThenAliases() {
        var metadata = ImageMetadata(keywords: [
            .string("IMAGETYP", "Dark Frame"), FITSKeyword(name: "EXPOSURE", value: "120."), .string("FILTER", "Ha   "),
            .integer("XBINNING", 2), .integer("GAIN", 139), .integer("OFFSET", 21),
            .number("CCD-TEMP", -9.8), .string("INSTRUME", "ZWO ASI2600MM Pro"), .string("BAYERPAT", "RGGB"),
        ])
        var info = metadata.acquisition
        #expect(info.imageType == "Dark Frame")
        #expect(info.exposure == 120)
        #expect(info.filter == "Ha")
        #expect(info.binningX == 2 && info.binningY == 2)
        #expect(info.gain == 139 && info.offset == 21)
        #expect(info.temperature == -9.8)
        #expect(info.camera == "ZWO ASI2600MM Pro" && info.bayerPattern == "RGGB")
        metadata.setKeyword(.number("SET-TEMP", -10))
        metadata.setKeyword(.number("EXPTIME", 300))
        info = metadata.acquisition
        #expect(info.temperature == -10) // the set point wins over the measured temperature
        #expect(info.exposure == 300) // EXPTIME is primary
    }

    @Test func aliasTableHasNoDuplicatePrimaries() {
        let primaries = AcquisitionKeywords.all.map(\.primary)
        #expect(Set(primaries).count == primaries.count)
        for alias in AcquisitionKeywords.all { #expect(alias.readKeys.first == alias.primary) }
    }

    @Test func metadataEditingKeepsOrderAndDuplicates() {
        var metadata = ImageMetadata()
        metadata.addHistory("one")
        metadata.setKeyword(.number("EXPTIME", 1))
        metadata.addHistory("two")
        metadata.setKeyword(.number("EXPTIME", 2))
        #expect(metadata.keywords.map(\.name) == ["HISTORY", "EXPTIME", "HISTORY"])
        #expect(metadata.keyword("exptime")?.doubleValue == 2)
        metadata.removeKeyword("HISTORY")
        #expect(metadata.keywords.count == 1)
    }

    @Test func aduConversionUsesFullRange() {
        #expect(ADUConversion.normalized(adu: 65535) == 1)
        #expect(ADUConversion.adu(normalized: ADUConversion.normalized(adu: 1234)).rounded() == 1234)
        #expect(ADUConversion.normalized(adu: 255, bits: 8) == 1)
    }

    @Test func parallelChunksCoverTheRangeOnce() {
        for count in [0, 1, 100, 16_384 * 3 + 7, 10_000_000] {
            let ranges = Parallel.chunkRanges(count: count)
            #expect(ranges.reduce(0) { $0 + $1.count } == count)
            #expect(ranges.count <= 64)
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        }
        let sums = Parallel.mapChunks(count: 1_000_000) { range in range.reduce(0, +) }
        #expect(sums.reduce(0, +) == (0..<1_000_000).reduce(0, +))
    }

    @Test func imageLayoutIsPlanarRowMajor() {
        var image = Image(width: 3, height: 2, colorSpace: .rgb)
        image[2, 1, 1] = 5
        #expect(image.samples[1 * 6 + 1 * 3 + 2] == 5)
        image.withChannel(1) { #expect($0[5] == 5) }
    }
}
