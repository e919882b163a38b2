import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarRegistration

@Suite struct TransformModelTests {
    /// Random star positions in a 1000×800 frame (fixed seed).
    func field(_ count: Int, seed: UInt64 = 7) -> [(x: Double, y: Double)] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in (random.uniform() * 1000, random.uniform() * 800) }
    }

    @Test func eachModelRecoversItsOwnMapFromNoisyStars() throws {
        let maps: [(TransformModel, ProjectiveTransform2D)] = [
            (.similarity, ProjectiveTransform2D(.rotation(0.7, about: (500, 400), shift: (12.3, -7.9)))),
            (.affine, ProjectiveTransform2D(AffineTransform2D(a: 1.002, b: 0.013, c: 5.5, d: -0.011, e: 0.997, f: -3.25))),
            (.homography, ProjectiveTransform2D(matrix: [1.01, 0.02, 4, -0.015, 0.99, -6, 3e-5, -2e-5, 1])),
        ]
        var random = SeededRandom(seed: 11)
        for (model, truth) in maps {
            let from = field(200)
            let pairs = from.map { p -> ((x: Double, y: Double), (x: Double, y: Double)) in
                let q = truth.apply(p.x, p.y)
                return (p, (q.x + 0.05 * random.gaussian(), q.y + 0.05 * random.gaussian()))
            }
            let fitted = try #require(model.fit(pairs))
            #expect(fitted.maximumDistance(to: truth, width: 1000, height: 800) < 0.03, "\(model)")
        }
        #expect(TransformModel.homography.fit(Array(zip(field(3), field(3, seed: 8)))) == nil, "3 pairs do not fix a homography")
    }

    @Test func fewStarsAtAnyRotationWithStrangersOnBothSides() throws {
        // Eight frame stars, two of them not in the catalogue; a catalogue of 30 with the six others rotated 123°.
        let truth = AffineTransform2D.rotation(123 * .pi / 180, about: (500, 400), shift: (-40, 25))
        let common = field(6, seed: 3)
        var catalogue = field(24, seed: 4) + common.map { truth.apply($0.x, $0.y) }
        catalogue.swapAt(2, 26)
        let image = common + field(2, seed: 5)
        let match = try #require(StarMatcher.match(image: image, catalogue: catalogue, model: .similarity))
        #expect(match.pairs.count == 6)
        #expect(match.transform.maximumDistance(to: truth, width: 1000, height: 800) < 1e-6)
    }

    @Test func aPerspectiveWarpNeedsTheHomography() throws {
        let session = try RegistrationSession { _ in }
        let reference = try ImageFile.read(session.file(session.truth.lights[0]))
        // Warped frame px → reference px: a perspective strong enough to move the corners by several px.
        let truth = ProjectiveTransform2D(matrix: [1.0, 0.01, 3.2, -0.008, 1.0, -2.7, 4e-5, 2.5e-5, 1])
        let warped = Resampler().resample(reference, outputToSource: truth, width: 512, height: 512)
        var errors: [TransformModel: Double] = [:]
        for model in TransformModel.allCases {
            var parameters = Registrar.Parameters()
            parameters.model = model
            let registrar = Registrar(parameters: parameters)
            let (match, mirrored) = try #require(registrar.solve(frame: registrar.stars(in: warped), width: 512, reference: registrar.stars(in: reference)))
            #expect(!mirrored)
            errors[model] = transformError(match.transform, truth, width: 512, height: 512)
        }
        #expect(errors[.homography]! < 0.05, "\(errors)")
        #expect(errors[.affine]! > 3 * errors[.homography]!, "\(errors)")
        #expect(errors[.similarity]! > errors[.affine]!, "\(errors)")
    }

    @Test func projectiveInverseAndComposition() throws {
        let h = ProjectiveTransform2D(matrix: [1.01, 0.02, 4, -0.015, 0.99, -6, 3e-5, -2e-5, 1])
        let identity = h.concatenating(try #require(h.inverted))
        #expect(identity.maximumDistance(to: ProjectiveTransform2D.identity, width: 4000, height: 3000) < 1e-9)
        #expect(ProjectiveTransform2D(AffineTransform2D(a: 1, b: 0, c: 2, d: 0, e: 1, f: 3)).affine?.c == 2)
        #expect(h.affine == nil)
    }
}
