import Foundation
import LerarCore

/// Reads and writes typed `<Property>` elements (scalars, strings, time points, vectors, matrices).
enum XISFPropertyCodec {
    /// Vector/matrix element types by XISF name prefix, with PCL's aliases.
    static let elementTypes: [String: SampleElement] = [
        "I8": .int8, "UI8": .uint8, "Byte": .uint8, "I16": .int16, "UI16": .uint16, "I32": .int32, "UI32": .uint32,
        "I64": .int64, "UI64": .uint64, "F32": .float32, "F64": .float64,
    ]

    enum SampleElement: Int {
        case int8 = 1, uint8 = 101, int16 = 2, uint16 = 102, int32 = 4, uint32 = 104, int64 = 8, uint64 = 108, float32 = 204, float64 = 208
        var byteCount: Int { rawValue % 100 }
    }

    /// Decodes one property element; returns nil (with a warning) for types we do not carry, such as complex numbers.
    static func decode(_ element: XMLNode, file: XISFFileAccess, warnings: inout [String]) throws -> ImageProperty? {
        let path = file.path
        guard let id = element.attributes["id"], let rawType = element.attributes["type"] else {
            throw ImageIOError.malformed(path: path, detail: "<Property> without id or type")
        }
        let type = canonicalType(rawType)
        let valueText = element.attributes["value"]
        let comment = element.attributes["comment"], format = element.attributes["format"]
        func number<T>(_ parse: (String) -> T?) throws -> T {
            guard let text = valueText?.trimmingCharacters(in: .whitespaces), let value = parse(text) else {
                throw ImageIOError.malformed(path: path, detail: "property \(id) of type \(rawType) has an invalid value \"\(valueText ?? "")\"")
            }
            return value
        }
        let value: PropertyValue
        switch type {
        case "Boolean":
            value = .boolean(try number { ["true": true, "1": true, "false": false, "0": false][$0.lowercased()] })
        case "Int8", "Int16", "Int32", "Int64":
            value = .integer(try number { Int64($0) })
        case "UInt8", "UInt16", "UInt32", "UInt64":
            value = .unsignedInteger(try number { UInt64($0) })
        case "Float32", "Float64":
            value = .real(try number { Double($0) })
        case "String":
            if element.attributes["location"] != nil {
                let bytes = try XISFDataBlock(element: element, path: path).read(from: file, expectedSize: declaredBlockSize(element))
                value = .string(String(decoding: bytes, as: UTF8.self))
            } else {
                value = .string(valueText ?? element.text)
            }
        case "TimePoint":
            value = .timePoint(valueText ?? element.text.trimmingCharacters(in: .whitespacesAndNewlines))
        default:
            guard let (element_, isMatrix) = vectorElement(type) else {
                warnings.append("property \(id) of type \(rawType) skipped (type not supported)")
                return nil
            }
            let rows = Int(element.attributes["rows"] ?? "") ?? 0, columns = Int(element.attributes["columns"] ?? "") ?? 0
            let length = isMatrix ? rows * columns : Int(element.attributes["length"] ?? "") ?? -1
            guard length >= 0, !isMatrix || (rows >= 0 && columns >= 0) else {
                throw ImageIOError.malformed(path: path, detail: "property \(id) of type \(rawType) has no valid length/rows/columns")
            }
            let bytes = length == 0 ? [] : try XISFDataBlock(element: element, path: path).read(from: file, expectedSize: length * element_.byteCount)
            let numbers = bytes.withUnsafeBytes { raw in (0..<length).map { decodeElement(raw, index: $0, as: element_) } }
            value = isMatrix ? .matrix(rows: rows, columns: columns, values: numbers) : .vector(numbers)
        }
        return ImageProperty(id: id, type: type, value: value, comment: comment, format: format)
    }

    /// Element for a vector/matrix type name, and whether it is a matrix.
    static func vectorElement(_ type: String) -> (SampleElement, Bool)? {
        for (suffix, isMatrix) in [("Vector", false), ("Matrix", true)] where type.hasSuffix(suffix) {
            if let element = elementTypes[String(type.dropLast(suffix.count))] { return (element, isMatrix) }
        }
        return nil
    }

    /// PCL's type aliases mapped to the canonical XISF names.
    static func canonicalType(_ type: String) -> String {
        switch type {
        case "Byte": "UInt8"
        case "Short": "Int16"
        case "UShort": "UInt16"
        case "Int": "Int32"
        case "UInt": "UInt32"
        case "Float": "Float32"
        case "Double": "Float64"
        case "ByteArray": "UI8Vector"
        case "Vector": "F64Vector"
        case "Matrix": "F64Matrix"
        case "String8", "String16": "String"
        default: type
        }
    }

    private static func declaredBlockSize(_ element: XMLNode) -> Int {
        if let compression = element.attributes["compression"], let size = Int(compression.split(separator: ":").dropFirst().first ?? "") { return size }
        if let location = element.attributes["location"], location.hasPrefix("attachment:"), let size = Int(location.split(separator: ":").last ?? "") { return size }
        return 0
    }

    private static func decodeElement(_ raw: UnsafeRawBufferPointer, index: Int, as element: SampleElement) -> Double {
        let offset = index * element.byteCount
        switch element {
        case .int8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
        case .uint8: return Double(raw[offset])
        case .int16: return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        case .uint16: return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .int32: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .uint32: return Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .int64: return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        case .uint64: return Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        case .float32: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
        case .float64: return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        }
    }

    /// XML for one property; vectors and matrices go inline as base64.
    static func encode(_ property: ImageProperty) -> String {
        var attributes = "id=\"\(XMLEscaping.escape(property.id))\" type=\"\(XMLEscaping.escape(property.type))\""
        if let format = property.format { attributes += " format=\"\(XMLEscaping.escape(format))\"" }
        if let comment = property.comment { attributes += " comment=\"\(XMLEscaping.escape(comment))\"" }
        switch property.value {
        case let .boolean(flag): return "<Property \(attributes) value=\"\(flag ? "true" : "false")\"/>"
        case let .integer(number): return "<Property \(attributes) value=\"\(number)\"/>"
        case let .unsignedInteger(number): return "<Property \(attributes) value=\"\(number)\"/>"
        case let .real(number): return "<Property \(attributes) value=\"\(number)\"/>"
        case let .timePoint(text): return "<Property \(attributes) value=\"\(XMLEscaping.escape(text))\"/>"
        case let .string(text): return "<Property \(attributes)>\(XMLEscaping.escape(text))</Property>"
        case let .vector(values):
            return "<Property \(attributes) length=\"\(values.count)\" location=\"inline:base64\">\(base64(values, type: property.type))</Property>"
        case let .matrix(rows, columns, values):
            return "<Property \(attributes) rows=\"\(rows)\" columns=\"\(columns)\" location=\"inline:base64\">\(base64(values, type: property.type))</Property>"
        }
    }

    private static func base64(_ values: [Double], type: String) -> String {
        let element = vectorElement(type)?.0 ?? .float64
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * element.byteCount)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        for value in values {
            switch element {
            case .int8: append(Int8(clamping: Int64(value)))
            case .uint8: append(UInt8(clamping: Int64(value)))
            case .int16: append(Int16(clamping: Int64(value)))
            case .uint16: append(UInt16(clamping: Int64(value)))
            case .int32: append(Int32(clamping: Int64(value)))
            case .uint32: append(UInt32(clamping: Int64(value)))
            case .int64: append(Int64(value))
            case .uint64: append(UInt64(max(0, value)))
            case .float32: append(Float(value).bitPattern)
            case .float64: append(value.bitPattern)
            }
        }
        return Data(bytes).base64EncodedString()
    }
}
