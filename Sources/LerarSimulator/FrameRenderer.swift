import Foundation
import LerarCore

/// Renders frames of a session in ADU: photo-electrons (sky, stars, trails, flat illumination) through the optics,
/// dark current, Poisson and read noise, bias with its column pattern, cosmic rays, saturation, dead column.
public struct FrameRenderer: Sendable {
    public let configuration: SessionConfiguration
    public let sensor: SensorModel
    public let optics: OpticsModel
    public let catalogue: StarCatalogue
    public let plan: SessionPlan
    let transmissions: [String: [Float]]
    /// Transmission maps of the nights after the first (their dust moved), by night then filter.
    let laterNights: [Int: [String: [Float]]]
    /// Optics of each night after the first.
    public let laterOptics: [Int: OpticsModel]

    public init(plan: SessionPlan) {
        let c = plan.configuration
        configuration = c
        self.plan = plan
        sensor = SensorModel(configuration: c)
        optics = OpticsModel(configuration: c)
        catalogue = StarCatalogue(bounds: plan.skyBounds, configuration: c)
        var maps: [String: [Float]] = [:]
        for filter in c.effectiveFilters { maps[filter] = optics.transmission(filter: filter) }
        transmissions = maps
        var later: [Int: [String: [Float]]] = [:], models: [Int: OpticsModel] = [:]
        for night in stride(from: 2, through: max(1, c.nights), by: 1) {
            let model = OpticsModel(configuration: c, night: night)
            models[night] = model
            later[night] = Dictionary(uniqueKeysWithValues: c.effectiveFilters.map { ($0, model.transmission(filter: $0)) })
        }
        laterNights = later
        laterOptics = models
    }

    /// The transmission a frame of `filter` taken on `night` sees.
    public func transmission(filter: String, night: Int) -> [Float]? {
        night > 1 ? laterNights[night]?[filter] : transmissions[filter]
    }

    /// Bayer channel (0 R, 1 G, 2 B) of a pixel in an RGGB mosaic.
    @inline(__always) static func bayerChannel(x: Int, y: Int) -> Int {
        switch (x & 1, y & 1) {
        case (0, 0): 0
        case (1, 1): 2
        default: 1
        }
    }

    /// Colour fractions of the sky (light pollution is reddish) and of a white flat panel, per RGB channel.
    static let skyColor = StarColor.skyRGB, flatColor = [0.8, 1.0, 0.65]

    /// The frame in ADU (0…65535, integers).
    public func render(_ frame: PlannedFrame) -> [Float] {
        let c = configuration
        let width = c.width, height = c.height, count = width * height
        var random = SeededRandom(seed: c.seed, stream: frame.stream)
        let transmission = self.transmission(filter: frame.filter, night: frame.night) ?? [Float](repeating: 1, count: count)
        var photo = [Float](repeating: 0, count: count)
        switch frame.kind {
        case .light: renderLightSignal(frame, into: &photo, random: &random)
        case .flat:
            let level = c.flatTargetADU * c.electronsPerADU
            for y in 0..<height {
                for x in 0..<width {
                    let colour = c.oneShotColor ? Self.flatColor[Self.bayerChannel(x: x, y: y)] : 1
                    photo[y * width + x] = Float(level * colour)
                }
            }
        case .dark, .bias, .darkFlat: break
        }
        if frame.kind == .light || frame.kind == .flat {
            for i in 0..<count { photo[i] *= transmission[i] }
            for cold in sensor.coldPixels { photo[cold[1] * width + cold[0]] = 0 }
        }
        let darkScale = Float(frame.exposure * SensorModel.temperatureFactor(frame.sensorTemperature, setPoint: c.setTemperature))
        let readNoiseADU = c.readNoise / c.electronsPerADU
        var adu = [Float](repeating: 0, count: count)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                let expected = Double(photo[index] + sensor.darkRate[index] * darkScale)
                let electrons = c.noise ? random.poisson(expected) : expected
                var value = electrons / c.electronsPerADU + c.biasADU + Double(sensor.columnOffsets[x])
                if c.noise { value += readNoiseADU * random.gaussian() }
                adu[index] = Float(min(c.saturationADU, max(0, value.rounded())))
            }
        }
        if frame.kind == .light, let conditions = frame.conditions {
            for hit in conditions.cosmicRays {
                let energy = random.uniform(in: 800...6000) / c.electronsPerADU
                let index = hit[1] * width + hit[0]
                adu[index] = Float(min(c.saturationADU, Double(adu[index]) + energy.rounded()))
                if hit[0] + 1 < width && random.uniform() < 0.5 { adu[index + 1] = Float(min(c.saturationADU, Double(adu[index + 1]) + (energy * 0.4).rounded())) }
            }
        }
        if let column = sensor.deadColumn { for y in 0..<height { adu[y * width + column] = 0 } }
        return adu
    }

    /// Photo-electrons of a light before the optics: gradient sky, stars, satellite trails.
    func renderLightSignal(_ frame: PlannedFrame, into photo: inout [Float], random: inout SeededRandom) {
        guard let conditions = frame.conditions else { return }
        let c = configuration
        let width = c.width, height = c.height
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2, halfDiagonal = hypot(cx, cy)
        let angle = conditions.gradientAngle * .pi / 180
        let skyBase = c.skyRate * frame.exposure * conditions.skyFactor
        for y in 0..<height {
            for x in 0..<width {
                let along = ((Double(x) - cx) * cos(angle) + (Double(y) - cy) * sin(angle)) / halfDiagonal
                let colour = c.oneShotColor ? Self.skyColor[Self.bayerChannel(x: x, y: y)] : StarCatalogue.skyFraction(filter: frame.filter)
                let tint = c.oneShotColor ? StarColor.gradientTintRGB[Self.bayerChannel(x: x, y: y)] : StarCatalogue.gradientTint(filter: frame.filter)
                photo[y * width + x] = Float(skyBase * colour * (1 + tint * conditions.gradientStrength * along))
            }
        }
        if let object = c.extendedObject, conditions.transparency > 0, let lightToReference = conditions.referenceToLight.inverted {
            let origin = plan.panelOrigins[frame.panel - 1]
            let rate = object.peakFractionOfSky * c.skyRate * frame.exposure * conditions.transparency
            addObject(object, rate: rate, filter: frame.filter, into: &photo, toSky: { x, y in
                let p = lightToReference.apply(x, y)
                return (p.x + origin.x, p.y + origin.y)
            })
        }
        if c.stars && conditions.transparency > 0 {
            let psf = MoffatPSF(fwhm: conditions.fwhm, beta: c.moffatBeta)
            let origin = plan.panelOrigins[frame.panel - 1]
            let scale = frame.exposure * conditions.transparency
            if c.oneShotColor {
                // Render each colour plane, then keep the Bayer sample of every pixel.
                var planes = [[Float]](repeating: [Float](repeating: 0, count: width * height), count: 3)
                for star in catalogue.stars {
                    let p = conditions.referenceToLight.apply(star.x - origin.x, star.y - origin.y)
                    guard p.x > -80, p.y > -80, p.x < Double(width + 80), p.y < Double(height + 80) else { continue }
                    for (channel, fraction) in [star.red, star.green, star.blue].enumerated() {
                        psf.render(flux: star.rate * fraction * scale, x: p.x, y: p.y, into: &planes[channel], width: width, height: height)
                    }
                }
                for y in 0..<height { for x in 0..<width { photo[y * width + x] += planes[Self.bayerChannel(x: x, y: y)][y * width + x] } }
            } else {
                for star in catalogue.stars {
                    let p = conditions.referenceToLight.apply(star.x - origin.x, star.y - origin.y)
                    guard p.x > -80, p.y > -80, p.x < Double(width + 80), p.y < Double(height + 80) else { continue }
                    psf.render(flux: star.rate * StarCatalogue.fraction(of: star, filter: frame.filter) * scale, x: p.x, y: p.y,
                               into: &photo, width: width, height: height)
                }
            }
        }
        for trail in conditions.trails {
            // A satellite: a 1.2 px (σ) wide streak, 6× the sky's shot noise at its peak.
            let peak = 6 * (c.skyRate * frame.exposure * StarCatalogue.skyFraction(filter: frame.filter)).squareRoot() * (c.oneShotColor ? 0.6 : 1)
            let slope = (trail[3] - trail[1]) / (trail[2] - trail[0])
            for x in 0..<width {
                let lineY = trail[1] + slope * (Double(x) - trail[0])
                for y in max(0, Int(lineY) - 6)...min(height - 1, max(0, Int(lineY) + 6)) {
                    let distance = (Double(y) - lineY) / (1 + slope * slope).squareRoot()
                    photo[y * width + x] += Float(peak * exp(-distance * distance / (2 * 1.44)))
                }
            }
        }
    }

    /// Adds the extended object's photo-electrons (`rate` e- per px at its centre) to a light's pixels; `toSky` maps a
    /// pixel to sky px. OSC frames take each pixel's Bayer colour.
    func addObject(_ object: ExtendedObject, rate: Double, filter: String, into photo: inout [Float],
                   toSky: (Double, Double) -> (Double, Double), fractions: [Double]? = nil) {
        let c = configuration
        let colours: [Double] = fractions ?? (c.oneShotColor ? ExtendedObject.rgbFractions : [ExtendedObject.fraction(filter: filter), 0, 0])
        for y in 0..<c.height {
            for x in 0..<c.width {
                let (sx, sy) = toSky(Double(x), Double(y))
                guard abs(sx - object.x) < object.radius, abs(sy - object.y) < object.radius else { continue }
                let profile = object.profile(x: sx, y: sy)
                guard profile > 0 else { continue }
                let colour = c.oneShotColor && fractions == nil ? colours[Self.bayerChannel(x: x, y: y)] : colours[0]
                photo[y * c.width + x] += Float(rate * colour * profile)
            }
        }
    }

    /// Noise-free, gradient-free calibrated sky of a panel in its reference frame, normalised ADU (ADU/65535):
    /// sky plus stars at transparency 1 and the best FWHM of the range; no optics, dark, bias or defects.
    /// RGB for OSC sessions.
    public func truthSky(filter: String, panel: Int) -> Image {
        let c = configuration
        let origin = plan.panelOrigins[panel - 1]
        let psf = MoffatPSF(fwhm: c.fwhmRange.lowerBound, beta: c.moffatBeta)
        let channels: [(String, Double)] = c.oneShotColor ? [("R", Self.skyColor[0]), ("G", Self.skyColor[1]), ("B", Self.skyColor[2])]
                                                           : [(filter, StarCatalogue.skyFraction(filter: filter))]
        var image = Image(width: c.width, height: c.height, colorSpace: c.oneShotColor ? .rgb : .gray)
        for (channel, (name, skyFraction)) in channels.enumerated() {
            var plane = [Float](repeating: Float(c.skyRate * c.exposure * skyFraction), count: c.width * c.height)
            if let object = c.extendedObject {
                let fraction = c.oneShotColor ? ExtendedObject.rgbFractions[channel] : ExtendedObject.fraction(filter: name)
                var single = [Float](repeating: 0, count: plane.count)
                addObject(object, rate: object.peakFractionOfSky * c.skyRate * c.exposure, filter: name, into: &single,
                          toSky: { x, y in (x + origin.x, y + origin.y) }, fractions: [fraction, fraction, fraction])
                for i in plane.indices { plane[i] += single[i] }
            }
            if c.stars {
                for star in catalogue.stars {
                    let x = star.x - origin.x, y = star.y - origin.y
                    guard x > -80, y > -80, x < Double(c.width + 80), y < Double(c.height + 80) else { continue }
                    psf.render(flux: star.rate * StarCatalogue.fraction(of: star, filter: name) * c.exposure, x: x, y: y,
                               into: &plane, width: c.width, height: c.height)
                }
            }
            let scale = Float(1 / (c.electronsPerADU * 65535))
            image.withMutableChannel(channel) { target in for i in 0..<plane.count { target[i] = plane[i] * scale } }
        }
        return image
    }
}
